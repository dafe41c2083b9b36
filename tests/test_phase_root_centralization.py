"""Phase 03 on the brownfield estate it starts from: features, AssumeRoot audit, deletion where confirmed, re-runs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from moto.core.utils import utcnow

from orgnb.aws.inventory import CallerIdentity, Organization
from orgnb.aws.rootcreds import MemberRootCredentials, RootAccessState
from orgnb.aws.treewalk import Account
from orgnb.commands.runner import run_phase
from orgnb.errors import ExitCode, OperatorActionPending, exit_code_for
from orgnb.evidence import records
from orgnb.input.parameters import load_parameters
from orgnb.phases.root_centralization import RootAccessInventory, plan_root_centralization
from orgnb.runbook import PhaseRun, start_phase
from orgnb.sandbox import Sandbox, registry, rootaccess
from tests.conftest import write_params
from tests.estates import BROWNFIELD, prepare

MEMBER = "444455556666"
MGMT = "111122223333"
FEATURE_STEPS = ["trusted-access:iam.amazonaws.com", "enable:RootCredentialsManagement", "enable:RootSessions"]


def planned(tmp_path: Path, params: Path = BROWNFIELD, name: str = "run") -> PhaseRun:
    run = start_phase("root-centralization", str(params), apply=True, record_dir=str(tmp_path / name))
    run.read()
    run.plan()
    return run


def variant(tmp_path: Path, old: str, new: str) -> Path:
    text = BROWNFIELD.read_text()
    assert old in text
    return write_params(tmp_path, text.replace(old, new))


def root_store(account_id: str) -> registry.RootCredentials:
    return registry.record(account_id).root


def test_first_run_enables_the_features_then_deletes_the_confirmed_members_credentials(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("root-centralization")
    assert root_store(MEMBER).login_profile is not None and root_store(MEMBER).access_keys
    run = planned(tmp_path)
    assert not run.inventory.root_access.audited  # AssumeRoot cannot audit before the features are on
    assert [s.id for s in run.planned.steps] == [*FEATURE_STEPS, f"delete-root-credentials:{MEMBER}"]
    assert run.planned.steps[-1].irreversible and run.planned.steps[-1].target == MEMBER
    run.apply()
    remaining = run.verify()
    assert remaining.is_empty and run.outcome == "applied"
    deleted = run.result.results[f"delete-root-credentials:{MEMBER}"]["deleted"]
    assert deleted == {"login_profile": 1, "access_keys": 1, "mfa_devices": 1, "signing_certificates": 1}
    # the notebook's re-audit and the sandbox's own store agree: nothing left
    row = run.inventory.root_access.frame().set_index("account").loc[MEMBER]
    assert (bool(row.login_profile), row.access_keys, row.mfa_devices, row.signing_certificates) == (False, 0, 0, 0)
    store = root_store(MEMBER)
    assert store.login_profile is None and not store.access_keys and not store.mfa_devices and not store.certificates

    writes_before = len(brownfield.calls(writes_only=True))
    again = planned(tmp_path, name="again")
    assert again.planned.is_empty and again.inventory.root_access.audited
    again.apply()
    again.verify()
    assert (again.outcome, again.ctx.counter.write_total) == ("no-changes", 0)
    assert len(brownfield.calls(writes_only=True)) == writes_before


def test_audit_table_shows_what_each_member_root_user_holds(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("root-centralization")
    keep = variant(tmp_path, "delete_member_root_credentials: true", "delete_member_root_credentials: false")
    first = planned(tmp_path, keep)
    assert [s.id for s in first.planned.steps] == FEATURE_STEPS
    first.apply()
    first.verify()
    row = first.inventory.root_access.frame().set_index("account").loc[MEMBER]
    assert (bool(row.login_profile), row.access_keys, row.mfa_devices, row.signing_certificates) == (True, 1, 1, 1)
    assert row.status == "root credentials present"
    # with deletion asked, the audited plan names exactly that member
    second = planned(tmp_path, name="delete")
    assert [s.id for s in second.planned.steps] == [f"delete-root-credentials:{MEMBER}"]
    assert "delete its root password" in second.planned.steps[0].description


def test_an_unconfirmed_member_is_shown_not_deleted_the_run_pends_naming_it_and_a_confirmed_rerun_deletes(
    brownfield: Sandbox, tmp_path: Path
) -> None:
    prepare("root-centralization")
    params = write_params(tmp_path, BROWNFIELD.read_text().split("confirm_irreversible:")[0])
    run = planned(tmp_path, params)
    assert [s.id for s in run.planned.steps] == [*FEATURE_STEPS, f"delete-root-credentials:{MEMBER}"]  # shown, not left out
    hold = f"needs confirmation: add {MEMBER} to confirm_irreversible"
    assert run.planned.frame().set_index("step").loc[f"delete-root-credentials:{MEMBER}", "irreversible"] == hold
    run.apply()
    run.verify()
    assert run.outcome == "pending" and run.result.applied == FEATURE_STEPS  # the rest of the plan went on
    with pytest.raises(OperatorActionPending) as pending:
        run.summary()
    assert exit_code_for(type(pending.value).__name__) == ExitCode.PENDING
    [stop] = records.read_status(run.record_dir)["awaiting_steps"]
    assert (stop["target"], stop["remedy"]) == (MEMBER, f"add {MEMBER} to confirm_irreversible")
    assert root_store(MEMBER).login_profile is not None

    confirmed = planned(tmp_path, name="confirmed")  # the same parameters with the id listed
    [step] = confirmed.planned.steps
    assert step.id == f"delete-root-credentials:{MEMBER}" and not step.needs_confirmation
    confirmed.apply()
    assert confirmed.verify().is_empty and confirmed.outcome == "applied"
    assert root_store(MEMBER).login_profile is None and not root_store(MEMBER).access_keys


def test_deletion_waits_for_the_member_root_unused_attestation(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("root-centralization")
    text = BROWNFIELD.read_text()
    unattested = text[: text.index("  member_root_unused:")] + "\n" + text[text.index("confirm_irreversible:") :]
    params = write_params(tmp_path, unattested)
    run = planned(tmp_path, params)
    assert run.planned.awaiting and "member_root_unused" in run.planned.awaiting[0]
    assert not any(s.irreversible for s in run.planned.steps)
    run.apply()
    run.verify()
    assert run.outcome == "pending"
    with pytest.raises(OperatorActionPending):
        run.summary()
    assert root_store(MEMBER).login_profile is not None


def test_root_sessions_are_short_and_never_reach_the_record(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("root-centralization")
    result = run_phase("root-centralization", BROWNFIELD, apply=True, reports_dir=tmp_path / "reports")
    assert (result.exit_code, result.outcome) == (0, "applied")
    sessions = list(rootaccess.SESSIONS.values())
    assert {s.task_policy for s in sessions} == {"IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials"}
    assert all(s.expiration - utcnow() <= timedelta(seconds=300) for s in sessions)
    from moto.iam.models import iam_backends

    secrets = [iam_backends[MEMBER]["aws"].access_keys[s.access_key_id].secret_access_key for s in sessions]
    everything = "".join(p.read_text(errors="replace") for p in result.record_dir.rglob("*") if p.is_file())
    for session, secret in zip(sessions, secrets, strict=True):
        assert session.session_token and secret
        for value in (session.access_key_id, secret, session.session_token):
            assert value not in everything


def test_a_member_the_audit_could_not_read_is_still_planned_for_deletion(tmp_path: Path) -> None:
    params = load_parameters(BROWNFIELD)
    org = Organization("o-abcdefghij", "arn:aws:organizations::111122223333:organization/o-abcdefghij", "ALL", MGMT, "")
    member = Account(MEMBER, "arn", "Legacy prod", "a@example.com", "ACTIVE", "INVITED", None, "r-abcd", "")
    audit = RootAccessState(
        frozenset({"RootCredentialsManagement", "RootSessions"}),
        (MemberRootCredentials(MEMBER, "Legacy prod", error="not audited: Throttling"),),
        audited=True,
    )
    inventory = RootAccessInventory(
        CallerIdentity(MGMT, f"arn:aws:iam::{MGMT}:user/operator", "AIDA"),
        org,
        accounts=(member,),
        trusted_services=frozenset({"iam.amazonaws.com"}),
        root_access=audit,
    )
    plan = plan_root_centralization(params, inventory)
    assert [s.id for s in plan.steps] == [f"delete-root-credentials:{MEMBER}"]
    assert any("not audited: Throttling" in note for note in plan.notes)
