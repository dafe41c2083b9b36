"""Why a run stopped: stops read from the journal and the plan, split into reason and remedy, printed (capped) by the
command line, and a waiting run's banner in place of papermill's exception banner."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from botocore.exceptions import ClientError

from orgnb.commands.runner import RunResult
from orgnb.engine.apply import error_text
from orgnb.errors import ExitCode
from orgnb.evidence import chain, records
from orgnb.evidence.redact import Scrubber
from orgnb.evidence.stops import MAX_LINES, Stop, StopKind, collect_stops, pending_banner, read_stops, split_remedy, status_fields
from orgnb.remedies import OPERATOR_REMEDIES, create_account_remedy
from tests.test_cli import visible_text

MEMBER = "444455556666"
# what phase 06's plan waits for before a moved account's root email changes
PASSCODE_WAIT = f"{MEMBER}: the passcode AWS sends to aws+legacy-prod@example.com: add it to the parameters as otps: {{x: CODE}}"


def assume_root_denied() -> str:
    """What phase 03 journals when AWS refuses a root session (its remedy from orgnb.remedies)."""
    error = {"Error": {"Code": "AccessDenied", "Message": "not enabled"}}
    return error_text(ClientError(error, "AssumeRoot"))  # type: ignore[arg-type]


def test_the_kits_three_shapes_split_into_reason_and_remedy() -> None:
    reason, fix = split_remedy(assume_root_denied())
    assert (reason, fix.split(".")[0]) == ("AccessDenied: not enabled", "AWS refused the root session")
    payment = OPERATOR_REMEDIES["MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED"]
    refused = f"leave o-old (MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED): {payment}"  # the shape migration's executors raise
    assert split_remedy(refused) == ("leave o-old (MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED)", payment)
    failed = f"EMAIL_ALREADY_EXISTS: {create_account_remedy('EMAIL_ALREADY_EXISTS')}"
    reason, fix = split_remedy(failed)
    assert reason == "EMAIL_ALREADY_EXISTS: another AWS account already uses this root email" and fix.startswith("choose another slug")
    assert split_remedy("ThrottlingException: Rate exceeded") == ("ThrottlingException: Rate exceeded", "")


def test_stops_come_from_the_last_journal_entry_of_each_step_and_the_plan() -> None:
    journal = [
        {"event": "begin", "step": "create-account:a@example.com", "target": "a@example.com"},
        {"event": "failed", "step": "create-account:a@example.com", "error": f"INVALID_EMAIL: {create_account_remedy('INVALID_EMAIL')}"},
        {"event": "begin", "step": "delete-root-credentials:" + MEMBER, "target": MEMBER},
        {"event": "failed", "step": "delete-root-credentials:" + MEMBER, "error": assume_root_denied()},
        {"event": "begin", "step": "move:1", "target": "111111111111"},
        {"event": "failed", "step": "move:1", "error": "ThrottlingException: Rate exceeded"},
        {"event": "done", "step": "move:1", "result": {}},  # tried again and finished: not a stop
        {"event": "awaiting", "step": "leave:2", "target": "222233334444", "reason": "leave (WAIT_PERIOD_ACTIVE): run again later"},
    ]
    stops = collect_stops(journal, [PASSCODE_WAIT, PASSCODE_WAIT])
    assert [(s.kind, s.step, s.target) for s in stops] == [
        (StopKind.FAILED, "create-account:a@example.com", "a@example.com"),
        (StopKind.FAILED, f"delete-root-credentials:{MEMBER}", MEMBER),
        (StopKind.AWAITING, "leave:2", "222233334444"),
        (StopKind.AWAITING, None, MEMBER),  # once, and its account taken out of the reason
    ]
    assert stops[0].remedy.startswith("check it against the CreateAccount email rules")
    assert stops[3].reason == "the passcode AWS sends to aws+legacy-prod@example.com" and stops[3].remedy.startswith("add it")
    assert stops[3].line() == f"{MEMBER}: {stops[3].reason}; remedy: {stops[3].remedy}"
    assert read_stops(json.loads(json.dumps(status_fields(stops)))) == tuple(stops)  # the status file keeps them whole


def result_with(stops: list[Stop], code: ExitCode, outcome: str, error: str = "") -> RunResult:
    return RunResult("account-creation", Path("/r/run"), code, outcome, len(stops), 0, 0, error, "", 0, 12.5, tuple(stops))


def test_a_stopped_run_ends_with_a_line_per_step_capped_with_how_many_more() -> None:
    many = [Stop(StopKind.FAILED, f"create-account:{n}@example.com", None, "INVALID_EMAIL", "fix it") for n in range(MAX_LINES + 3)]
    lines = result_with(many, ExitCode.FAILED, "failed", "ApplyIncomplete: see the 'failed' lines above").lines()
    keys = [k for k, _ in lines]
    assert keys[: keys.index("error") + 1] == ["record", "plan_steps", "applied", "writes", "outcome", "seconds", "failed_cell", "error"]
    assert keys.count("failed_step") == MAX_LINES and keys[-1] == "more_steps"
    assert lines[keys.index("failed_step")][1] == "create-account:0@example.com: INVALID_EMAIL; remedy: fix it"  # in order
    assert dict(lines)["more_steps"] == "3 more in /r/run/status.json"
    waiting = [Stop(StopKind.AWAITING, None, MEMBER, "the passcode", "add it")]
    assert ("awaiting_step", f"{MEMBER}: the passcode; remedy: add it") in result_with(waiting, ExitCode.PENDING, "pending").lines()
    assert "awaiting_step" not in dict(result_with(waiting, ExitCode.OK, "plan-only").lines())  # not a stop: nothing was applied


def papermill_failed_notebook(path: Path) -> None:
    """A notebook as papermill leaves a run whose summary raised OperatorActionPending: banner, anchor, error output."""
    banner = nbformat.v4.new_markdown_cell("<span>An Exception was encountered at 'In [2]'.</span>")
    anchor = nbformat.v4.new_markdown_cell("<span>Execution using papermill encountered an exception here and stopped:</span>")
    for cell in (banner, anchor):
        cell.metadata["tags"] = [records.PAPERMILL_ERROR_TAG]
    summary = nbformat.v4.new_code_cell("run.summary()", execution_count=2)
    summary.outputs = [nbformat.v4.new_output("error", ename="OperatorActionPending", evalue="waits", traceback=[])]
    nb = nbformat.v4.new_notebook(cells=[banner, nbformat.v4.new_markdown_cell("# Summary"), anchor, summary])
    nbformat.write(nb, path)


def test_a_pending_record_opens_with_what_it_waits_for_and_the_command(tmp_path: Path) -> None:
    folder = tmp_path / "20261128T120000Z-member-initialization"
    folder.mkdir()
    (folder / records.JOURNAL).write_text(json.dumps({"event": "run-start", "ts": "t", "parameters_file": "org.yaml"}) + "\n")
    stops = collect_stops([], [PASSCODE_WAIT, "attest member_root_unused before their credentials are deleted"])
    records.write_status(folder, {"phase": "member-initialization", "outcome": "pending", **status_fields(stops)})
    papermill_failed_notebook(folder / records.NOTEBOOK)
    manifest = records.finish_record(folder, {"outcome": "pending", "exit_code": 4}, Scrubber())
    nb = nbformat.read(folder / records.NOTEBOOK, as_version=4)
    assert nb.cells[0].metadata["tags"] == [records.PENDING_TAG] and nb.cells[0].source == pending_banner(
        stops, "orgnb run member-initialization -f org.yaml --apply"
    )
    assert not [c for c in nb.cells if records.PAPERMILL_ERROR_TAG in c.metadata.get("tags", [])]
    page = visible_text((folder / records.HTML).read_text())
    assert "This run waits for a person" in page and "An Exception was encountered" not in page
    assert MEMBER in page and "member_root_unused" in page and "orgnb run member-initialization -f org.yaml --apply" in page
    assert len(manifest["awaiting_steps"]) == 2 and chain.verify_path(folder) == []  # sealed after the banner went in
