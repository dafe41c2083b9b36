"""Crash and resume (issue 8, soak): kill a run right after its k-th write call, for every k, then run the phase
again. The end state must equal the uninterrupted run's, with no account created twice and no second invitation.

The kill is in-process: the call counter's hook raises a BaseException just after the k-th write call answered, so
nothing in orgnb catches it and the journal keeps a step begun and never finished, as a killed kernel leaves it.
A lease the killed run held stays on the root; the re-run is refused until it expires, which the test brings about
by moving the expiry into the past, as time would.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import boto3
import pytest

from orgnb.apicalls import is_write
from orgnb.errors import LeaseHeld
from orgnb.journal import Journal
from orgnb.lease import EXPIRES, RootLease, read_lease
from orgnb.phases.catalog import apply_phase
from orgnb.sandbox import Sandbox
from orgnb.session import CallCounter, make_context
from tests.estates import BROWNFIELD, prepare
from tests.test_soak import end_state

pytestmark = pytest.mark.soak


class Killed(BaseException):
    """The process died right after a write call returned."""


@contextlib.contextmanager
def killed_after_write(k: int) -> Iterator[list[str]]:
    """Kill the run right after its k-th write call (lease tags included); yields the writes seen so far."""
    original = CallCounter.record
    seen: list[str] = []

    def record(self: CallCounter, service: str, operation: str, *args: Any) -> None:
        original(self, service, operation, *args)
        if is_write(operation):
            seen.append(f"{service}:{operation}")
            if len(seen) == k:
                raise Killed(seen[-1])

    CallCounter.record = record  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        CallCounter.record = original  # type: ignore[method-assign]


def organizations() -> Any:
    return boto3.Session(profile_name="management").client("organizations", region_name="us-east-1")


def live_lease() -> bool:
    """True while a lease is on the root and its expiry has not passed."""
    org = organizations()
    lease = read_lease(make_context("management", "us-east-1"), org.list_roots()["Roots"][0]["Id"])
    return lease is not None and lease.live(datetime.now(UTC))


def expire_lease() -> None:
    """What time does to a killed run's lease: its expiry passes."""
    org = organizations()
    root = org.list_roots()["Roots"][0]["Id"]
    tags = {t["Key"] for t in org.list_tags_for_resource(ResourceId=root)["Tags"]}
    if EXPIRES in tags:
        past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        org.tag_resource(ResourceId=root, Tags=[{"Key": EXPIRES, "Value": past}])


def duplicates() -> dict[str, Any]:
    """Accounts sharing a root email, and targets invited more than once, in the management account's organization."""
    org = organizations()
    emails = Counter(a["Email"].lower() for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"])
    handshakes = [h for page in org.get_paginator("list_handshakes_for_organization").paginate() for h in page["Handshakes"]]
    targets = Counter(p["Id"] for h in handshakes if h["Action"] == "INVITE" for p in h["Parties"] if p["Type"] == "ACCOUNT")
    return {"accounts": {e: n for e, n in emails.items() if n > 1}, "invitations": {t: n for t, n in targets.items() if n > 1}}


def uninterrupted(brownfield: Sandbox, phase: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], int]:
    """The end state of the phase run once without a kill, and how many write calls it made before giving the lease
    back (taking the lease included)."""
    prepare(phase, sandbox=brownfield)
    monkeypatch.setenv("ORGNB_REPORTS_DIR", str(tmp_path / "whole"))
    with killed_after_write(10**6) as seen:
        run = apply_phase(phase, BROWNFIELD, tmp_path / "whole" / f"20261128T000000Z-{phase}")
    assert run.outcome == "applied", run.outcome
    assert seen[-1] == "organizations:UntagResource"  # the lease given back: a killed run never gets there
    return end_state(), len(seen) - 1


@pytest.mark.parametrize("phase", ["account-creation", "migration"])
def test_a_run_killed_after_any_write_resumes_to_the_same_end_state(
    brownfield: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str
) -> None:
    expected, total = uninterrupted(brownfield, phase, tmp_path, monkeypatch)
    assert total > 5
    for k in range(1, total + 1):
        brownfield.reset("brownfield")
        prepare(phase, sandbox=brownfield)
        reports = tmp_path / f"k{k}"
        monkeypatch.setenv("ORGNB_REPORTS_DIR", str(reports))  # where the re-run finds the killed run's journal, as `orgnb run` sets it
        # a killed process runs no cleanup: its lease stays on the root (in-process, `finally` would give it back)
        with pytest.raises(Killed), killed_after_write(k), patch.object(RootLease, "release", lambda self: False):
            apply_phase(phase, BROWNFIELD, reports / f"20261128T000001Z-{phase}")
        if live_lease():  # the killed run's lease: a re-run with work to do is refused, as a second operator's run would be
            try:
                early = apply_phase(phase, BROWNFIELD, reports / f"20261128T000002Z-{phase}")
            except LeaseHeld:
                early = None
            assert early is None or early.plan.is_empty, (k, early.outcome)
            expire_lease()
        rerun = apply_phase(phase, BROWNFIELD, reports / f"20261128T000003Z-{phase}")
        waits = [e.get("reason") for e in rerun.journal.entries() if e["event"] in ("awaiting", "failed")]
        assert rerun.outcome in ("applied", "no-changes"), (k, rerun.outcome, waits, rerun.plan.awaiting if rerun.plan else None)
        assert end_state() == expected, k
        assert duplicates() == {"accounts": {}, "invitations": {}}, k
        interrupted = Journal(reports / f"20261128T000001Z-{phase}" / "journal.jsonl", "killed", phase).interrupted_steps()
        resumed = [e["interrupted"] for e in rerun.journal.entries() if e["event"] == "resume"]
        assert resumed == ([interrupted] if interrupted else []), k
