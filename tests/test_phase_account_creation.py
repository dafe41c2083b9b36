"""Phase 04 against the sandbox: OUs by path, matching by email, adoption, the pipeline, failures, re-runs, IaC stubs."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import boto3
import botocore.session
import pytest
import yaml
from moto.core.utils import utcnow

from orgnb.aws.iac import write_import_stubs
from orgnb.cli import main
from orgnb.engine.apply import apply_plan
from orgnb.engine.plan import Action
from orgnb.errors import ApplyIncomplete, ApplyRefused, ExitCode
from orgnb.phases import account_creation
from orgnb.phases.account_creation.cadence import PollSchedule
from orgnb.remedies import CREATE_ACCOUNT_REMEDIES
from orgnb.runbook import PhaseRun, apply_phase, start_phase
from orgnb.sandbox import Sandbox, creation
from orgnb.switches import HEADLESS_ENV
from tests.conftest import created_account, write_params
from tests.estates import BROWNFIELD, prepare

MGMT = "111122223333"
CREATES = [f"create-account:aws+{slug}@example.com" for slug in ("org-ops", "widget-prod", "widget-test")]
OUS = ["ou:Sandbox", "ou:Workloads", "ou:Workloads/Prod", "ou:Workloads/Test"]


@pytest.fixture(autouse=True)
def fast_headless_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(account_creation, "POLL", PollSchedule(floor=0.05, cap=0.2, rate=20.0))
    monkeypatch.setenv(HEADLESS_ENV, "1")


def planned(tmp_path: Path, params: Path = BROWNFIELD, name: str = "run") -> PhaseRun:
    run = start_phase("account-creation", str(params), apply=True, record_dir=str(tmp_path / name))
    run.read()
    run.plan()
    return run


def orgs() -> object:
    return boto3.Session(profile_name="management").client("organizations", region_name="us-east-1")


def accounts_by_email() -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for page in orgs().get_paginator("list_accounts").paginate():
        for account in page["Accounts"]:
            found.setdefault(account["Email"].lower(), []).append(account)
    return found


def test_plan_then_apply_places_every_account_and_a_rerun_writes_nothing(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("account-creation")
    run = planned(tmp_path)
    assert [s.id for s in run.planned.steps] == OUS + CREATES  # parents before children, then the creations
    run.apply()
    run.verify()
    assert run.outcome == "applied" and not run.result.failed
    placed = {a.email: a.ou_path for a in run.inventory.accounts}
    assert placed["aws+widget-prod@example.com"] == "Workloads/Prod" and placed["aws+widget-test@example.com"] == "Workloads/Test"
    assert placed["aws+org-ops@example.com"] == ""

    writes = len(brownfield.calls(writes_only=True))
    again = apply_phase("account-creation", BROWNFIELD, tmp_path / "again")
    assert (again.outcome, again.ctx.counter.write_total, len(brownfield.calls(writes_only=True))) == ("no-changes", 0, writes)


def test_an_existing_account_is_matched_by_email_in_any_case_and_moved(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("account-creation")
    account_id = created_account(orgs(), Email="AWS+Widget-Prod@Example.COM", AccountName="Widget prod (by hand)")
    run = planned(tmp_path)
    assert [s.id for s in run.planned.steps] == [*OUS, f"move:{account_id}", CREATES[0], CREATES[2]]
    run.apply()
    run.verify()
    matches = accounts_by_email()["aws+widget-prod@example.com"]
    assert [a["Id"] for a in matches] == [account_id]  # never a duplicate
    assert orgs().list_parents(ChildId=account_id)["Parents"][0]["Id"] == run.inventory.ou_by_path()["Workloads/Prod"].id


def test_a_request_still_in_progress_is_adopted_not_submitted_again(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("account-creation")
    brownfield.settings(create_account_seconds=3)
    earlier = orgs().create_account(Email="aws+widget-prod@example.com", AccountName="Widget prod")["CreateAccountStatus"]
    brownfield.settings(create_account_seconds=0)
    assert earlier["State"] == "IN_PROGRESS"  # a run that died right after submitting left this behind
    run = planned(tmp_path)
    adopt = next(s for s in run.planned.steps if s.id == CREATES[1])
    assert adopt.params["AdoptRequestId"] == earlier["Id"] and "adopt" in adopt.description
    run.apply()
    run.verify()
    assert run.outcome == "applied" and run.ctx.counter.writes["organizations:CreateAccount"] == 2
    assert len(accounts_by_email()["aws+widget-prod@example.com"]) == 1
    events = [(e["event"], e.get("request_id")) for e in run.journal.entries() if e.get("step") == CREATES[1]]
    assert ("adopted", earlier["Id"]) in events and events[-1][0] == "done"


def test_an_account_that_appears_after_the_plan_is_placed_not_created(brownfield: Sandbox, tmp_path: Path) -> None:
    """Someone creates a planned account between plan and apply: the apply refuses the stale plan (it re-reads AWS
    once it holds the lease), and the next run places the account instead of creating it again."""
    prepare("account-creation")
    run = planned(tmp_path)
    assert CREATES[2] in [s.id for s in run.planned.steps]
    made = created_account(orgs(), Email="aws+widget-test@example.com", AccountName="Widget test")
    with pytest.raises(ApplyRefused, match="AWS changed since plan"):
        run.apply()
    assert run.ctx.counter.write_total == 0
    again = planned(tmp_path, name="again")
    assert CREATES[2] not in [s.id for s in again.planned.steps]
    again.apply()
    again.verify()
    assert again.outcome == "applied" and again.ctx.counter.writes["organizations:CreateAccount"] == 2
    assert [a.ou_path for a in again.inventory.accounts if a.id == made] == ["Workloads/Test"]


def test_a_create_account_answer_lost_is_checked_before_submitting_again(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("account-creation")
    brownfield.admin("faults", {"fail_nth": {"organizations:CreateAccount": 1}})  # 503, and the SDK does not retry it
    run = planned(tmp_path)
    run.apply()
    run.verify()
    assert run.outcome == "applied" and run.ctx.counter.calls["organizations:CreateAccount"] == 4
    assert all(len(accounts) == 1 for accounts in accounts_by_email().values())
    checked = [e for e in run.journal.entries() if e["event"] == "deferred" and e["step"] == CREATES[0]]
    assert len(checked) == 1 and "ServiceException" in checked[0]["error"]


def test_against_the_default_sandbox_requests_are_shown_and_journaled_in_progress(
    brownfield: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CreateAccount answers IN_PROGRESS, as AWS does: the run says so, journals it, and waits for each request."""
    prepare("account-creation")
    capsys.readouterr()
    run = planned(tmp_path)
    run.apply()
    out = capsys.readouterr().out
    for name in ("Org Ops", "Widget prod", "Widget test"):
        assert re.search(rf"{name}: request car-[a-z0-9]+ submitted, IN_PROGRESS", out), out
    submitted = [e for e in run.journal.entries() if e["event"] == "submitted"]
    assert sorted(e["step"] for e in submitted) == sorted(CREATES) and {e["state"] for e in submitted} == {"IN_PROGRESS"}
    table = run.journal.frame()
    assert [d["state"] for d in table[table["event"] == "submitted"]["detail"]] == ["IN_PROGRESS"] * 3  # as the notebook shows it
    ends = {e["step"]: e["event"] for e in run.journal.entries() if e.get("step") in CREATES}
    assert ends == dict.fromkeys(CREATES, "done")
    run.verify()
    assert run.outcome == "applied"


