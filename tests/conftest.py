"""Shared fixtures: one sandbox per test session, reset to its scenario before every test that uses it."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from orgnb.sandbox import Sandbox
from orgnb.switches import HEADLESS_ENV, REPORTS_ENV
from tests.estates import prepare

_SAVED_ENV = pytest.StashKey[dict[str, str | None]]()

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "parameters" / "example.yaml"
# What phase 02 plans for example.yaml on a fresh greenfield account, in order.
GREENFIELD_STEPS = [
    "account-name",
    "contact-information",
    "alternate-contact:billing",
    "alternate-contact:operations",
    "alternate-contact:security",
    "create-organization",
    "trusted-access:account.amazonaws.com",
]
GREENFIELD_WRITES = [
    "PutAccountName",
    "PutContactInformation",
    "PutAlternateContact",
    "PutAlternateContact",
    "PutAlternateContact",
    "CreateOrganization",
    "EnableAWSServiceAccess",
]


_SESSION: dict[str, Sandbox] = {}
SNAPSHOTS = ROOT / "tests" / "snapshots"


def session_sandbox() -> Sandbox:
    """The one sandbox of this test session (moto's state is per process), started on first use."""
    if "sandbox" not in _SESSION:
        _SESSION["sandbox"] = Sandbox("greenfield").start()
    return _SESSION["sandbox"]


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "sandbox" in _SESSION:
        _SESSION.pop("sandbox").stop()


@pytest.fixture(scope="session")
def sandbox_server() -> Sandbox:
    return session_sandbox()


def _is_snapshot_cell(item: pytest.Item) -> bool:
    return Path(str(item.fspath)).parent == SNAPSHOTS and item.fspath.ext == ".ipynb"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """nbval re-runs each snapshot on a fresh brownfield sandbox, brought to the phase's starting estate first.

    Before a snapshot's first cell the sandbox is reset and `tests.estates.prepare` applies what the earlier phases
    would have (the same call `make snapshots` makes), so every snapshot stays runnable alone, in any order and in
    any pytest-xdist worker (`--dist loadfile`).
    """
    if not _is_snapshot_cell(item):
        return
    sandbox = session_sandbox()
    env = {**sandbox.environ(), HEADLESS_ENV: "1"}
    item.stash[_SAVED_ENV] = {k: os.environ.get(k) for k in [*env, REPORTS_ENV]}
    os.environ.update(env)
    if _SESSION.get("snapshot-file") != item.fspath:
        sandbox.reset("brownfield")
        _SESSION["snapshot-file"] = item.fspath  # type: ignore[assignment]
        _SESSION["reports"] = Path(tempfile.mkdtemp(prefix="orgnb-snapshots-"))  # type: ignore[assignment]
        with contextlib.redirect_stdout(io.StringIO()):
            prepare(Path(str(item.fspath)).stem[3:])
    os.environ[REPORTS_ENV] = str(_SESSION["reports"])


def pytest_runtest_teardown(item: pytest.Item) -> None:
    for key, value in item.stash.get(_SAVED_ENV, {}).items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _point_at(sandbox_server: Sandbox, scenario: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Sandbox:
    sandbox_server.reset(scenario, faults={})  # a test that injected faults must not leave them to the next
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in sandbox_server.environ().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(REPORTS_ENV, str(tmp_path / "reports"))
    return sandbox_server


@pytest.fixture
def sandbox(sandbox_server: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Sandbox:
    """A freshly reset greenfield sandbox, with the environment pointing at it."""
    return _point_at(sandbox_server, "greenfield", monkeypatch, tmp_path)


@pytest.fixture
def brownfield(sandbox_server: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Sandbox:
    """A freshly reset brownfield sandbox, with the environment pointing at it."""
    return _point_at(sandbox_server, "brownfield", monkeypatch, tmp_path)


@pytest.fixture
def example_params() -> Path:
    return EXAMPLE


def write_params(tmp_path: Path, text: str) -> Path:
    """Write a parameters file and return its path."""
    path = tmp_path / "params.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def created_account(org: Any, **request: Any) -> str:
    """CreateAccount, then DescribeCreateAccountStatus until the request has ended, as the runbook waits for it; the
    new account's id (the request must succeed)."""
    request_id = org.create_account(**request)["CreateAccountStatus"]["Id"]
    status = org.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]
    while status["State"] == "IN_PROGRESS":
        time.sleep(0.05)
        status = org.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED", status
    return str(status["AccountId"])


def real_looking_profile(config: Path, name: str) -> Path:
    """An AWS config file with one non-sandbox profile holding made-up static keys (generated, never committed)."""
    key_id = "AKIA" + secrets.token_hex(8).upper()
    config.write_text(
        f"[profile {name}]\nregion = us-east-1\naws_access_key_id = {key_id}\naws_secret_access_key = {secrets.token_hex(20)}\n"
    )
    return config


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a test reach AWS through instance metadata (the sandbox fixtures set everything else)."""
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
