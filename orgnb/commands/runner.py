"""Run phase notebooks headless with papermill and turn each run into a sealed record and a result.

Papermill saves the output notebook after every cell. It saves through `ScrubbingIO` here, so a secret printed by
a cell, or passed as a secret-named parameter, is replaced before the bytes reach disk, not after the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from orgnb.commands.kernels import KERNEL_NAME, StartedKernel, kernel_env, start_kernel
from orgnb.engine.journal import Journal
from orgnb.errors import ExitCode, ParameterError, ParameterProblem, exit_code_for
from orgnb.evidence import chain, records
from orgnb.evidence.redact import Scrubber, run_scrubber, scrub_notebook
from orgnb.evidence.stops import Stop, read_stops, stop_lines
from orgnb.input.parameters import load_parameters
from orgnb.phases.registry import phase_info
from orgnb.switches import HEADLESS_ENV, Switches

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
    failed_cell: str = ""
    redacted: int = 0
    seconds: float = 0.0
    stops: tuple[Stop, ...] = ()  # the steps that failed or wait for a person (status.json's failed_steps, awaiting_steps)

    def lines(self) -> list[tuple[str, Any]]:
        """The `key: value` lines the CLI prints; a failed or waiting run ends with one line per stopped step."""
        out: list[tuple[str, Any]] = [
            ("record", self.record_dir),
            ("plan_steps", self.plan_steps),
            ("applied", self.applied),
            ("writes", self.writes),
            ("outcome", self.outcome),
            ("seconds", self.seconds),
        ]
        if self.redacted:
            out.append(("redacted", f"{self.redacted} secret(s) replaced by markers (see record.json)"))
        if self.error:
            out += [("failed_cell", self.failed_cell), ("error", self.error)]
        return out + self.stop_lines()

    def stop_lines(self) -> list[tuple[str, Any]]:
        """For a run that did not end OK, a `failed_step` / `awaiting_step` line per step it left (capped)."""
        return [] if self.exit_code == ExitCode.OK else list(stop_lines(self.stops, str(self.record_dir / records.STATUS)))

    def progress_line(self) -> str:
        """One line as the phase ends: outcome, steps applied, writes, exit code, seconds."""
        done = f"{self.applied} applied, {self.writes} writes"
        return f"{self.phase}: outcome {self.outcome}, {done}, exit {int(self.exit_code)}, {self.seconds} s"


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


_TYPES: dict[str, tuple[type, ...]] = {"bool": (bool,), "str": (str,), "int": (int,), "float": (int, float)}


def _matches_type(value: Any, expected: str) -> bool:
    """True when a -p value (parsed as YAML) has the type the notebook's parameters cell declares (unknown types pass)."""
    kinds = _TYPES.get(expected)
    return kinds is None or (isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds))


def _check_notebook_parameters(notebook: Path, extra: Mapping[str, Any]) -> None:
    import papermill  # heavy: loaded only when a notebook is about to run

    declared = papermill.inspect_notebook(str(notebook))
    unknown = sorted(set(extra) - set(declared))
    reserved = sorted(set(extra) & set(RUN_PARAMETERS))
    problems = [
        ParameterProblem(
            f"-p {name}", "not a parameter of this notebook", f"use one of {', '.join(sorted(set(declared) - set(RUN_PARAMETERS)))}"
        )
        for name in unknown
    ]
    problems += [
        ParameterProblem(f"-p {name}", "is set by the command itself", "use -f / --apply / --reports-dir instead") for name in reserved
    ]
    for name, value in extra.items():
        expected = str(declared.get(name, {}).get("inferred_type_name", ""))
        if name not in reserved and not _matches_type(value, expected):
            fix = f"pass a {expected}, e.g. {declared[name]['default']}"
            problems.append(ParameterProblem(f"-p {name}", f"{value!r} is not a {expected}", fix))
    if problems:
        raise ParameterError(problems, "command line")


SCHEME = "orgnb-record://"


class ScrubbingIO:
    """Papermill I/O handler for `orgnb-record://<path>`: every save is scrubbed, then written atomically."""

    scrubbers: dict[str, Scrubber] = {}

    @classmethod
    def _path(cls, path: str) -> Path:
        return Path(path[len(SCHEME) :])

    @classmethod
    def read(cls, path: str) -> str:
        """The notebook's text."""
        return cls._path(path).read_text(encoding="utf-8")

    @classmethod
    def write(cls, buf: str, path: str) -> None:
        """Scrub the notebook papermill is saving, then replace the file."""
        target = cls._path(path)
        scrubber = cls.scrubbers.setdefault(str(target), Scrubber())
        clean = scrub_notebook(json.loads(buf), scrubber)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(nbformat.writes(nbformat.from_dict(clean)), encoding="utf-8")
        tmp.replace(target)

    @classmethod
    def listdir(cls, path: str) -> list[str]:
        """Not needed for records."""
        raise NotImplementedError("records are single notebooks")

    @classmethod
    def pretty_path(cls, path: str) -> str:
        """The file path, without the scheme."""
        return str(cls._path(path))


