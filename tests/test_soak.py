"""Soak cases (issue 8), run by `make soak` and .ci/run: throttling, idempotency on both scenarios, no way to AWS,
pre-flight refusals and the apply lease, each through the real notebooks in a real kernel."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ProfileNotFound

from orgnb.aws.policyrewrite import policy_documents
from orgnb.aws.session import make_context
from orgnb.commands.rehearsal import run_phases
from orgnb.commands.runner import patched_environ, run_phase
from orgnb.engine.lease import EXPIRES, HOLDER, RUN
from orgnb.errors import ExitCode
from orgnb.phases.memberrole import read_role_trust
from orgnb.phases.registry import PHASES
from orgnb.sandbox import Sandbox
from tests.conftest import real_looking_profile

pytestmark = pytest.mark.soak

ROOT = Path(__file__).resolve().parent.parent
BROWNFIELD = ROOT / "parameters" / "brownfield.yaml"
EXAMPLE = ROOT / "parameters" / "example.yaml"
PHASE_NAMES = [p.name for p in PHASES if p.implemented]
MOVED_PROFILES = ("standalone", "old-member-a", "old-member-b", "old-management")
# 30 % of calls throttled, and 30 % of Organizations' List calls answered with an empty page and a NextToken (as its
# List* documentation warns AWS may): the runbook must read through both.
THROTTLED = {"throttle": {"*": 0.3}, "empty_page": {"organizations:*": 0.3}, "latency_ms": {"*": 5}, "seed": 3}


def end_state() -> dict[str, Any]:
    """The organization as the management account sees it: each account's name and OU path by root email (created
    accounts' ids depend on the order of calls, which retries change), and the OU paths."""
    org = boto3.Session(profile_name="management").client("organizations", region_name="us-east-1")
    root = org.list_roots()["Roots"][0]["Id"]
    accounts: dict[str, tuple[str, str]] = {}
    ous: list[str] = []

    def walk(parent: str, path: str) -> None:
        for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent):
            accounts.update({a["Email"].lower(): (a["Name"], path) for a in page["Accounts"]})
        for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent):
            for ou in page["OrganizationalUnits"]:
                ous.append(f"{path}/{ou['Name']}".lstrip("/"))
                walk(ou["Id"], ous[-1])

    walk(root, "")
    return {"accounts": accounts, "ous": sorted(ous), "inside": inside_accounts(org.describe_organization()["Organization"]["Id"])}


def inside_accounts(new_org: str) -> dict[str, Any]:
    """Inside each account the scenario brings in: the policies naming an organization (the new one as NEW, any other
    as OLD) and whom its OrganizationAccountAccessRole trusts."""
    found: dict[str, Any] = {}
    for profile in MOVED_PROFILES:
        try:
            ctx = make_context(profile, "us-east-1")
        except ProfileNotFound:  # greenfield has none
            continue
        documents = [
            (kind, re.sub(r"\bo-[a-z0-9]{10,32}\b", "OLD", doc.replace(new_org, "NEW")))
            for kind, _, doc in policy_documents(ctx)
            if "o-" in doc
        ]
        found[profile] = {"policies": sorted(documents), "member_role": read_role_trust(ctx).describe()}
    return found


def finished(results: list[Any]) -> list[str]:
    """The last outcome of each phase (a pending phase run again after the operator's fix counts once)."""
    return [r.outcome for r in {r.phase: r for r in results}.values()]


def test_throttled_rehearsal_with_empty_pages_reaches_the_same_end_state_and_a_rerun_writes_nothing(
    brownfield: Sandbox, tmp_path: Path
) -> None:
    clean = run_phases(brownfield, BROWNFIELD, tmp_path / "clean")
    assert finished(clean) == ["audited", *["applied"] * (len(PHASE_NAMES) - 1)]
    expected = end_state()
    brownfield.reset("brownfield", faults=THROTTLED)
    throttled = run_phases(brownfield, BROWNFIELD, tmp_path / "throttled")
    assert finished(throttled) == finished(clean), [(r.phase, r.outcome, r.error) for r in throttled]
    refused = [c for c in brownfield.calls() if c.status in (400, 429)]
    assert len(refused) > 0.2 * len(brownfield.calls()), "about 30 % of calls were throttled"
    assert sum(brownfield.admin("faults")["emptied"].values()) > 10, "Organizations answered empty pages"
    brownfield.admin("faults", {})
    assert end_state() == expected
    for phase in PHASE_NAMES:  # idempotency on brownfield: every phase again, zero writes
        again = run_phase(phase, BROWNFIELD, apply=True, reports_dir=tmp_path / "again")
        assert (again.exit_code, again.writes) == (ExitCode.OK, 0), (phase, again.outcome, again.error)


def test_every_phase_twice_on_greenfield_writes_nothing_the_second_time(sandbox: Sandbox, tmp_path: Path) -> None:
    first = run_phases(sandbox, EXAMPLE, tmp_path / "first")
    assert [r.exit_code for r in first] == [ExitCode.OK] * len(PHASE_NAMES), [(r.phase, r.outcome, r.error) for r in first]
    writes = len(sandbox.calls(writes_only=True))
    for phase in PHASE_NAMES:
        again = run_phase(phase, EXAMPLE, apply=True, reports_dir=tmp_path / "again")
        assert (again.exit_code, again.writes) == (ExitCode.OK, 0), (phase, again.outcome, again.error)
    assert len(sandbox.calls(writes_only=True)) == writes


@pytest.mark.parametrize("phase", PHASE_NAMES)
def test_no_way_to_aws_fails_within_30_seconds_saying_so(phase: str, tmp_path: Path) -> None:
    config = tmp_path / "config"
    real_looking_profile(config, "management")
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_ENDPOINT_URL": "http://192.0.2.1:9"}
    started = time.monotonic()
    with patched_environ(env):
        result = run_phase(phase, EXAMPLE, apply=True, reports_dir=tmp_path / "reports")
    assert time.monotonic() - started < 30
    assert result.exit_code == ExitCode.REFUSED and "cannot reach AWS at http://192.0.2.1:9" in result.error, result.error


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"organization": {"profile": "nobody"}}, "nobody"),
        ({"organization": {"management_account_id": "999988887777"}}, "999988887777"),
    ],
    ids=["profile-that-does-not-exist", "wrong-management-account"],
)
def test_preflight_refusals_exit_3_without_writes(sandbox: Sandbox, tmp_path: Path, edit: dict[str, Any], message: str) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    for key, value in edit.items():
        data[key].update(value)
    params = tmp_path / "p.yaml"
    params.write_text(yaml.safe_dump(data))
    for phase in ("organization-init", "account-creation"):
        result = run_phase(phase, params, apply=True, reports_dir=tmp_path / "reports")
        assert result.exit_code == ExitCode.REFUSED and message in result.error, result.error
    assert sandbox.calls(writes_only=True) == []


def test_a_second_apply_while_the_lease_is_held_exits_3(sandbox: Sandbox, tmp_path: Path) -> None:
    org = boto3.Session(profile_name="management").client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    until = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    tags = {HOLDER: "arn:aws:iam::111122223333:user/ci", RUN: "20261128T120000Z-account-creation", EXPIRES: until}
    org.tag_resource(ResourceId=root, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    writes = len(sandbox.calls(writes_only=True))
    result = run_phase("root-centralization", EXAMPLE, apply=True, reports_dir=tmp_path / "reports")
    assert result.exit_code == ExitCode.REFUSED and "LeaseHeld" in result.error and "20261128T120000Z-account-creation" in result.error
    assert len(sandbox.calls(writes_only=True)) == writes and result.writes == 0
