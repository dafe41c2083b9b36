from __future__ import annotations

import boto3
import pytest

from orgnb.aws.guards import check_management_caller, check_sandbox_mix, is_loopback, probe_sandbox
from orgnb.aws.inventory import collect_inventory
from orgnb.aws.session import AwsContext, make_context
from orgnb.errors import PreflightRefused
from orgnb.input.parameters import load_parameters
from orgnb.sandbox import Sandbox
from tests.conftest import real_looking_profile


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://127.9.0.1", True),
        ("http://localhost:1", True),
        ("http://[::1]:80", True),
        ("https://sts.us-east-1.amazonaws.com", False),
        ("http://10.0.0.1", False),
    ],
)
def test_is_loopback(url: str, expected: bool) -> None:
    assert is_loopback(url) is expected


def test_sandbox_profile_with_its_sandbox_passes(sandbox: Sandbox) -> None:
    assert check_sandbox_mix(make_context("management", "us-east-1")) == sandbox.instance_id
    assert probe_sandbox(sandbox.url) == sandbox.instance_id


def test_sandbox_profile_with_a_real_endpoint_is_refused(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "https://sts.us-east-1.amazonaws.com")
    with pytest.raises(PreflightRefused, match="sandbox profile"):
        check_sandbox_mix(make_context("management", "us-east-1"))
    assert sandbox.calls() == []


def test_sandbox_profile_with_another_local_endpoint_is_refused(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    with pytest.raises(PreflightRefused, match="not that sandbox"):
        check_sandbox_mix(make_context("management", "us-east-1"))


def test_other_credentials_against_the_sandbox_are_refused(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + "Z" * 16)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    ctx = AwsContext(boto3.Session(region_name="us-east-1"), "us-east-1")
    with pytest.raises(PreflightRefused, match="not a sandbox profile"):
        check_sandbox_mix(ctx)
    assert sandbox.calls() == []


def test_real_settings_pass_without_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    ctx = AwsContext(boto3.Session(region_name="us-east-1"), "us-east-1")
    assert check_sandbox_mix(ctx) is None
    assert ctx.counter.total == 0


def test_caller_must_be_the_management_account(sandbox: Sandbox, example_params, tmp_path) -> None:
    inv = collect_inventory(make_context("management", "us-east-1"))
    check_management_caller(load_parameters(example_params), inv)
    other = tmp_path / "p.yaml"
    other.write_text(example_params.read_text().replace('"111122223333"', '"999988887777"'))
    with pytest.raises(PreflightRefused, match="999988887777"):
        check_management_caller(load_parameters(other), inv)


def test_no_network_is_refused_within_seconds_saying_so(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real-looking profile aimed at an address nothing answers (TEST-NET-1): refused fast, not after minutes."""
    import time

    from orgnb.aws.guards import check_reachable

    config = tmp_path / "config"
    real_looking_profile(config, "offline")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://192.0.2.1:9")
    started = time.monotonic()
    with pytest.raises(PreflightRefused, match=r"cannot reach AWS at http://192\.0\.2\.1:9"):
        check_reachable(make_context("offline", "us-east-1"))
    assert time.monotonic() - started < 30


def test_missing_credentials_are_refused_saying_so(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from orgnb.aws.guards import check_reachable

    config = tmp_path / "config"
    config.write_text("[profile empty]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(PreflightRefused, match="no AWS credentials in profile empty"):
        check_reachable(make_context("empty", "us-east-1"))
