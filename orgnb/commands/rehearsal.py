"""Rehearsals: start a sandbox and run phases against it (with orgnb.commands.lab, the runbook side's only users of orgnb.sandbox)."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from orgnb.commands.kernels import KernelQueue, kernel_env
from orgnb.commands.runner import HEADLESS_SWITCHES, RunResult, patched_environ, run_phase
from orgnb.errors import ExitCode
from orgnb.evidence import records
from orgnb.input.yamlread import load_yaml
from orgnb.phases.registry import PHASES, phase_info
from orgnb.sandbox import Sandbox
from orgnb.switches import Switches


@contextlib.contextmanager
def sandboxed(scenario: str, faults: dict[str, Any] | None = None) -> Iterator[Sandbox]:
    """A running sandbox (with `faults` injected after seeding) whose endpoint and profiles are in the environment."""
    with Sandbox(scenario, faults=faults) as sandbox, patched_environ(sandbox.environ()):
        yield sandbox


def act_as_operator(sandbox: Sandbox, record_dir: Path, parameters_file: Path) -> tuple[list[str], Path]:
    """Do what an operator would for what the run waits for; what was done, and the parameters file to run with next.

    A leave refused for the payment method: add one, as the account's Billing console would. A root email waiting
    for its passcode: read it in the new address's inbox (the sandbox mailbox) and add it to a copy of the parameters.
    """
    done: list[str] = []
    otps: dict[str, str] = {}
    for line in (record_dir / records.JOURNAL).read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["event"] == "awaiting" and "PAYMENT_INSTRUMENT" in entry["reason"]:
            sandbox.admin(f"accounts/{entry['target']}/standalone", {"payment_method": True})
            done.append(f"added a payment method to {entry['target']} (as its Billing console would)")
        if entry["event"] == "done" and "passcode_sent_to" in entry.get("result", {}):
            address = entry["result"]["passcode_sent_to"]
            mail = sandbox.admin(f"mailbox?address={urllib.parse.quote(address)}")[-1]
            otps[address] = re.findall(r"\b[A-Za-z0-9]{6}$", mail["body"])[0]
            done.append(f"read the passcode sent to {address} in its inbox")
    if not otps:
        return done, parameters_file
    data = load_yaml(parameters_file.read_text(encoding="utf-8"))
    data["otps"] = {**(data.get("otps") or {}), **otps}
    # passcodes are secrets: the copy lives outside reports/ (records name the file, never its content)
    with_otps = Path(tempfile.mkdtemp(prefix="orgnb-operator-")) / f"{parameters_file.stem}-with-otps.yaml"
    with_otps.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return done, with_otps


Say = Callable[[str], None]


def _quiet(_: str) -> None:
    """Say nothing (the default of callers that report results themselves)."""


def rehearse(
    scenario: str, parameters_file: str | Path, reports_dir: Path, faults: dict[str, Any] | None = None, say: Say = _quiet
) -> list[RunResult]:
    """Every implemented phase in order, with apply, against one fresh sandbox; stops at the first that fails."""
    with sandboxed(scenario, faults) as sandbox:
        return run_phases(sandbox, parameters_file, reports_dir, say=say)


def run_phases(
    sandbox: Sandbox, parameters_file: str | Path, reports_dir: Path, before: str | None = None, say: Say = _quiet
) -> list[RunResult]:
    """Every implemented phase in order (those before phase `before`, when given), with apply, against `sandbox`;
    stops at the first that fails. `say` gets each phase's line as it ends, and each `operator:` action.

    Like an operator, the rehearsal clears what a pending phase waits for (see act_as_operator) and runs that
    phase again, so the records show both the stop and the resumed run. Each run's kernel starts while the run
    before it executes (orgnb.commands.kernels).
    """
    with KernelQueue(Switches.read().notebooks, kernel_env(HEADLESS_SWITCHES)) as kernels:
        return _run_phases(sandbox, parameters_file, reports_dir, kernels, before, say)


def _run_phases(
    sandbox: Sandbox, parameters_file: str | Path, reports_dir: Path, kernels: KernelQueue, before: str | None, say: Say
) -> list[RunResult]:
    results: list[RunResult] = []
    original = parameters_file

    def run(name: str) -> None:  # each run's kernel booted while the one before ran
        results.append(run_phase(name, parameters_file, apply=True, reports_dir=reports_dir, kernel=kernels.take()))
        say(results[-1].progress_line())

    last = phase_info(before).number - 1 if before else PHASES[-1].number
    for phase in (p for p in PHASES if p.implemented and p.number <= last):
        run(phase.name)
        if results[-1].exit_code == ExitCode.PENDING:
            actions, parameters_file = act_as_operator(sandbox, results[-1].record_dir, Path(parameters_file))
            for action in actions:
                say(f"operator: {action}")
            if actions:
                run(phase.name)
            if Path(parameters_file).parent.name.startswith("orgnb-operator-"):  # the passcodes are spent: drop the copy
                shutil.rmtree(Path(parameters_file).parent, ignore_errors=True)
                parameters_file = original
        if results[-1].exit_code != ExitCode.OK:
            break
    return results
