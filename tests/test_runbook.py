"""The notebook-facing API, in process: the same calls the notebooks make, without a kernel."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

import orgnb
from orgnb.errors import ParameterError, PreflightRefused
from orgnb.evidence import records
from orgnb.runbook import PhaseRun
from orgnb.sandbox import Sandbox
from tests.conftest import GREENFIELD_STEPS
from tests.estates import consolidated_billing_with_a_member


def run_phase02(
    params: Path, tmp_path: Path, apply: bool, headless: bool = True, monkeypatch: pytest.MonkeyPatch | None = None
) -> PhaseRun:
    run = orgnb.start_phase("organization-init", str(params), apply=apply, record_dir=str(tmp_path / f"rec-{apply}-{headless}"))
    run.headless = headless
    run.read()
    run.plan()
    run.apply()
    return run


def test_plan_only_changes_nothing(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    run = run_phase02(example_params, tmp_path, apply=False)
    assert [s.id for s in run.planned.steps] == GREENFIELD_STEPS
    assert run.outcome == "plan-only"
    assert sandbox.calls(writes_only=True) == [] and run.ctx.counter.write_total == 0
    assert len(run.verify().steps) == len(GREENFIELD_STEPS)


def test_apply_then_rerun_makes_zero_writes(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    first = run_phase02(example_params, tmp_path, apply=True)
    n = len(GREENFIELD_STEPS)
    assert first.outcome == "applied" and first.ctx.counter.write_total == n
    assert first.verify().is_empty
    first.summary()
    status = records.read_status(first.record_dir)
    assert (status["plan_steps"], status["applied"], status["writes"], status["outcome"]) == (n, n, n, "applied")
    inv = first.inventory
    assert inv.organization.feature_set == "ALL" and "account.amazonaws.com" in inv.trusted_services
    writes_before = len(sandbox.calls(writes_only=True))
    second = run_phase02(example_params, tmp_path, apply=True)
    assert second.planned.is_empty and second.outcome == "no-changes"
    assert second.ctx.counter.write_total == 0 and len(sandbox.calls(writes_only=True)) == writes_before


def test_interactive_confirm_applies_through_the_same_path(
    sandbox: Sandbox, example_params: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_phase02(example_params, tmp_path, apply=False, headless=False)
    assert run.outcome == "awaiting-confirmation" and sandbox.calls(writes_only=True) == []
    box = run.confirm_widget()
    text, button = box.children[1], box.children[2]
    text.value = "deadbeef"
    assert button.disabled
    text.value = run.planned.short_hash
    assert not button.disabled
    button.click()
    assert run.outcome == "applied" and run.journal.applied_steps() == [s.id for s in run.planned.steps]
    assert button.disabled, "a plan is applied once"
    assert run.verify().is_empty


def test_partial_state_plans_only_what_is_missing(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    import boto3

    boto3.Session(profile_name="management").client("organizations").create_organization(FeatureSet="ALL")
    run = run_phase02(example_params, tmp_path, apply=False)
    assert [s.id for s in run.planned.steps] == [s for s in GREENFIELD_STEPS if s != "create-organization"]


def test_consolidated_billing_organization_plans_enable_all_features() -> None:
    from orgnb.aws.inventory import CallerIdentity, Inventory, Organization
    from orgnb.input.parameters import load_parameters
    from orgnb.phases.organization_init import plan_organization_init

    params = load_parameters(Path(__file__).resolve().parent.parent / "parameters" / "example.yaml")
    inv = Inventory(
        CallerIdentity("111122223333", "arn:aws:iam::111122223333:user/x", "X"),
        Organization("o-abc", "arn", "CONSOLIDATED_BILLING", "111122223333", "e@example.com"),
    )
    plan = plan_organization_init(params, inv)
    ids = [s.id for s in plan.steps]
    assert ids[-1] == "enable-all-features" and not any(i.startswith("trusted-access") for i in ids)
    assert any("root email is e@example.com" in n for n in plan.notes) and any("all features" in n for n in plan.notes)


def test_wrong_caller_is_refused_before_any_write(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    other = tmp_path / "p.yaml"
    other.write_text(example_params.read_text().replace('"111122223333"', '"999988887777"'))
    run = orgnb.start_phase("organization-init", str(other), apply=True, record_dir=str(tmp_path / "rec"))
    with pytest.raises(PreflightRefused):
        run.read()
    assert sandbox.calls(writes_only=True) == []
    assert records.read_status(tmp_path / "rec")["writes"] == 0


def test_bad_notebook_parameters(example_params: Path, tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="apply"):
        orgnb.start_phase("organization-init", str(example_params), apply="yes", record_dir=str(tmp_path))  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="unknown phase"):
        orgnb.start_phase("organisation-init", str(example_params))


def test_unknown_profile_is_a_preflight_refusal(example_params: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "empty"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "empty"))
    with pytest.raises(PreflightRefused, match="management"):
        orgnb.start_phase("organization-init", str(example_params), record_dir=str(tmp_path / "r"))


def test_consolidated_billing_organization_waits_for_members_then_finishes(brownfield: Sandbox, tmp_path: Path) -> None:
    from orgnb.errors import OperatorActionPending

    params = Path(__file__).resolve().parent.parent / "parameters" / "brownfield.yaml"
    org, member = consolidated_billing_with_a_member()

    first = run_phase02(params, tmp_path, apply=True)
    assert "enable-all-features" in [s.id for s in first.planned.steps]
    assert not any(s.id.startswith("trusted-access") for s in first.planned.steps)
    assert first.verify().awaiting and first.outcome == "pending"
    with pytest.raises(OperatorActionPending):
        first.summary()
    again = run_phase02(params, tmp_path / "again", apply=True)
    assert again.planned.is_empty and again.planned.awaiting, "nothing to do while the member has not approved"

    child = member.list_handshakes_for_account(Filter={"ActionType": "ENABLE_ALL_FEATURES"})["Handshakes"][0]
    member.accept_handshake(HandshakeId=child["Id"])
    final = run_phase02(params, tmp_path / "final", apply=True)
    assert [s.id for s in final.planned.steps] == ["finalize-all-features", "trusted-access:account.amazonaws.com"]
    assert final.verify().is_empty and final.outcome == "applied"
    assert org.describe_organization()["Organization"]["FeatureSet"] == "ALL"
    assert [h.action for h in final.inventory.handshakes][:1] and final.inventory.all_features_request() is None


def test_an_apply_that_leaves_work_undone_fails_the_run(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    from orgnb.engine.plan import Action, Plan, Step
    from orgnb.errors import ApplyIncomplete

    run = run_phase02(example_params, tmp_path, apply=True)
    stubborn = Step("still-different", Action.PUT_ACCOUNT_NAME, "111122223333", "AWS did not take the change", {"AccountName": "x"})
    run.definition = replace(run.definition, planner=lambda params, inventory: Plan("organization-init", (stubborn,)))  # AWS kept it
    run.verify()
    assert run.outcome == "incomplete"
    with pytest.raises(ApplyIncomplete):
        run.summary()
