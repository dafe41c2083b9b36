"""Phase 05 on the brownfield estate: direct transfer, the leave path stopped by an SCP and resumed, no duplicate invitation."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from orgnb.aws.capacity import AccountQuota
from orgnb.aws.inventory import CallerIdentity, Inventory, Organization, caller_identity
from orgnb.aws.session import make_context
from orgnb.aws.treewalk import Account
from orgnb.engine.apply import ApplyResult, StepLog
from orgnb.engine.history import FACTS, Fact, FactKind, History
from orgnb.engine.journal import Journal
from orgnb.engine.plan import Action, Step
from orgnb.errors import OperatorActionPending
from orgnb.evidence import records
from orgnb.evidence.stops import read_stops
from orgnb.input.parameters import Transfer, load_parameters
from orgnb.phases.migration import MigrationInventory, MigrationState, MovingAccount, plan_migration, standalone_windows
from orgnb.runbook import PhaseRun, apply_phase, start_phase
from orgnb.sandbox import Sandbox
from tests.conftest import write_params
from tests.estates import BROWNFIELD, client, prepare
from tests.test_aws_failures import invitations_to

STANDALONE, MEMBER_A, MEMBER_B, OLD_MGMT = "222233334444", "444455556666", "555566667777", "333344445555"


def planned(tmp_path: Path, params: Path = BROWNFIELD, name: str = "run") -> PhaseRun:
    run = start_phase("migration", str(params), apply=True, record_dir=str(tmp_path / "reports" / f"{name}-migration"))
    run.read()
    run.plan()
    return run


def applied(run: PhaseRun) -> PhaseRun:
    run.apply()
    run.verify()
    return run


def iam_of(profile: str) -> object:
    return boto3.Session(profile_name=profile).client("iam", region_name="us-east-1")


def organization_of(profile: str) -> str:
    return (
        boto3.Session(profile_name=profile).client("organizations", region_name="us-east-1").describe_organization()["Organization"]["Id"]
    )


def test_members_move_by_direct_transfer_and_nothing_stops_working_in_between(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration")
    old_org = organization_of("old-management")
    first = planned(tmp_path, name="1")
    steps = list(first.planned.steps)
    assert not [s for s in steps if s.action == Action.LEAVE_ORGANIZATION]
    assert {s.id for s in steps if s.irreversible} == {f"delete-organization:{OLD_MGMT}"}
    groups = [s.group for s in steps if s.action == Action.ACCEPT_INVITATION]
    assert groups == [MEMBER_A, MEMBER_B, STANDALONE, OLD_MGMT]  # members, standalone, old management last
    accepts = [i for i, s in enumerate(steps) if s.action == Action.ACCEPT_INVITATION]
    widen = [i for i, s in enumerate(steps) if s.action == Action.WIDEN_POLICY]
    narrow = [i for i, s in enumerate(steps) if s.action == Action.NARROW_POLICY]
    assert len(widen) == len(narrow) == 3 and max(widen) < min(accepts) and max(accepts) < min(narrow)
    assert {s.target for s in steps if s.action == Action.REPOINT_MEMBER_ROLE} == {MEMBER_A, MEMBER_B}

    applied(first)
    assert first.outcome == "applied" and not first.result.failed and not first.result.awaiting
    assert not [c for c in brownfield.calls() if c.operation == "LeaveOrganization"]
    new_org = first.inventory.organization.id
    for profile in ("standalone", "old-member-a", "old-member-b", "old-management"):
        assert organization_of(profile) == new_org
    places = {a.id: a.ou_path for a in first.inventory.accounts}
    assert places[STANDALONE] == "Sandbox" and places[MEMBER_A] == places[MEMBER_B] == places[OLD_MGMT] == "Workloads/Prod"
    trust = json.dumps(iam_of("old-member-a").get_role(RoleName="ci-deployer")["Role"]["AssumeRolePolicyDocument"])
    assert new_org in trust and old_org not in trust
    done = [e["step"] for e in first.journal.entries() if e["event"] == "done"]
    # the trust named both organizations while the member moved, and the new one alone once the old one was gone
    assert done.index(f"widen:iam-role-trust:ci-deployer:{MEMBER_A}") < done.index(f"accept:{MEMBER_A}")
    assert done.index(f"accept:{OLD_MGMT}") < done.index(f"narrow:iam-role-trust:ci-deployer:{MEMBER_A}")
    tags = client("management", "organizations").list_tags_for_resource(ResourceId=MEMBER_B)["Tags"]
    assert {"Key": "orgnb:moved-from", "Value": old_org} in tags  # where it came from, kept by AWS on the account
    invites = Counter(h.target for h in first.inventory.handshakes if h.action == "INVITE")
    assert set(invites.values()) == {1}  # one invitation per account, never a duplicate

    writes = len(brownfield.calls(writes_only=True))
    second = apply_phase("migration", BROWNFIELD, tmp_path / "reports" / "2-migration")
    assert (second.outcome, second.ctx.counter.write_total, len(brownfield.calls(writes_only=True))) == ("no-changes", 0, writes)


def test_a_moved_members_role_trusts_the_new_management_account_only(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration")
    management = make_context("management", "us-east-1")
    with pytest.raises(ClientError, match="AccessDenied"):
        management.inside(MEMBER_A)  # before: its role trusts the old management account alone
    applied(planned(tmp_path))
    assert caller_identity(management.inside(MEMBER_A)).account_id == MEMBER_A
    with pytest.raises(ClientError, match="AccessDenied"):
        make_context("old-management", "us-east-1").inside(MEMBER_A)


def test_transfer_leave_names_the_denying_scp_waits_and_resumes_once_it_is_lifted(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration")
    text = BROWNFIELD.read_text().replace("    profile: old-member-a\n", "    profile: old-member-a\n    transfer: leave\n")
    params = write_params(tmp_path, text)
    first = planned(tmp_path, params, "1")
    [waits] = [a for a in first.planned.awaiting if a.startswith(MEMBER_A)]
    assert "deny-leave" in waits and "transition OU" in waits
    assert not [s for s in first.planned.steps if s.group == MEMBER_A], "nothing is done before a refusal AWS is sure to give"
    applied(first)
    assert first.outcome == "pending"
    old_org = organization_of("old-management")
    assert organization_of("old-member-a") == old_org and organization_of("old-member-b") != old_org  # the others went on
    old = client("old-management", "organizations")
    assert old.list_delegated_services_for_account(AccountId=MEMBER_A)["DelegatedServices"], "still its GuardDuty administrator"

    # the old organization's change control lifts the SCP
    deny_leave = next(p["Id"] for p in old.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"] if p["Name"] == "deny-leave")
    old.detach_policy(PolicyId=deny_leave, TargetId=old.list_roots()["Roots"][0]["Id"])
    second = planned(tmp_path, params, "2")
    assert f"leave:{MEMBER_A}" in {s.id for s in second.planned.steps if s.irreversible}
    applied(second)
    assert second.outcome == "applied" and organization_of("old-member-a") == organization_of("management")
    assert Counter(h.target for h in second.inventory.handshakes if h.action == "INVITE")[MEMBER_A] == 1  # no duplicate
    windows = standalone_windows(second.params, second.inventory, second.history).set_index("account")
    assert list(windows.index) == [MEMBER_A] and windows.loc[MEMBER_A, "status"] == "OK"


def test_an_old_management_account_waits_while_a_member_cannot_move_in_this_run(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration")
    params = write_params(tmp_path, BROWNFIELD.read_text().replace("    profile: old-member-b\n", ""))  # its owner accepts
    run = planned(tmp_path, params)
    assert not [s for s in run.planned.steps if s.group == OLD_MGMT] and not [
        s for s in run.planned.steps if s.action == Action.NARROW_POLICY
    ]
    assert any(a.startswith(OLD_MGMT) and MEMBER_B in a for a in run.planned.awaiting)
    applied(run)
    assert run.outcome == "pending" and organization_of("old-management") == organization_of("old-member-b")  # not deleted


def test_without_a_profile_the_owner_must_accept_and_no_second_invitation_is_sent(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration")
    text = BROWNFIELD.read_text().replace("    profile: standalone\n", "")
    params = write_params(tmp_path, text)
    first = planned(tmp_path, params, "1")
    assert [s.id for s in first.planned.steps if s.group == STANDALONE] == [f"invite:{STANDALONE}"]  # moved once it has joined
    assert any("owner must accept" in a for a in first.planned.awaiting)
    applied(first)
    assert first.outcome == "pending"
    second = planned(tmp_path, params, "2")
    assert [s.id for s in second.planned.steps if s.group == STANDALONE] == []
    pending = [h for h in second.inventory.handshakes if h.action == "INVITE" and STANDALONE in h.target]
    assert [h.state for h in pending] == ["OPEN"] and pending[0].id in second.planned.awaiting[0]


def test_an_unconfirmed_organization_deletion_is_shown_held_and_applied_once_confirmed(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration")
    params = write_params(tmp_path, BROWNFIELD.read_text().split("confirm_irreversible:")[0])
    run = planned(tmp_path, params)
    delete = f"delete-organization:{OLD_MGMT}"
    hold = f"needs confirmation: add {OLD_MGMT} to confirm_irreversible"
    assert run.planned.frame().set_index("step").loc[delete, "irreversible"] == hold
    applied(run)
    assert run.outcome == "pending" and list(run.result.awaiting) == [delete]
    with pytest.raises(OperatorActionPending):  # exit 4
        run.summary()
    [stop] = [s for s in read_stops(records.read_status(run.record_dir)) if s.step == delete]
    assert (stop.target, stop.remedy) == (OLD_MGMT, f"add {OLD_MGMT} to confirm_irreversible")
    assert f"accept:{OLD_MGMT}" in run.result.skipped  # its group waits, and so do the narrowings after it
    assert f"invite:{OLD_MGMT}" in run.result.skipped, "not even invited: nothing is done toward an unconfirmed move"
    assert not invitations_to(OLD_MGMT), "no invitation spends the day's limit for it"
    assert not [s for s in run.result.applied if s.startswith("narrow:")]
    old_org = organization_of("old-management")
    assert old_org != run.inventory.organization.id  # not deleted, still its own organization
    for profile in ("standalone", "old-member-a", "old-member-b"):  # the rest of the plan went on
        assert organization_of(profile) == run.inventory.organization.id

    confirmed = applied(planned(tmp_path, name="2"))
    assert confirmed.outcome == "applied" and delete in confirmed.result.applied
    assert organization_of("old-management") == confirmed.inventory.organization.id


def test_an_old_management_account_waits_for_members_the_parameters_do_not_move(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration")
    text = BROWNFIELD.read_text()
    start = text.index('  - account_id: "555566667777"')
    params = write_params(tmp_path, text[:start] + text[text.index("\nold_managements:") + 1 :])
    run = planned(tmp_path, params)
    assert not [s for s in run.planned.steps if s.group == OLD_MGMT]
    assert any(f"{OLD_MGMT} manages" in a and MEMBER_B in a for a in run.planned.awaiting)


def test_a_standalone_window_past_a_day_is_flagged(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    journal = Journal(tmp_path / "20260102T000000Z-migration" / "journal.jsonl", "20260102T000000Z-migration", "migration")
    log = StepLog(journal, ApplyResult("h"))  # what the leave executor returns, journaled by the apply
    step = Step(f"leave:{MEMBER_A}", Action.LEAVE_ORGANIZATION, MEMBER_A, "leave")
    log.done(step, {"left_org": "o-old", FACTS: [Fact(FactKind.LEFT_ORGANIZATION, MEMBER_A, "o-old", now - timedelta(hours=30))]})
    assert "facts" not in log.result.results[step.id]
    # a leave journaled by a kit before facts existed: its done result held left_at, its begin the account
    old = Journal(tmp_path / "20260101T000000Z-migration" / "journal.jsonl", "20260101T000000Z-migration", "migration")
    old.write("begin", plan="h", step="leave-b", action=Action.LEAVE_ORGANIZATION.value, target=MEMBER_B, params={})
    old.write("done", plan="h", step="leave-b", result={"left_at": (now - timedelta(hours=2)).isoformat(), "left_org": "o-old"})
    joined = Account(MEMBER_A, "arn", "Legacy prod", "a@example.com", "ACTIVE", "INVITED", now, "r-abcd", "")
    inventory = Inventory(CallerIdentity("111122223333", "arn:aws:iam::111122223333:user/operator", "AIDA"), None, accounts=(joined,))
    windows = standalone_windows(load_parameters(BROWNFIELD), inventory, History(tmp_path)).set_index("account")
    assert windows.loc[MEMBER_A, "status"] == "WARN" and windows.loc[MEMBER_A, "hours"] >= 30
    assert windows.loc[MEMBER_B, "status"] == "standing alone"  # left two hours ago, not joined yet
    assert standalone_windows(load_parameters(BROWNFIELD), inventory, History(tmp_path / "elsewhere")).empty
    assert "LEFT_ORGANIZATION" not in journal.frame().to_string() and "left-organization" in journal.frame().to_string()


def test_a_transfer_refused_by_an_scp_waits_with_the_remedy(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration")
    brownfield.settings(transfer_needs_leave_permission=True)  # the stricter reading of AWS's transfer rules
    run = applied(planned(tmp_path))
    assert run.outcome == "pending" and {f"accept:{MEMBER_A}", f"accept:{MEMBER_B}"} <= set(run.result.awaiting)
    assert "transition OU" in run.result.awaiting[f"accept:{MEMBER_B}"]
    assert organization_of("old-member-b") == organization_of("old-management")  # nothing half done


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"status": "SUSPENDED"}, "is SUSPENDED"),
        ({"created_at": datetime.now(UTC) - timedelta(days=2)}, "run again on"),
        ({"leave_denials": ("deny-leave (p-abcd1234) at root",), "spec": "leave"}, "transition OU"),
    ],
)
def test_a_refusal_aws_is_sure_to_give_plans_nothing_for_the_account(facts: dict, expected: str) -> None:
    params = load_parameters(BROWNFIELD)
    spec = params.migrations[0]
    if facts.pop("spec", None) == "leave":
        spec = spec.model_copy(update={"transfer": Transfer.LEAVE})
    delegated = ("guardduty.amazonaws.com",)
    member = MovingAccount("migrations[0]", spec, "member", seen_org="o-old0000000", delegated=delegated, role=None, **facts)
    org = Organization("o-new0000000", "arn", "ALL", "111122223333", "aws+management-account@example.com")
    inventory = Inventory(CallerIdentity("111122223333", "arn:aws:iam::111122223333:user/operator", "AIDA"), org)
    quota = AccountQuota(10, "Service Quotas")
    plan = plan_migration(params, inventory.extended(MigrationInventory, migration=MigrationState((member,)), account_quota=quota))
    assert not [s for s in plan.steps if s.target == MEMBER_A]  # no invitation, and no deregistration before the refusal
    assert any(a.startswith(MEMBER_A) and expected in a for a in plan.awaiting)
