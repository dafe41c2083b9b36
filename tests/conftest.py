"""Shared fixtures: one sandbox per test session, reset to its scenario before every test that uses it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from orgnb.sandbox import Sandbox

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


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    with Sandbox("greenfield") as sandbox:
        yield sandbox


def _point_at(sandbox_server: Sandbox, scenario: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Sandbox:
    sandbox_server.reset(scenario)
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in sandbox_server.environ().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ORGNB_REPORTS_DIR", str(tmp_path / "reports"))
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


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a test reach AWS: no instance metadata, no inherited real profile."""
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    if "AWS_ENDPOINT_URL" in os.environ and "orgnb" not in os.environ.get("AWS_CONFIG_FILE", "orgnb"):
        monkeypatch.delenv("AWS_ENDPOINT_URL")
