"""Fault injection: throttling, n-th call failures, latency and refusals, seen by boto3 as AWS's own errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from orgnb.sandbox import Sandbox

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


def faults(sandbox: Sandbox, **spec: object) -> dict:
    return sandbox.admin("faults", dict(spec))


@pytest.fixture(autouse=True)
def _no_faults_left(sandbox_server: Sandbox):
    yield
    faults(sandbox_server)


def client(service: str, config: Config | None = None):
    return boto3.Session(profile_name="management").client(service, region_name="us-east-1", config=config)


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("organizations", lambda c: c.list_roots(), "TooManyRequestsException"),
        ("sts", lambda c: c.get_caller_identity(), "Throttling"),
        ("account", lambda c: c.get_contact_information(), "TooManyRequestsException"),
    ],
)
def test_throttled_calls_look_like_aws_throttling(sandbox: Sandbox, service: str, call, code: str) -> None:
    faults(sandbox, throttle={"*": 1.0})
    with pytest.raises(ClientError) as info:
        call(client(service, NO_RETRY))
    assert info.value.response["Error"]["Code"] == code


@pytest.mark.soak
def test_botocore_retries_through_partial_throttling(sandbox: Sandbox) -> None:
    faults(sandbox, throttle={"sts:GetCallerIdentity": 0.5}, seed=7)
    sts = client("sts", Config(retries={"mode": "standard", "total_max_attempts": 10}))
    for _ in range(4):
        assert sts.get_caller_identity()["Account"] == "111122223333"
    attempts = [c for c in sandbox.calls() if c.operation == "GetCallerIdentity"]
    assert len(attempts) > 4 and {c.status for c in attempts} == {200, 400}


def test_the_nth_call_fails(sandbox: Sandbox) -> None:
    faults(sandbox, fail_nth={"organizations:CreateOrganization": 1})
    org = client("organizations", NO_RETRY)
    with pytest.raises(ClientError) as info:
        org.create_organization(FeatureSet="ALL")
    assert info.value.response["Error"]["Code"] == "ServiceException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert org.create_organization(FeatureSet="ALL")["Organization"]["FeatureSet"] == "ALL", "the second call goes through"


@pytest.mark.parametrize(
    ("service", "call", "code"),
    [
        ("ram", lambda c: c.get_resource_shares(resourceOwner="SELF"), "AccessDeniedException"),  # rest-json
        ("sts", lambda c: c.get_caller_identity(), "AccessDenied"),  # query
        ("organizations", lambda c: c.list_roots(), "AccessDeniedException"),  # json
    ],
)
def test_refused_calls_look_like_a_missing_permission(sandbox: Sandbox, service: str, call, code: str) -> None:
    state = faults(sandbox, refuse=[f"{service}:*"])
    assert state["refuse"] == [f"{service}:*"]
    with pytest.raises(ClientError) as info:
        call(client(service))  # with retries: a refusal is not retried
    assert info.value.response["Error"]["Code"] == code and info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert [c.status for c in sandbox.calls()] == [403]


def test_latency_and_state(sandbox: Sandbox) -> None:
    state = faults(sandbox, latency_ms={"sts:GetCallerIdentity": 200})
    assert state["latency_ms"] == {"sts:GetCallerIdentity": 200}
    started = time.monotonic()
    client("sts").get_caller_identity()
    assert time.monotonic() - started >= 0.2


def test_faults_given_at_start_spare_the_scenario(sandbox: Sandbox) -> None:
    """Faults given at start (`orgnb sandbox --faults`): the brownfield estate is built untouched, then every call is throttled."""
    sandbox.reset("brownfield", faults={"throttle": {"*": 1.0}})
    try:
        assert [c for c in sandbox.calls() if c.operation == "CreateStack"] == []  # the call log starts after seeding
        sts = boto3.Session(profile_name="old-management").client("sts", region_name="us-east-1", config=NO_RETRY)
        with pytest.raises(ClientError) as info:
            sts.get_caller_identity()
        assert info.value.response["Error"]["Code"] == "Throttling"
        sandbox.admin("faults", {})
        orgs = boto3.Session(profile_name="old-management").client("organizations", region_name="us-east-1")
        assert len(orgs.list_accounts()["Accounts"]) == 3  # the old organization was seeded whole
    finally:
        sandbox.reset("greenfield", faults={})


def test_the_faults_option_of_the_sandbox_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`orgnb sandbox --faults FILE` serves with those faults from the start."""
    spec = tmp_path / "faults.json"
    spec.write_text(json.dumps({"throttle": {"sts:GetCallerIdentity": 1.0}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    command = [sys.executable, "-m", "orgnb.cli", "sandbox", "--faults", str(spec), "--profiles-dir", str(tmp_path / "p")]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        lines: list[str] = []
        while not any(line.startswith("profiles:") for line in lines) and server.poll() is None:
            lines.append(server.stdout.readline().strip())
        for key, value in (line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export ")):
            monkeypatch.setenv(key, value)
        sts = boto3.Session(profile_name="management").client("sts", region_name="us-east-1", config=NO_RETRY)
        with pytest.raises(ClientError) as info:
            sts.get_caller_identity()
        assert info.value.response["Error"]["Code"] == "Throttling"
    finally:
        server.terminate()
        server.wait(timeout=30)
