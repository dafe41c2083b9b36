"""Phase 02 through papermill: the real notebook, in a real kernel, against the sandbox over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

from orgnb.commands.runner import run_phase
from orgnb.errors import ExitCode
from orgnb.sandbox import Sandbox
from tests.conftest import GREENFIELD_STEPS, GREENFIELD_WRITES
from tests.estates import consolidated_billing_with_a_member

N = len(GREENFIELD_STEPS)


def outputs_text(notebook: Path) -> str:
    nb = json.loads(notebook.read_text())
    chunks = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            chunks.append("".join(out.get("text", "")) + out.get("ename", "") + out.get("evalue", ""))
            chunks += ["".join(v) if isinstance(v, list) else str(v) for v in out.get("data", {}).values()]
    return "\n".join(chunks)


def test_plan_only_then_apply_then_rerun(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    plan_only = run_phase("organization-init", example_params, reports_dir=reports)
    assert (plan_only.exit_code, plan_only.outcome, plan_only.plan_steps, plan_only.writes) == (ExitCode.OK, "plan-only", N, 0)
    assert sandbox.calls(writes_only=True) == []

    applied = run_phase("organization-init", example_params, apply=True, reports_dir=reports)
    assert (applied.exit_code, applied.outcome, applied.applied, applied.writes) == (ExitCode.OK, "applied", N, N)
    assert [c.operation for c in sandbox.calls(writes_only=True)] == GREENFIELD_WRITES
    record = applied.record_dir
    assert record.parent == reports and record.name.endswith("-organization-init")
    assert {p.name for p in record.iterdir()} >= {"notebook.ipynb", "journal.jsonl"}
    text = outputs_text(record / "notebook.ipynb")
    assert f"plan organization-init: {N} step(s)" in text and "outcome: applied" in text
    assert "verification: 0 step(s) still planned" in text

    again = run_phase("organization-init", example_params, apply=True, reports_dir=reports)
    assert (again.exit_code, again.outcome, again.plan_steps, again.writes) == (ExitCode.OK, "no-changes", 0, 0)
    assert len(sandbox.calls(writes_only=True)) == N


def test_records_hold_no_credentials(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    result = run_phase("organization-init", example_params, apply=True, reports_dir=tmp_path)
    secrets = [line.split("=", 1)[1].strip() for line in sandbox.credentials_file.read_text().splitlines() if "=" in line]
    for path in result.record_dir.iterdir():
        text = path.read_text()
        assert not any(secret in text for secret in secrets), path.name


def test_wrong_management_account_exits_3_without_writes(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    other = tmp_path / "p.yaml"
    other.write_text(example_params.read_text().replace('"111122223333"', '"999988887777"'))
    result = run_phase("organization-init", other, apply=True, reports_dir=tmp_path)
    assert result.exit_code == ExitCode.REFUSED and result.outcome == "refused"
    assert "PreflightRefused" in result.error and "999988887777" in result.error
    assert result.failed_cell is not None
    assert sandbox.calls(writes_only=True) == []
    assert "PreflightRefused" in outputs_text(result.record_dir / "notebook.ipynb")


def test_waiting_for_member_approval_exits_4(brownfield: Sandbox, tmp_path: Path) -> None:
    import boto3

    params = Path(__file__).resolve().parent.parent / "parameters" / "brownfield.yaml"
    org = boto3.Session(profile_name="management").client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    handshake = org.invite_account_to_organization(Target={"Id": "222233334444", "Type": "ACCOUNT"})["Handshake"]["Id"]
    boto3.Session(profile_name="standalone").client("organizations", region_name="us-east-1").accept_handshake(HandshakeId=handshake)
    result = run_phase("organization-init", params, apply=True, reports_dir=tmp_path)
    assert (result.exit_code, result.outcome) == (ExitCode.PENDING, "pending")
    assert "awaiting: all-features request h-" in outputs_text(result.record_dir / "notebook.ipynb")


def test_a_declined_request_names_both_recoveries_and_a_cancelled_one_is_sent_again(brownfield: Sandbox, tmp_path: Path) -> None:
    params = Path(__file__).resolve().parent.parent / "parameters" / "brownfield.yaml"
    org, member = consolidated_billing_with_a_member()
    parent = org.enable_all_features()["Handshake"]["Id"]
    member.decline_handshake(HandshakeId=member.list_handshakes_for_account()["Handshakes"][0]["Id"])
    requests = lambda: [c.status for c in brownfield.calls() if c.operation == "EnableAllFeatures"]  # noqa: E731
    declined = run_phase("organization-init", params, apply=True, reports_dir=tmp_path)
    assert declined.exit_code == ExitCode.PENDING and requests() == [200], "only the request made above"
    text = outputs_text(declined.record_dir / "notebook.ipynb")
    assert "222233334444 declined; remove it from the organization, or cancel" in text and f"CancelHandshake {parent}" in text
    org.cancel_handshake(HandshakeId=parent)
    again = run_phase("organization-init", params, apply=True, reports_dir=tmp_path)
    assert again.exit_code == ExitCode.PENDING and requests() == [200, 200], "the phase sent a new request"
    assert "waiting for 222233334444 to accept" in outputs_text(again.record_dir / "notebook.ipynb")
