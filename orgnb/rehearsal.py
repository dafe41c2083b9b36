"""Rehearsals: start a sandbox and run phases against it (the only runbook-side user of orgnb.sandbox)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from orgnb.errors import ExitCode
from orgnb.phases import PHASES
from orgnb.runner import RunResult, patched_environ, run_phase
from orgnb.sandbox import Sandbox


@contextlib.contextmanager
def sandboxed(scenario: str) -> Iterator[Sandbox]:
    """A running sandbox whose endpoint and profiles are in the environment for the block."""
    with Sandbox(scenario) as sandbox, patched_environ(sandbox.environ()):
        yield sandbox


def rehearse(scenario: str, parameters_file: str | Path, reports_dir: Path) -> list[RunResult]:
    """Every implemented phase in order, with apply, against one fresh sandbox; stops at the first that fails."""
    results: list[RunResult] = []
    with sandboxed(scenario):
        for phase in (p for p in PHASES if p.implemented):
            results.append(run_phase(phase.name, parameters_file, apply=True, reports_dir=reports_dir))
            if results[-1].exit_code != ExitCode.OK:
                break
    return results
