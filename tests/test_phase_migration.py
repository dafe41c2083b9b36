"""Phase 05 on the brownfield estate: the three paths, the payment-method stop and resume, no duplicate invitation."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from orgnb.errors import ApplyRefused, OperatorActionPending
from orgnb.inventory import Account, CallerIdentity, Inventory
from orgnb.parameters import load_parameters
from orgnb.phases.catalog import apply_phase
from orgnb.phases.migration import plan_migration, read_migration, standalone_windows
from orgnb.runbook import PhaseRun, start_phase
from orgnb.sandbox import Sandbox
from tests.conftest import write_params
from tests.estates import BROWNFIELD, OLD_MEMBER_B, add_payment_method, prepare

STANDALONE, MEMBER_A, MEMBER_B, OLD_MGMT = "222233334444", "444455556666", "555566667777", "333344445555"


def planned(tmp_path: Path, params: Path = BROWNFIELD, name: str = "run") -> PhaseRun:
    run = start_phase("migration", str(params), apply=True, record_dir=str(tmp_path / "reports" / f"{name}-migration"))
    run.read_inventory(read_migration)
    run.make_plan(plan_migration)
    return run


def applied(run: PhaseRun) -> PhaseRun:
    run.apply()
    run.verify(plan_migration)
    return run


def iam_of(profile: str) -> object:
    return boto3.Session(profile_name=profile).client("iam", region_name="us-east-1")


def organization_of(profile: str) -> str:
    return (
        boto3.Session(profile_name=profile).client("organizations", region_name="us-east-1").describe_organization()["Organization"]["Id"]
    )


def test_a_refused_leave_waits_for_the_operator_and_a_rerun_finishes(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration", sandbox=brownfield)
    add_payment_method(brownfield, OLD_MEMBER_B[1], present=False)
    old_org = organization_of("old-management")
    first = planned(tmp_path, name="1")
    groups = [s.group for s in first.plan.steps if s.group]
    assert groups.index(MEMBER_A) < groups.index(STANDALONE) < groups.index(OLD_MGMT)  # members, standalone, old management
    assert {s.id for s in first.plan.steps if s.irreversible} == {
        f"leave:{MEMBER_A}",
        f"leave:{MEMBER_B}",
        f"delete-organization:{OLD_MGMT}",
    }
    applied(first)
    assert first.outcome == "pending" and list(first.result.awaiting) == [f"leave:{MEMBER_B}"]
    assert "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED" in first.result.awaiting[f"leave:{MEMBER_B}"]
    assert "add a payment method" in first.result.awaiting[f"leave:{MEMBER_B}"]
    assert all(step.endswith(OLD_MGMT) or step.endswith(MEMBER_B) for step in first.result.skipped)
    with pytest.raises(OperatorActionPending):
        first.summary()
    new_org = first.inventory.organization.id
    assert organization_of("old-member-a") == new_org and organization_of("standalone") == new_org
    assert organization_of("old-member-b") == old_org  # stopped cleanly, still where it was

    trust = json.dumps(iam_of("old-member-a").get_role(RoleName="ci-deployer")["Role"]["AssumeRolePolicyDocument"])
    assert new_org in trust and old_org not in trust  # rewritten from inside once it had joined
    assert f"rewrite:s3-bucket-policy:legacy-prod-artifacts:{MEMBER_A}" in first.result.applied

    add_payment_method(brownfield, OLD_MEMBER_B[1])
    second = applied(planned(tmp_path, name="2"))
    assert second.outcome == "applied" and not second.result.failed
    for profile in ("standalone", "old-member-a", "old-member-b", "old-management"):
        assert organization_of(profile) == new_org
    places = {a.id: a.ou_path for a in second.inventory.accounts}
    assert places[STANDALONE] == "Sandbox" and places[MEMBER_A] == places[MEMBER_B] == places[OLD_MGMT] == "Workloads/Prod"
    invites = Counter(h.target for h in second.inventory.handshakes if h.action == "INVITE")
    assert set(invites.values()) == {1}  # one invitation per account, never a duplicate
    windows = standalone_windows(second.params, second.inventory, tmp_path / "reports").set_index("account")
    assert set(windows.index) == {MEMBER_A, MEMBER_B} and set(windows.status) == {"OK"}

    writes = len(brownfield.calls(writes_only=True))
    third = apply_phase("migration", BROWNFIELD, tmp_path / "reports" / "3-migration")
    assert (third.outcome, third.ctx.counter.write_total, len(brownfield.calls(writes_only=True))) == ("no-changes", 0, writes)


def test_without_a_profile_the_owner_must_accept_and_no_second_invitation_is_sent(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration", sandbox=brownfield)
    text = BROWNFIELD.read_text().replace("    profile: standalone\n", "")
    params = write_params(tmp_path, text)
    first = planned(tmp_path, params, "1")
    assert [s.id for s in first.plan.steps if s.group == STANDALONE] == [f"invite:{STANDALONE}"]  # moved once it has joined
    assert any("owner must accept" in a for a in first.plan.awaiting)
    applied(first)
    assert first.outcome == "pending"
    second = planned(tmp_path, params, "2")
    assert [s.id for s in second.plan.steps if s.group == STANDALONE] == []
    pending = [h for h in second.inventory.handshakes if h.action == "INVITE" and STANDALONE in h.target]
    assert [h.state for h in pending] == ["OPEN"] and pending[0].id in second.plan.awaiting[0]


def test_irreversible_steps_need_their_accounts_confirmed(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration", sandbox=brownfield)
    params = write_params(tmp_path, BROWNFIELD.read_text().split("confirm_irreversible:")[0])
    run = planned(tmp_path, params)
    writes = len(brownfield.calls(writes_only=True))
    with pytest.raises(ApplyRefused, match="confirm_irreversible"):
        run.apply()
    assert len(brownfield.calls(writes_only=True)) == writes


def test_an_old_management_account_waits_for_members_the_parameters_do_not_move(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration", sandbox=brownfield)
    text = BROWNFIELD.read_text()
    start = text.index('  - account_id: "555566667777"')
    params = write_params(tmp_path, text[:start] + text[text.index("\nold_managements:") + 1 :])
    run = planned(tmp_path, params)
    assert not [s for s in run.plan.steps if s.group == OLD_MGMT]
    assert any(f"{OLD_MGMT} manages" in a and MEMBER_B in a for a in run.plan.awaiting)


def test_a_standalone_window_past_a_day_is_flagged(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    record = tmp_path / "20260101T000000Z-migration"
    record.mkdir()
    left = {
        "event": "done",
        "step": f"leave:{MEMBER_A}",
        "result": {"left_at": (now - timedelta(hours=30)).isoformat(), "left_org": "o-old"},
    }
    gone = {
        "event": "done",
        "step": f"leave:{MEMBER_B}",
        "result": {"left_at": (now - timedelta(hours=2)).isoformat(), "left_org": "o-old"},
    }
    record.joinpath("journal.jsonl").write_text("\n".join(json.dumps(e) for e in (left, gone)) + "\n")
    joined = Account(MEMBER_A, "arn", "Legacy prod", "a@example.com", "ACTIVE", "INVITED", now, "r-abcd", "")
    inventory = Inventory(CallerIdentity("111122223333", "arn:aws:iam::111122223333:user/operator", "AIDA"), None, accounts=(joined,))
    windows = standalone_windows(load_parameters(BROWNFIELD), inventory, tmp_path).set_index("account")
    assert windows.loc[MEMBER_A, "status"] == "WARN" and windows.loc[MEMBER_A, "hours"] >= 30
    assert windows.loc[MEMBER_B, "status"] == "standing alone"  # left two hours ago, not joined yet
