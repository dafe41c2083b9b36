"""Run phase notebooks headless with papermill and turn each run into a record folder and a result."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orgnb import records
from orgnb.errors import ExitCode, ParameterError, ParameterProblem, exit_code_for
from orgnb.journal import Journal
from orgnb.parameters import load_parameters
from orgnb.phases import HEADLESS_ENV, notebooks_dir, phase_info

RUN_PARAMETERS = ("parameters_file", "apply", "record_dir")


@dataclass(frozen=True)
class RunResult:
    """How one headless run ended, and where its record is."""

    phase: str
    record_dir: Path
    exit_code: ExitCode
    outcome: str
    plan_steps: int
    applied: int
    writes: int
    error: str = ""
    failed_cell: int | None = None

    def lines(self) -> list[tuple[str, Any]]:
        """The `key: value` lines the CLI prints."""
        out: list[tuple[str, Any]] = [
            ("record", self.record_dir),
            ("plan_steps", self.plan_steps),
            ("applied", self.applied),
            ("writes", self.writes),
            ("outcome", self.outcome),
        ]
        if self.error:
            out += [("failed_cell", self.failed_cell), ("error", self.error)]
        return out


@contextlib.contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _check_notebook_parameters(notebook: Path, extra: Mapping[str, Any]) -> None:
    import papermill  # heavy: loaded only when a notebook is about to run

    declared = set(papermill.inspect_notebook(str(notebook)))
    unknown = sorted(set(extra) - declared)
    reserved = sorted(set(extra) & set(RUN_PARAMETERS))
    problems = [
        ParameterProblem(
            f"-p {name}", "not a parameter of this notebook", f"use one of {', '.join(sorted(declared - set(RUN_PARAMETERS)))}"
        )
        for name in unknown
    ]
    problems += [
        ParameterProblem(f"-p {name}", "is set by the command itself", "use -f / --apply / --reports-dir instead") for name in reserved
    ]
    if problems:
        raise ParameterError(problems, "command line")


def _outcome(status: dict[str, Any], code: ExitCode) -> str:
    if code == ExitCode.OK:
        return str(status.get("outcome", "unknown"))
    return {ExitCode.INVALID_PARAMETERS: "invalid-parameters", ExitCode.REFUSED: "refused", ExitCode.PENDING: "pending"}.get(code, "failed")


def run_phase(
    phase: str,
    parameters_file: str | Path,
    apply: bool = False,
    notebook_parameters: Mapping[str, Any] | None = None,
    reports_dir: Path | None = None,
) -> RunResult:
    """Validate, then execute the phase's notebook into a new record folder; never raises for a failed cell."""
    info = phase_info(phase)
    if not info.implemented:
        raise ParameterError(
            [ParameterProblem("phase", f"phase {info.name} has no notebook yet", "run an implemented phase (orgnb phases)")], "command line"
        )
    params_path = Path(parameters_file).resolve()
    load_parameters(params_path)
    notebook = notebooks_dir() / info.notebook
    extra = dict(notebook_parameters or {})
    _check_notebook_parameters(notebook, extra)
    record_dir = records.new_record_dir((reports_dir or records.default_reports_dir()).resolve(), info.name)
    parameters = {**extra, "parameters_file": str(params_path), "apply": apply, "record_dir": str(record_dir)}
    import papermill
    from papermill.exceptions import PapermillExecutionError

    code, error, cell = ExitCode.OK, "", None
    # the kernel finds earlier records (phase 05 reads its earlier journals) where this run writes its own
    with patched_environ({HEADLESS_ENV: "1", "ORGNB_REPORTS_DIR": str(record_dir.parent)}):
        try:
            papermill.execute_notebook(
                str(notebook),
                str(record_dir / records.NOTEBOOK),
                parameters=parameters,
                cwd=str(notebook.parent),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
            )
        except PapermillExecutionError as exc:
            code, error, cell = exit_code_for(exc.ename), f"{exc.ename}: {exc.evalue}", exc.exec_count
    status = records.read_status(record_dir)
    applied = len(Journal(record_dir / records.JOURNAL, record_dir.name, info.name).applied_steps())
    return RunResult(
        info.name,
        record_dir,
        code,
        _outcome(status, code),
        int(status.get("plan_steps", 0)),
        applied,
        int(status.get("writes", 0)),
        error,
        cell,
    )
