"""Seal a notebook an operator ran in JupyterLab as a record, as complete as a headless run's.

In JupyterLab the run's folder (journal, status) is made by the notebook's first cell, which displays
`record: <folder>` with the folder's path and the parameters file as data (records.RUN_MIME). After Confirm the
operator runs the cells below, so verification and summary are ordinary outputs. `record_notebook` checks the
notebook ran to its end, scrubs a copy into the folder, and seals it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

from orgnb.errors import ExitCode, ParameterError, RecordError, exit_code_for
from orgnb.evidence import records
from orgnb.evidence.chain import MANIFEST
from orgnb.evidence.redact import run_scrubber, scrub_notebook
from orgnb.input.parameters import load_parameters


def announced(nb: nbformat.NotebookNode) -> dict[str, str] | None:
    """What the run's first cell displayed about itself (`PhaseRun.announce`): its record folder and parameters file."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            data = output.get("data", {}).get(records.RUN_MIME)
            if isinstance(data, dict) and isinstance(data.get("record_dir"), str):
                return {k: str(v) for k, v in data.items()}
    return None


def find_record_dir(nb: nbformat.NotebookNode, notebook: Path) -> Path:
    """The folder the notebook's run wrote to, as its first cell displayed it."""
    found = announced(nb)
    if found is None:
        raise RecordError(f"{notebook} shows no run's record folder: run its first cells in JupyterLab, or pass --record-dir")
    return Path(found["record_dir"])


def check_complete(nb: nbformat.NotebookNode) -> None:
    """Refuse a notebook whose cells did not all run: a record must end with its verification and summary."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for n, (index, cell) in enumerate(code, start=1):
        if cell.get("execution_count") is None and not records.failed_cell(nb):
            heading = records.describe_cell({"code_cell": n, "heading": records.heading_before(nb, index)})
            raise RecordError(
                f"{heading} has not run: after Confirm, use Run Selected Cell and All Below so the notebook records the "
                "verification and the summary, save it, then record it"
            )


def parameters_path(nb: nbformat.NotebookNode) -> Path | None:
    """The parameters file the run used, as its first cell displayed it (the one `orgnb lab` chose, or the one the
    `parameters` cell names), if it still exists."""
    found = announced(nb)
    path = Path(found["parameters_file"]) if found and found.get("parameters_file") else None
    return path if path is not None and path.is_file() else None


def _secrets(params: Path) -> list[str]:
    """The secrets of the parameters file the run used; refused when it no longer validates (edited since?)."""
    try:
        return load_parameters(params).secrets()
    except ParameterError as exc:
        raise RecordError(f"{params} no longer validates ({exc}): restore it as it was for the run, then record again") from None


def _without_run_data(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with the run's own data (local paths of its folder and parameters) cut from the first cell's output:
    the record keeps the `record: <folder>` line, as a headless record does."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            output.get("data", {}).pop(records.RUN_MIME, None)
    return nb


def record_notebook(notebook: Path, record_dir: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Copy a saved interactive notebook (scrubbed) into its run's folder, render it and seal it; the folder and manifest."""
    nb = nbformat.read(notebook, as_version=4)
    folder = (record_dir or find_record_dir(nb, notebook)).resolve()
    if not (folder / records.STATUS).exists():
        raise RecordError(f"{folder} holds no run (no {records.STATUS}): pass the folder the notebook showed")
    if (folder / MANIFEST).exists() or (folder / records.NOTEBOOK).exists():
        raise RecordError(f"{folder} is already a record: a record is never rewritten")
    shown = announced(nb)
    if shown and Path(shown["record_dir"]).name != folder.name:
        raise RecordError(f"the notebook ran as {Path(shown['record_dir']).name}, not {folder.name}: pass the matching --record-dir")
    check_complete(nb)
    params = parameters_path(nb)
    scrubber = run_scrubber(_secrets(params) if params else ())
    clean = nbformat.from_dict(scrub_notebook(dict(_without_run_data(nb)), scrubber))
    nbformat.write(clean, folder / records.NOTEBOOK)
    failed = records.failed_cell(clean)
    code = exit_code_for(failed["error"].split(":")[0]) if failed else ExitCode.OK
    facts = {
        "mode": "interactive",
        "source_notebook": notebook.name,
        "parameters_file": records.parameters_digest(params) if params else None,
        "outcome": records.outcome_for(records.read_status(folder), code),
        "exit_code": int(code),
        "error": failed["error"] if failed else None,
    }
    return folder, records.finish_record(folder, facts, scrubber)