def test_the_daily_creation_quota_stops_cleanly_with_its_remedy(
    brownfield: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refused while its own requests run, the pipeline waits for them; refused with none running, the day's quota is
    spent: it stops and says when to come back."""
    prepare("account-creation")
    brownfield.settings(create_account_daily_quota=2)
    run = planned(tmp_path)
    run.apply()
    out = capsys.readouterr().out
    assert sorted(run.result.applied) == sorted(s.id for s in run.planned.steps if s.id != CREATES[2])
    assert list(run.result.failed) == [CREATES[2]]
    error = run.result.failed[CREATES[2]]
    assert error.startswith("ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED") and "daily account-creation quota" in error
    first = min(r.requested_at for r in creation.REQUESTS.values() if r.management_id == MGMT)
    said = re.search(r"Run the phase again tomorrow \(after (\S+ \S+) UTC", error)
    assert said, error
    assert timedelta(0) <= datetime.strptime(said[1], "%Y-%m-%d %H:%M") - (first + timedelta(days=1)) < timedelta(minutes=1)
    assert "Widget test: ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED" in out and "tomorrow" in out
    events = [e["event"] for e in run.journal.entries() if e.get("step") == CREATES[2]]
    assert "deferred" in events and events[-1] == "failed", "it waited for the others before concluding"
    assert run.journal.interrupted_steps() == []
    run.verify()
    assert run.outcome == "incomplete"


def _many_accounts(tmp_path: Path, count: int) -> Path:
    text = BROWNFIELD.read_text()
    head, tail = text.split("accounts:", 1)
    tail = tail[tail.index("\ninvites:") :]
    specs = "".join(f"\n  - name: Team {i:02d}\n    slug: team-{i:02d}\n    ou: Workloads/Prod" for i in range(count))
    return write_params(tmp_path, f"{head}accounts:{specs}\n{tail}")


def test_a_plan_past_the_account_quota_is_refused_before_any_creation_and_runs_once_the_quota_is_raised(
    brownfield: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """14 accounts against AWS's default quota of 10, headless with apply: exit 3, no CreateAccount, the quota and
    the value to ask for named; once the quota is raised (the sandbox's settings, as AWS would grant it), the same
    command creates all 14."""
    prepare("account-creation")
    command = ["run", "account-creation", "-f", str(_many_accounts(tmp_path, 14)), "--apply", "--reports-dir", str(tmp_path / "r")]
    assert main(command) == ExitCode.REFUSED
    said = capsys.readouterr().err
    assert "AccountQuotaExceeded" in said and "'Default maximum number of accounts' (L-E619E033) = 10, from Service Quotas" in said
    # the management account and a member that joined early (tests.estates), and the 14
    assert "2 account(s) (the management account included) + 14 to create = 16" in said and "--desired-value 16" in said
    assert [c.operation for c in brownfield.calls() if c.operation == "CreateAccount"] == []
    status = json.loads((next((tmp_path / "r").glob("*-account-creation")) / "status.json").read_text())
    called = {op for ops in status["operations"].values() for op in ops}
    assert "service-quotas:GetServiceQuota" in called and "organizations:CreateAccount" not in called
    brownfield.settings(account_limits={MGMT: 16})
    assert main(command) == ExitCode.OK, capsys.readouterr().err
    assert len([e for e in accounts_by_email() if e.startswith("aws+team-")]) == 14


def test_the_pipeline_keeps_five_requests_in_flight_and_never_more(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("account-creation")
    brownfield.settings(create_account_seconds=0.3, account_limits={MGMT: 30})
    run = planned(tmp_path, _many_accounts(tmp_path, 12))
    run.apply()
    run.verify()
    assert run.outcome == "applied" and len(run.result.applied) == len(run.planned.steps)
    requests = [r for r in creation.REQUESTS.values() if r.kwargs["AccountName"].startswith("Team")]
    assert len(requests) == 12 and all(r.state == "SUCCEEDED" for r in requests)
    moments = sorted({r.requested_at for r in requests})
    overlap = max(sum(1 for r in requests if r.requested_at <= t < r.completed_at) for t in moments)
    assert overlap == 5  # pipelined up to AWS's limit, and no request was ever refused for it
    assert not [e for e in run.journal.entries() if e["event"] == "deferred"]


@pytest.mark.parametrize("error", ["ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED", "ConcurrentModificationException"])
def test_slots_taken_elsewhere_defer_submissions_until_free(
    brownfield: Sandbox, tmp_path: Path, error: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full pipeline, whichever error AWS gives for it, means waiting a round: never the daily quota's stop, even when
    the other operator's requests end between the refusal and the run's next look (nothing running then)."""
    prepare("account-creation")
    brownfield.settings(create_account_seconds=3600, account_limits={MGMT: 30}, create_account_in_flight_error=error)
    others = [orgs().create_account(Email=f"other+{i}@example.com", AccountName=f"Other {i}") for i in range(5)]  # every slot
    brownfield.settings(create_account_seconds=0.2)
    held = [creation.REQUESTS[o["CreateAccountStatus"]["Id"]] for o in others]
    refuse = creation._check_capacity  # noqa: SLF001 - the sandbox's own refusal, wrapped to time the others' end

    def refused_then_they_end(mgmt: str) -> None:
        try:
            refuse(mgmt)
        except Exception:
            for request in held:  # they end right after refusing this run, before it lists what is running
                request.ready_at = utcnow()
            raise

    monkeypatch.setattr(creation, "_check_capacity", refused_then_they_end)
    run = planned(tmp_path)
    run.apply()
    run.verify()
    assert run.outcome == "applied"
    deferred = [e for e in run.journal.entries() if e["event"] == "deferred"]
    assert deferred and error in deferred[0]["error"]


def test_a_failed_request_gets_its_remedy_and_the_others_carry_on(
    brownfield: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare("account-creation")
    brownfield.settings(create_account_fail_next=["EMAIL_ALREADY_EXISTS"])
    run = planned(tmp_path)
    run.apply()
    out = capsys.readouterr().out
    assert list(run.result.failed) == [CREATES[0]]
    assert run.result.failed[CREATES[0]].startswith("EMAIL_ALREADY_EXISTS: another AWS account already uses this root email")
    assert "Org Ops: FAILED EMAIL_ALREADY_EXISTS. Remedy:" in out and "[3/3]" in out
    assert set(run.result.applied) >= set(CREATES[1:])
    remaining = run.verify()
    assert [s.id for s in remaining.steps] == [CREATES[0]] and run.outcome == "incomplete"
    assert any("FAILED with EMAIL_ALREADY_EXISTS" in note for note in remaining.notes)
    with pytest.raises(ApplyIncomplete):
        run.summary()


def test_every_failure_reason_aws_knows_has_a_remedy() -> None:
    model = botocore.session.get_session().get_service_model("organizations")
    reasons = set(model.shape_for("CreateAccountFailureReason").enum)
    assert reasons <= set(CREATE_ACCOUNT_REMEDIES), sorted(reasons - set(CREATE_ACCOUNT_REMEDIES))


def test_import_stubs_name_every_created_account(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("account-creation")
    run = apply_phase("account-creation", BROWNFIELD, tmp_path / "record")
    paths = write_import_stubs(run.params, run.inventory, run.record_dir)
    assert all(p.parent == run.record_dir / "iac" for p in paths)
    created = {a.email: a for a in run.inventory.accounts if a.email.startswith("aws+") and a.id != MGMT}
    terraform = paths[0].read_text()
    for account in created.values():
        assert f'id = "{account.id}"' in terraform and f'parent_id = "{account.parent_id}"' in terraform
    assert terraform.count("import {") == 3 and "ignore_changes = [role_name, iam_user_access_to_billing]" in terraform
    template = yaml.safe_load(paths[1].read_text())
    resources = template["Resources"]
    assert {r["Type"] for r in resources.values()} == {"AWS::Organizations::Account"}
    assert {r["Properties"]["Email"] for r in resources.values()} == set(created)
    assert all(r["DeletionPolicy"] == "Retain" for r in resources.values())
    to_import = json.loads(paths[2].read_text())
    assert {i["LogicalResourceId"] for i in to_import} == set(resources)
    assert {i["ResourceIdentifier"]["AccountId"] for i in to_import} == {a.id for a in created.values()}


def test_a_long_creation_batch_renews_the_lease_while_it_waits(brownfield: Sandbox, tmp_path: Path) -> None:
    """The CreateAccount batch calls the apply's heartbeat on each poll round, not only between steps."""
    prepare("account-creation")
    brownfield.settings(create_account_seconds=0.5)
    run = planned(tmp_path)
    beats: list[int] = []
    result = apply_plan(run.ctx, run.planned, run.journal, between_steps=lambda: beats.append(1))
    assert sorted(s for s in result.applied if s.startswith("create-account:")) == sorted(CREATES)
    others = [s for s in run.planned.steps if s.action != Action.CREATE_ACCOUNT]
    assert len(beats) > len(others) + 1  # between the steps, and again while the batch waited


def test_a_throttled_create_account_waits_a_round_and_is_not_taken_for_the_daily_quota(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("account-creation")
    brownfield.admin("faults", {"throttle": {"organizations:CreateAccount": 0.5}, "seed": 1})  # the 1st and 4th calls
    run = planned(tmp_path)
    run.apply()
    run.verify()
    assert run.outcome == "applied" and sorted(s for s in run.result.applied if s.startswith("create-account:")) == sorted(CREATES)
    throttled = [e for e in run.journal.entries() if e["event"] == "deferred" and "TooManyRequests" in e["error"]]
    assert throttled and all(len(accounts) == 1 for accounts in accounts_by_email().values())
