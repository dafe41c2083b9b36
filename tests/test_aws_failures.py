"""AWS refusing or failing what the runbook asked: each ends with a remedy in the journal and output, and no lost
state (nothing half made, nothing deleted that should not be, and a re-run after the fix finishes the job).

The payment-method refusal of LeaveOrganization is covered, with its re-run, in test_phase_migration.py
(test_a_refused_leave_waits_for_the_operator_and_a_rerun_finishes).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import boto3
import botocore.exceptions
import botocore.session
import pytest

from orgnb.aws.rootcreds import audit_member
from orgnb.engine.apply import apply_plan
from orgnb.evidence import records
from orgnb.phases import account_creation
from orgnb.phases.account_creation.cadence import PollSchedule
from orgnb.remedies import CREATE_ACCOUNT_REMEDIES, REFUSAL_REMEDIES, remedy_for
from orgnb.runbook import PhaseRun, start_phase
from orgnb.sandbox import Sandbox, handshake, registry
from orgnb.switches import HEADLESS_ENV
from tests.conftest import write_params
from tests.estates import BROWNFIELD, prepare

MEMBER = "444455556666"
STANDALONE = "222233334444"
ORG_OPS = "aws+org-ops@example.com"


@pytest.fixture(autouse=True)
def fast_headless_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(account_creation, "POLL", PollSchedule(floor=0.05, cap=0.2, rate=20.0))
    monkeypatch.setenv(HEADLESS_ENV, "1")


def planned(phase: str, tmp_path: Path, name: str, params: Path = BROWNFIELD) -> PhaseRun:
    run = start_phase(phase, str(params), apply=True, record_dir=str(tmp_path / "reports" / f"{name}-{phase}"))
    run.read()
    run.plan()
    return run


def client(profile: str, service: str) -> object:
    return boto3.Session(profile_name=profile).client(service, region_name="us-east-1")


def invitations_to(account_id: str, state: str | None = None) -> list[handshake.Handshake]:
    """The sandbox's INVITE handshakes naming `account_id` (in `state`, when given)."""
    return [
        h
        for h in handshake.HANDSHAKES.values()
        if h.action == "INVITE" and (state is None or h.state == state) and any(p["Id"] == account_id for p in h.describe()["Parties"])
    ]


def emails() -> list[str]:
    pages = client("management", "organizations").get_paginator("list_accounts").paginate()  # type: ignore[attr-defined]
    return [a["Email"].lower() for page in pages for a in page["Accounts"]]


@pytest.mark.soak
def test_every_create_account_failure_reason_ends_with_its_remedy_and_a_rerun_creates_the_account(
    brownfield: Sandbox, tmp_path: Path
) -> None:
    reasons = sorted(botocore.session.get_session().get_service_model("organizations").shape_for("CreateAccountFailureReason").enum)
    assert len(reasons) >= 10
    prepare("account-creation")
    for n, reason in enumerate(reasons):
        brownfield.settings(create_account_fail_next=[reason])
        run = planned("account-creation", tmp_path, f"{n:02d}")
        run.apply()
        step = f"create-account:{ORG_OPS}"
        assert run.result is not None and list(run.result.failed) == [step], reason
        assert run.result.failed[step] == f"{reason}: {CREATE_ACCOUNT_REMEDIES[reason]}"
        failed = [e for e in run.journal.entries() if e["event"] == "failed" and e["step"] == step]
        assert len(failed) == 1 and CREATE_ACCOUNT_REMEDIES[reason] in failed[0]["error"]
        assert ORG_OPS not in emails(), f"{reason}: a failed request left an account behind"
        remaining = run.verify()
        assert [s.id for s in remaining.steps] == [step] and run.outcome == "incomplete"
    final = planned("account-creation", tmp_path, "final")
    final.apply()
    final.verify()
    assert final.outcome == "applied"
    created = emails()
    assert created.count(ORG_OPS) == 1 and len(created) == len(set(created)), "every account exactly once"