def _register_io() -> None:
    from papermill.iorw import papermill_io

    if not any(scheme == SCHEME for scheme, _ in papermill_io._handlers):  # noqa: SLF001 - papermill has no lookup API
        papermill_io.register(SCHEME, ScrubbingIO)


def run_phase(
    phase: str,
    parameters_file: str | Path,
    apply: bool = False,
    notebook_parameters: Mapping[str, Any] | None = None,
    reports_dir: Path | None = None,
    kernel: StartedKernel | None = None,
) -> RunResult:
    """Validate, execute the phase's notebook into a new record folder, and seal it; never raises for a failed cell.
    `kernel`: one started ahead for this run (see orgnb.commands.kernels), closed when the run ends."""
    info = phase_info(phase)
    if not info.implemented:
        raise ParameterError(
            [ParameterProblem("phase", f"phase {info.name} has no notebook yet", "run an implemented phase (orgnb phases)")], "command line"
        )
    try:
        params_path = Path(parameters_file).resolve()
        secrets = load_parameters(params_path).secrets()
        notebook = Switches.read().notebooks / info.notebook
        extra = dict(notebook_parameters or {})
        _check_notebook_parameters(notebook, extra)
        record_dir = records.new_record_dir((reports_dir or Switches.read().reports()).resolve(), info.name)
    except BaseException:
        if kernel is not None:  # refused before it ran: its kernel goes too
            kernel.close()
        raise
    parameters = {**extra, "parameters_file": str(params_path), "apply": apply, "record_dir": str(record_dir)}
    return execute_record(info.name, notebook, record_dir, parameters, params_path, secrets, kernel)


# The kernel's one switch; its record folder (and so the reports folder its history comes from) is a parameter.
HEADLESS_SWITCHES = {HEADLESS_ENV: "1"}


def execute_record(
    phase: str,
    notebook: Path,
    record_dir: Path,
    parameters: dict[str, Any],
    params_path: Path | None,
    secrets: Sequence[str] = (),
    kernel: StartedKernel | None = None,
) -> RunResult:
    """Execute `notebook` with papermill into `record_dir` (scrubbed as it is saved, hiding `secrets`), then seal the
    record. The run uses `kernel` when given (a headless one, started in the notebook's folder), else starts one."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    _register_io()
    output = record_dir / records.NOTEBOOK
    ScrubbingIO.scrubbers[str(output)] = scrubber = run_scrubber(secrets, parameters)
    code, error = ExitCode.OK, ""
    started, clock = records.now_iso(), time.monotonic()
    try:
        if kernel is not None and kernel.cwd != notebook.parent:  # papermill's cwd does not reach a running kernel
            kernel.close()
            kernel = None
        kernel = kernel or start_kernel(notebook.parent, kernel_env(HEADLESS_SWITCHES))
        papermill.execute_notebook(
            str(notebook),
            SCHEME + str(output),
            parameters=parameters,
            cwd=str(notebook.parent),
            kernel_name=KERNEL_NAME,
            progress_bar=False,
            log_output=False,
            km=kernel.manager,
        )
    except PapermillExecutionError as exc:
        code, error = exit_code_for(exc.ename), f"{exc.ename}: {exc.evalue}"
    except Exception as exc:  # noqa: BLE001 - a dead kernel or a broken notebook still leaves a record
        code, error = ExitCode.FAILED, f"{type(exc).__name__}: {exc}"
    finally:
        ScrubbingIO.scrubbers.pop(str(output), None)
        if kernel is not None:
            kernel.close()
    status = records.read_status(record_dir)
    outcome = records.outcome_for(status, code)
    error = scrubber.text(error)
    facts = {
        "mode": "headless",
        "started": started,
        "parameters_file": records.parameters_digest(params_path) if params_path else None,
        "apply": bool(parameters.get("apply")),
        "outcome": outcome,
        "exit_code": int(code),
        "error": error or None,
    }
    try:
        manifest = records.finish_record(record_dir, facts, scrubber)
    except Exception as exc:  # noqa: BLE001 - whatever broke the sealing, the run's record is still sealed, saying so
        facts.update(outcome="failed", exit_code=int(ExitCode.FAILED), seal_error=scrubber.text(f"{type(exc).__name__}: {exc}"))
        manifest = chain.seal(record_dir, {**facts, "phase": phase, "run_id": record_dir.name, "failed_cell": None, "redactions": {}})
        code, error = ExitCode.FAILED, error or str(facts["seal_error"])
    applied = len(Journal(record_dir / records.JOURNAL, record_dir.name, phase).applied_steps())
    return RunResult(
        phase,
        record_dir,
        code,
        str(facts["outcome"]),
        int(status.get("plan_steps", 0)),
        applied,
        int(status.get("writes", 0)),
        error,
        records.describe_cell(manifest.get("failed_cell")) if error else "",
        sum(n for found in manifest["redactions"].values() for n in found.values()),
        round(time.monotonic() - clock, 1),
        read_stops(records.read_status(record_dir)),
    )
