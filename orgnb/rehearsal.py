"""Rehearsals: start a sandbox and run phases against it (the only runbook-side user of orgnb.sandbox)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

from orgnb import records
from orgnb.errors import ExitCode
from orgnb.phases import PHASES
from orgnb.runner import RunResult, patched_environ, run_phase
from orgnb.sandbox import Sandbox


@contextlib.contextmanager
def sandboxed(scenario: str) -> Iterator[Sandbox]:
    """A running sandbox whose endpoint and profiles are in the environment for the block."""
    with Sandbox(scenario) as sandbox, patched_environ(sandbox.environ()):
        yield sandbox


def act_as_operator(sandbox: Sandbox, record_dir: Path) -> list[str]:
    """Do what an operator would for each step the run left awaiting (as the console would); what was done."""
    done = []
    for line in (record_dir / records.JOURNAL).read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["event"] != "awaiting":
            continue
        if "PAYMENT_INSTRUMENT" in entry["reason"]:
            sandbox.admin(f"accounts/{entry['target']}/standalone", {"payment_method": True})
            done.append(f"added a payment method to {entry['target']} (as its Billing console would)")
    return done


def rehearse(scenario: str, parameters_file: str | Path, reports_dir: Path) -> list[RunResult]:
    """Every implemented phase in order, with apply, against one fresh sandbox; stops at the first that fails.

    Like an operator, the rehearsal clears what a pending phase waits for (see act_as_operator) and runs that
    phase again, so the records show both the stop and the resumed run.
    """
    results: list[RunResult] = []
    with sandboxed(scenario) as sandbox:
        for phase in (p for p in PHASES if p.implemented):
            results.append(run_phase(phase.name, parameters_file, apply=True, reports_dir=reports_dir))
            if results[-1].exit_code == ExitCode.PENDING:
                actions = act_as_operator(sandbox, results[-1].record_dir)
                for action in actions:
                    print(f"operator: {action}")
                if actions:
                    results.append(run_phase(phase.name, parameters_file, apply=True, reports_dir=reports_dir))
            if results[-1].exit_code != ExitCode.OK:
                break
    return results
