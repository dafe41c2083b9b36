"""The apply lease on the organization's root: a second run is refused while one applies; a stale lease is taken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

import orgnb
from orgnb.aws.session import make_context
from orgnb.cli import main
from orgnb.engine import lease as lease_module
from orgnb.engine.lease import EXPIRES, HOLDER, RUN, RootLease, read_lease
from orgnb.errors import ApplyRefused, ExitCode, LeaseHeld, exit_code_for
from orgnb.runbook import PhaseRun
from orgnb.sandbox import Sandbox

OTHER = "arn:aws:iam::111122223333:user/ci"


def organization_root() -> str:
    """Create the Organization by hand (so phase 02 still has contacts to set) and return its root id."""
    org = boto3.Session(profile_name="management").client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    return org.list_roots()["Roots"][0]["Id"]


def hold(root: str, run: str, expires: datetime) -> None:
    org = boto3.Session(profile_name="management").client("organizations", region_name="us-east-1")
    tags = [{"Key": HOLDER, "Value": OTHER}, {"Key": RUN, "Value": run}, {"Key": EXPIRES, "Value": expires.isoformat()}]
    org.tag_resource(ResourceId=root, Tags=tags)


def phase02(params: Path, folder: Path) -> PhaseRun:
    run = orgnb.start_phase("organization-init", str(params), apply=True, record_dir=str(folder))
    run.read()
    run.plan()
    return run


def test_a_live_lease_refuses_a_second_apply_before_any_write(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    root = organization_root()
    hold(root, "20261128T120000Z-account-creation", datetime.now(UTC) + timedelta(minutes=20))
    run = phase02(example_params, tmp_path / "rec")
    writes = len(sandbox.calls(writes_only=True))
    with pytest.raises(LeaseHeld, match=f"run 20261128T120000Z-account-creation by {OTHER} is applying"):
        run.apply()
    assert len(sandbox.calls(writes_only=True)) == writes and run.ctx.counter.write_total == 0
    assert exit_code_for("LeaseHeld") == ExitCode.REFUSED


def test_a_stale_lease_is_taken_over_and_given_back(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    root = organization_root()
    hold(root, "20261128T090000Z-migration", datetime.now(UTC) - timedelta(minutes=1))
    run = phase02(example_params, tmp_path / "rec")
    result = run.apply()
    assert result is not None and not result.failed and run.outcome == "applied"
    assert read_lease(make_context("management", "us-east-1"), root) is None
    events = [e["event"] for e in run.journal.entries()]
    assert events.index("lease-taken") < events.index("begin") and events[-1] == "lease-released"
    assert run.ctx.counter.write_total == len(run.planned.steps)  # the lease's tag calls are not counted as the plan's writes


def test_the_lease_renews_only_when_half_is_gone(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    root = organization_root()
    ctx = make_context("management", "us-east-1")
    clock = [datetime(2026, 11, 28, 12, 0, tzinfo=UTC)]
    monkeypatch.setattr(lease_module, "_now", lambda: clock[0])
    lease = RootLease(ctx, root, OTHER, "20261128T120000Z-migration")
    lease.acquire()
    first = lease.expires
    clock[0] += lease_module.TTL / 3
    lease.renew_if_due()
    assert lease.expires == first
    clock[0] += lease_module.TTL / 3
    lease.renew_if_due()
    assert lease.expires == clock[0] + lease_module.TTL and read_lease(ctx, root).expires == lease.expires
    assert lease.release() and read_lease(ctx, root) is None
    tags = [c.operation for c in sandbox.calls(writes_only=True) if c.operation in ("TagResource", "UntagResource")]
    assert tags == ["TagResource", "TagResource", "UntagResource"]


def test_a_run_that_outlived_its_lease_stops_at_the_next_step(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    root = organization_root()
    ctx = make_context("management", "us-east-1")
    clock = [datetime.now(UTC)]
    monkeypatch.setattr(lease_module, "_now", lambda: clock[0])
    mine = RootLease(ctx, root, OTHER, "20261128T120000Z-migration")
    mine.acquire()
    clock[0] += lease_module.TTL * 2  # this run stalled past its lease; another took it over
    RootLease(ctx, root, OTHER, "20261128T130000Z-account-creation").acquire()
    with pytest.raises(LeaseHeld, match="20261128T130000Z-account-creation"):
        mine.renew_if_due()
    assert not mine.release() and read_lease(ctx, root).run == "20261128T130000Z-account-creation"


def test_a_plan_made_stale_by_another_run_is_refused(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    organization_root()
    run = phase02(example_params, tmp_path / "rec")
    org = boto3.Session(profile_name="management").client("organizations", region_name="us-east-1")
    org.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")  # another run applied part of it meanwhile
    with pytest.raises(ApplyRefused, match="AWS changed since plan"):
        run.apply()
    assert run.ctx.counter.write_total == 0


def test_the_lease_of_a_run_that_died_can_be_broken_by_naming_it(
    sandbox: Sandbox, example_params: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = organization_root()
    hold(root, "20261128T120000Z-migration", datetime.now(UTC) + timedelta(minutes=20))
    assert main(["lease", "show", "-f", str(example_params)]) == 0
    assert "run: 20261128T120000Z-migration" in capsys.readouterr().out
    assert main(["lease", "break", "-f", str(example_params), "--run", "20261128T130000Z-migration"]) == ExitCode.REFUSED
    assert "belongs to run 20261128T120000Z-migration" in capsys.readouterr().err
    assert main(["lease", "break", "-f", str(example_params), "--run", "20261128T120000Z-migration"]) == 0
    assert "removed: True" in capsys.readouterr().out
    assert read_lease(make_context("management", "us-east-1"), root) is None
