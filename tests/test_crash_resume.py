"""Crash and resume (issue 8, soak): kill a run right after its k-th write call, for every k, then run the phase
again. The end state must equal the uninterrupted run's, with no account created twice and no second invitation.

For every k the kill is in-process: the call counter's hook raises a BaseException just after the k-th write call
answered, so nothing in orgnb catches it and the journal keeps a step begun and never finished, as a killed kernel
leaves it. A lease the killed run held stays on the root; the re-run is refused until it expires, which the test
brings about by moving the expiry into the past, as time would. A sample of k is also run at kernel level: `orgnb
run` in its own process, its kernel SIGKILLed by the sandbox the moment it has served the k-th write.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import boto3
import pytest

from orgnb.aws.apicalls import is_write
from orgnb.aws.session import CallCounter, make_context
from orgnb.engine.journal import Journal
from orgnb.engine.lease import EXPIRES, RootLease, read_lease
from orgnb.errors import ApplyRefused, LeaseHeld
from orgnb.runbook import apply_phase
from orgnb.sandbox import Sandbox
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


def uninterrupted(brownfield: Sandbox, phase: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], list[str]]:
    """The end state of the phase run once without a kill, and the write calls it made before giving the lease back
    (taking the lease included)."""
    prepare(phase)
    with killed_after_write(10**6) as seen:
        run = apply_phase(phase, BROWNFIELD, tmp_path / "whole" / f"20261128T000000Z-{phase}")
    assert run.outcome == "applied", run.outcome
    assert seen[-1] == "organizations:UntagResource"  # the lease given back: a killed run never gets there
    return end_state(), seen[:-1]


@pytest.mark.parametrize("phase", ["account-creation", "migration"])
def test_a_run_killed_after_any_write_resumes_to_the_same_end_state(
    brownfield: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, phase: str
) -> None:
    expected, writes = uninterrupted(brownfield, phase, tmp_path, monkeypatch)
    total = len(writes)
    assert total > 5
    for k in range(1, total + 1):
        brownfield.reset("brownfield")
        prepare(phase)
        reports = tmp_path / f"k{k}"
        # a killed process runs no cleanup: its lease stays on the root (in-process, `finally` would give it back)
        with pytest.raises(Killed), killed_after_write(k), patch.object(RootLease, "release", lambda self: False):
            apply_phase(phase, BROWNFIELD, reports / f"20261128T000001Z-{phase}")
        if live_lease():  # the killed run's lease: a re-run with work to do is refused, as a second operator's run would be
            try:
                early = apply_phase(phase, BROWNFIELD, reports / f"20261128T000002Z-{phase}")
            except LeaseHeld:
                early = None
            assert early is None or early.planned.is_empty, (k, early.outcome)
            expire_lease()
        try:
            rerun = apply_phase(phase, BROWNFIELD, reports / f"20261128T000003Z-{phase}")
        except ApplyRefused as refused:  # a request the killed run left running ended between this plan and its apply:
            assert "AWS changed since plan" in str(refused), (k, str(refused))  # the refusal says to run again, as here
            rerun = apply_phase(phase, BROWNFIELD, reports / f"20261128T000004Z-{phase}")
        waits = [e.get("reason") for e in rerun.journal.entries() if e["event"] in ("awaiting", "failed")]
        assert rerun.outcome in ("applied", "no-changes"), (k, rerun.outcome, waits, rerun.planned.awaiting if rerun.planned else None)
        assert end_state() == expected, k
        assert duplicates() == {"accounts": {}, "invitations": {}}, k
        interrupted = Journal(reports / f"20261128T000001Z-{phase}" / "journal.jsonl", "killed", phase).interrupted_steps()
        resumed = [e["interrupted"] for e in rerun.journal.entries() if e["event"] == "resume"]
        assert resumed == ([interrupted] if interrupted else []), k


def _kernels_below(pid: int) -> list[int]:
    """The ipykernel processes descending from `pid` (read from /proc)."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            child = int(stat.parent.name)
            parents[child] = int(fields[1])
            commands[child] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    below, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - below
        below |= frontier
    return sorted(p for p in below if "ipykernel" in commands.get(p, ""))


@contextlib.contextmanager
def kernel_killed_after_write(sandbox: Sandbox, k: int, cli: list[subprocess.Popen[str]]) -> Iterator[list[str]]:
    """SIGKILL the kernel of the `orgnb run` in `cli` as soon as the sandbox has served its k-th write: AWS made the
    change, the kernel never read the answer. Yields the writes served."""
    served: list[str] = []
    original = sandbox.calllog.add

    def add(account: str, service: str, operation: str, status: int) -> None:
        original(account, service, operation, status)
        if is_write(operation) and status < 400:
            served.append(f"{service}:{operation}")
            if len(served) == k:
                for pid in _kernels_below(cli[0].pid):
                    os.kill(pid, signal.SIGKILL)

    sandbox.calllog.add = add  # type: ignore[method-assign]
    try:
        yield served
    finally:
        sandbox.calllog.add = original  # type: ignore[method-assign]


def orgnb_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "orgnb.cli", *args]


@pytest.mark.parametrize("which", ["first CreateAccount", "last write before the lease goes back"])
def test_a_kernel_killed_mid_run_resumes_through_the_cli(
    brownfield: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str
) -> None:
    """The kernel-level sample: `orgnb run` as an operator runs it, its kernel SIGKILLed after a write AWS served;
    the record says so, `orgnb lease break` clears the dead run's lease, and the next `orgnb run` finishes the job."""
    expected, writes = uninterrupted(brownfield, "account-creation", tmp_path, monkeypatch)
    k = writes.index("organizations:CreateAccount") + 1 if which.startswith("first") else len(writes)
    brownfield.reset("brownfield")
    prepare("account-creation")
    reports = tmp_path / "cli"
    command = orgnb_cli("run", "account-creation", "-f", str(BROWNFIELD), "--apply", "--reports-dir", str(reports))
    cli: list[subprocess.Popen[str]] = []
    with kernel_killed_after_write(brownfield, k, cli) as served:
        cli.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))  # noqa: S603
        out, _ = cli[0].communicate(timeout=240)
    assert len(served) == k and cli[0].returncode not in (0, None), out
    killed = next(reports.glob("*-account-creation"))
    record = json.loads((killed / "record.json").read_text())
    assert record["outcome"] == "failed" and "DeadKernelError" in (record.get("error") or ""), record
    run_id = killed.name
    if live_lease():  # the dead run's lease: a run with work to do is refused (exit 3), saying how to clear it
        early = subprocess.run(command, capture_output=True, text=True, timeout=240)  # noqa: S603
        if early.returncode == 3:
            assert "lease break" in early.stdout + early.stderr
            broke = subprocess.run(orgnb_cli("lease", "break", "-f", str(BROWNFIELD), "--run", run_id), capture_output=True, text=True)  # noqa: S603
            assert broke.returncode == 0 and "removed: True" in broke.stdout, broke.stdout + broke.stderr
        else:  # nothing was left to do, and a plan with no step takes no lease
            assert early.returncode == 0 and "plan_steps: 0" in early.stdout, early.stdout + early.stderr
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=240)  # noqa: S603
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert end_state() == expected
    assert duplicates() == {"accounts": {}, "invitations": {}}
    latest = sorted(reports.glob("*-account-creation"))[-1]
    interrupted = Journal(killed / "journal.jsonl", run_id, "account-creation").interrupted_steps()
    resumed = [
        e["interrupted"] for e in Journal(latest / "journal.jsonl", latest.name, "account-creation").entries() if e["event"] == "resume"
    ]
    assert resumed == ([interrupted] if interrupted else [])
