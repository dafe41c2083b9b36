from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgnb.aws.session import make_context
from orgnb.engine.apply import apply_plan
from orgnb.engine.journal import Journal
from orgnb.engine.plan import Action, Plan, Step
from orgnb.errors import StepFailed
from orgnb.evidence.redact import ACCESS_KEY_ID, marker, redact
from orgnb.evidence.stops import StopKind, collect_stops
from orgnb.sandbox import Sandbox

CREATE = Step("create-organization", Action.CREATE_ORGANIZATION, "111122223333", "create", {"FeatureSet": "ALL"})
TRUST = Step(
    "trusted-access:account", Action.ENABLE_SERVICE_ACCESS, "account.amazonaws.com", "trust", {"ServicePrincipal": "account.amazonaws.com"}
)


def test_hash_is_stable_and_sensitive_to_every_field() -> None:
    plan = Plan("organization-init", (CREATE, TRUST))
    assert plan.hash == Plan("organization-init", (CREATE, TRUST)).hash
    assert plan.hash != Plan("organization-init", (TRUST, CREATE)).hash
    assert plan.hash != Plan("organization-init", (CREATE, Step(**{**TRUST.__dict__, "target": "x"}))).hash
    assert plan.hash != Plan("account-creation", (CREATE, TRUST)).hash
    assert len(plan.short_hash) == 8 and plan.hash.startswith(plan.short_hash)


def test_frame_lists_steps_in_order() -> None:
    frame = Plan("organization-init", (CREATE, TRUST)).frame()
    assert list(frame["step"]) == ["create-organization", "trusted-access:account"]
    assert list(frame["#"]) == [1, 2]
    assert Plan("organization-init").frame().empty and Plan("organization-init").is_empty


def test_apply_journals_before_and_after_each_write(sandbox: Sandbox, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl", "run-1", "organization-init")
    result = apply_plan(make_context("management", "us-east-1"), Plan("organization-init", (CREATE, TRUST)), journal)
    assert result.applied == ["create-organization", "trusted-access:account"]
    events = [(e["event"], e.get("step")) for e in journal.entries()]
    assert events == [
        ("apply-start", None),
        ("begin", "create-organization"),
        ("done", "create-organization"),
        ("begin", "trusted-access:account"),
        ("done", "trusted-access:account"),
        ("apply-end", None),
    ]
    assert [c.operation for c in sandbox.calls(writes_only=True)] == ["CreateOrganization", "EnableAWSServiceAccess"]
    assert journal.interrupted_steps() == []


def test_a_failed_write_is_journaled_and_stops_the_apply(sandbox: Sandbox, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl", "run-1", "organization-init")
    bad = Step("trusted-access:bogus", Action.ENABLE_SERVICE_ACCESS, "bogus", "trust", {"ServicePrincipal": "bogus.example.com"})
    with pytest.raises(StepFailed) as info:
        apply_plan(make_context("management", "us-east-1"), Plan("organization-init", (bad, CREATE)), journal)
    assert info.value.step_id == "trusted-access:bogus"
    assert [e["event"] for e in journal.entries()] == ["apply-start", "begin", "failed"]
    assert journal.entries()[-1]["error"].startswith("InvalidInputException")
    assert journal.applied_steps() == []


def test_an_unconfirmed_irreversible_step_is_shown_held_and_its_group_waits(sandbox: Sandbox, tmp_path: Path) -> None:
    mgmt = "111122223333"
    trust = {"ServicePrincipal": "account.amazonaws.com"}
    sso = {"ServicePrincipal": "sso.amazonaws.com"}
    first = Step("before-danger", Action.ENABLE_SERVICE_ACCESS, mgmt, "prepare it", sso, group=mgmt)
    risky = Step("danger", Action.ENABLE_SERVICE_ACCESS, mgmt, "pretend irreversible", trust, irreversible=True, group=mgmt)
    later = Step("after-danger", Action.ENABLE_SERVICE_ACCESS, mgmt, "then", {"ServicePrincipal": "iam.amazonaws.com"}, group=mgmt)
    steps = (CREATE, first, risky, later)
    unconfirmed = Plan("organization-init", steps).confirmed_for([])
    confirmed = Plan("organization-init", steps).confirmed_for([mgmt])
    assert unconfirmed.hash == Plan("organization-init", steps).confirmed_for(["999999999999"]).hash  # deterministic
    assert unconfirmed.hash != confirmed.hash  # confirming is a different decision
    hold = f"needs confirmation: add {mgmt} to confirm_irreversible"
    assert list(unconfirmed.frame()["irreversible"]) == [False, False, hold, False]
    assert list(confirmed.frame()["irreversible"]) == [False, False, True, False]

    journal = Journal(tmp_path / "journal.jsonl", "run-1", "organization-init")
    ctx = make_context("management", "us-east-1")
    result = apply_plan(ctx, unconfirmed, journal)
    # the whole group waits, also what comes before the irreversible step: nothing is done toward an unconfirmed change
    assert (result.applied, list(result.awaiting)) == (["create-organization"], ["danger"])
    assert result.skipped == ["before-danger", "after-danger"]
    assert "begin" not in {e["event"] for e in journal.entries() if e.get("step") == "danger"}  # never begun
    assert [c.operation for c in sandbox.calls(writes_only=True)] == ["CreateOrganization"]
    [stop] = collect_stops(journal.entries())
    assert (stop.kind, stop.target, stop.remedy) == (StopKind.AWAITING, mgmt, f"add {mgmt} to confirm_irreversible")

    again = apply_plan(ctx, Plan("organization-init", (first, risky, later)).confirmed_for([mgmt]), journal)
    assert (again.applied, again.awaiting) == (["before-danger", "danger", "after-danger"], {})


def test_interrupted_steps_are_found(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl", "run-1", "organization-init")
    journal.write("begin", step="a")
    journal.write("done", step="a")
    journal.write("begin", step="b")
    assert journal.interrupted_steps() == ["b"]


def test_journal_never_holds_credentials(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl", "run-1", "organization-init")
    key_id = "ASIA" + "Q" * 16
    journal.write(
        "done", step="s", result={"Credentials": {"AccessKeyId": key_id}, "note": f"used {key_id}", "SessionToken": "abc", "otp": "123456"}
    )
    text = (tmp_path / "journal.jsonl").read_text()
    assert key_id not in text and "abc" not in text and "123456" not in text
    assert json.loads(text)["result"]["note"] == f"used {marker(ACCESS_KEY_ID)}"


def test_redact_keeps_ordinary_values() -> None:
    assert redact({"account": "111122223333", "items": [1, "x"]}) == {"account": "111122223333", "items": [1, "x"]}


def test_worst_exit_code_orders_by_seriousness() -> None:
    from orgnb.errors import ExitCode, worst_exit_code

    assert worst_exit_code([]) == ExitCode.OK
    assert worst_exit_code([ExitCode.OK, ExitCode.PENDING]) == ExitCode.PENDING
    assert worst_exit_code([ExitCode.PENDING, ExitCode.FAILED, ExitCode.REFUSED]) == ExitCode.FAILED
    assert worst_exit_code([ExitCode.INVALID_PARAMETERS, ExitCode.REFUSED]) == ExitCode.REFUSED