@pytest.mark.parametrize("ending", ["declined", "expired"])
def test_an_invitation_declined_or_expired_is_sent_again_and_the_account_joins(brownfield: Sandbox, tmp_path: Path, ending: str) -> None:
    prepare("migration")
    params = write_params(tmp_path, BROWNFIELD.read_text().replace("    profile: standalone\n", ""))  # the owner accepts by hand
    first = planned("migration", tmp_path, "1", params)
    first.apply()
    [invitation] = invitations_to(STANDALONE)
    if ending == "declined":
        client("standalone", "organizations").decline_handshake(HandshakeId=invitation.id)  # type: ignore[attr-defined]
    else:
        invitation.requested_at -= timedelta(days=16)
    second = planned("migration", tmp_path, "2", params)
    assert any(f"was {ending}" in note and STANDALONE in note for note in second.planned.notes)
    assert f"invite:{STANDALONE}" in [s.id for s in second.planned.steps]
    second.apply()
    [new] = invitations_to(STANDALONE, "OPEN")  # one open invitation, never two
    assert new.id != invitation.id
    # the owner accepts the new one; the next run places the account and invites no one again
    client("standalone", "organizations").accept_handshake(HandshakeId=new.id)  # type: ignore[attr-defined]
    third = planned("migration", tmp_path, "3", params)
    third.apply()
    third.verify()
    assert third.outcome == "applied" and third.ctx.counter.writes["organizations:InviteAccountToOrganization"] == 0
    assert len(invitations_to(STANDALONE)) == 2
    assert registry.management_of(STANDALONE) == "111122223333"


def test_assume_root_denied_ends_with_the_remedy_and_the_member_keeps_its_credentials(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("root-centralization")
    text = BROWNFIELD.read_text()
    assert "delete_member_root_credentials: true" in text
    unconfirmed = write_params(tmp_path, text.replace("delete_member_root_credentials: true", "delete_member_root_credentials: false"))
    features = planned("root-centralization", tmp_path, "1", unconfirmed)
    features.apply()  # trusted access and both features on; the member's credentials kept (deletion not asked)
    run = planned("root-centralization", tmp_path, "2")
    assert [s.id for s in run.planned.steps] == [f"delete-root-credentials:{MEMBER}"]
    client("management", "iam").disable_organizations_root_credentials_management()  # type: ignore[attr-defined]
    store = registry.record(MEMBER).root
    before = (store.login_profile, list(store.access_keys), list(store.mfa_devices))
    step = f"delete-root-credentials:{MEMBER}"
    result = apply_plan(run.ctx, run.planned, run.journal)  # the member's steps form a group: the apply goes on
    error = result.failed[step]
    assert error.startswith("AccessDenied") and "RootCredentialsManagement" in error and "Remedy:" in error
    entry = [e for e in run.journal.entries() if e["event"] == "failed"][-1]
    assert entry["step"] == step and "phase 03 enables them" in entry["error"]
    run.finish("failed")  # the status file says which step, on which account, AWS's reason and the remedy
    [stop] = records.read_status(run.record_dir)["failed_steps"]
    assert (stop["step"], stop["target"], stop["reason"].split(":")[0]) == (step, MEMBER, "AccessDenied")
    assert stop["remedy"].startswith("AWS refused the root session") and "Remedy" not in stop["reason"]
    assert (store.login_profile, list(store.access_keys), list(store.mfa_devices)) == before, "nothing deleted"
    # an audit through AssumeRoot is refused the same way: it reports the remedy instead of failing the read
    audited = audit_member(run.ctx, MEMBER, "old-member-a")
    assert audited.error.startswith("not audited: AccessDenied") and "sts:AssumeRoot" in audited.error
    audit = planned("root-centralization", tmp_path, "3")
    assert not audit.inventory.root_access.audited and "RootCredentialsManagement" in audit.inventory.root_access.reason
    # the remedy applied (phase 03 again: the feature back on), the deletion goes through
    assert "enable:RootCredentialsManagement" in [s.id for s in audit.planned.steps]
    audit.apply()
    audit.verify()
    assert audit.outcome == "applied" and registry.record(MEMBER).root.login_profile is None


def test_remedies_name_real_operations_and_codes() -> None:
    session = botocore.session.get_session()
    operations = {name for service in ("sts", "organizations") for name in session.get_service_model(service).operation_names}
    assert {operation for operation, _ in REFUSAL_REMEDIES} <= operations
    error = botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "AssumeRoot")
    assert remedy_for(error) is not None and "sts:AssumeRoot" in str(remedy_for(error))
