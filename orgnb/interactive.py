"""Seal a notebook an operator ran in JupyterLab as a record, as complete as a headless run's.

In JupyterLab the run's folder (journal, status) is made by the notebook's first cell, which prints
`record: <folder>`. After Confirm the operator runs the cells below, so verification and summary are ordinary
outputs. `record_notebook` checks the notebook ran to its end, scrubs a copy into the folder, and seals it.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any

import nbformat

from orgnb import records
from orgnb.chain import MANIFEST
from orgnb.errors import ExitCode, RecordError, exit_code_for
from orgnb.phases import LAB_PARAMETERS_ENV
from orgnb.redact import run_scrubber, scrub_notebook

RECORD_LINE = re.compile(r"^record: (\d{8}T\d{6}Z-[a-z0-9-]+)\s*$", re.MULTILINE)
# what `start_phase` prints when `orgnb lab` chose the parameters file in place of the cell's default
LAB_PARAMETERS_LINE = re.compile(rf"^parameters: (.+) \({LAB_PARAMETERS_ENV}, in place of .*\)\s*$", re.MULTILINE)


def _outputs_text(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def printed_record(nb: nbformat.NotebookNode) -> str | None:
    """The record folder name the notebook's first cell printed, if any."""
    for cell in nb.cells:
        if cell.cell_type == "code" and (m := RECORD_LINE.search(_outputs_text(cell))):
            return m.group(1)
    return None


def find_record_dir(nb: nbformat.NotebookNode, notebook: Path) -> Path:
    """The folder the notebook's run wrote to: ORGNB_REPORTS_DIR, or a `reports/` at or above the notebook."""
    name = printed_record(nb)
    if name is None:
        raise RecordError(f"{notebook} printed no `record: <folder>` line: run its first cells, or pass --record-dir")
    here = notebook.resolve().parent
    roots = [Path(os.environ["ORGNB_REPORTS_DIR"])] if os.environ.get("ORGNB_REPORTS_DIR") else []
    roots += [folder / "reports" for folder in (here, *here.parents)]
    for root in roots:
        if (root / name).is_dir():
            return root / name
    raise RecordError(f"record folder {name} not found under {', '.join(map(str, roots[:3]))}: pass --record-dir")


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


def parameters_path(nb: nbformat.NotebookNode, notebook: Path) -> Path | None:
    """The parameters file the run used, if it exists: the one `orgnb lab` chose (the run printed it), else the
    one the operator's `parameters` cell names (relative to the notebook)."""
    for cell in nb.cells:
        if cell.cell_type == "code" and (m := LAB_PARAMETERS_LINE.search(_outputs_text(cell))):
            return Path(m.group(1)) if Path(m.group(1)).is_file() else None
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
                value = getattr(node, "value", None)
                if isinstance(target, ast.Name) and target.id == "parameters_file" and isinstance(value, ast.Constant):
                    path = (notebook.resolve().parent / str(value.value)).resolve()
                    return path if path.is_file() else None
    return None


def record_notebook(notebook: Path, record_dir: Path | None = None) -> tuple[Path, dict[str, Any]]:
    """Copy a saved interactive notebook (scrubbed) into its run's folder, render it and seal it; the folder and manifest."""
    nb = nbformat.read(notebook, as_version=4)
    folder = (record_dir or find_record_dir(nb, notebook)).resolve()
    if not (folder / records.STATUS).exists():
        raise RecordError(f"{folder} holds no run (no {records.STATUS}): pass the folder the notebook printed")
    if (folder / MANIFEST).exists() or (folder / records.NOTEBOOK).exists():
        raise RecordError(f"{folder} is already a record: a record is never rewritten")
    printed = printed_record(nb)
    if printed and printed != folder.name:
        raise RecordError(f"the notebook ran as {printed}, not {folder.name}: pass the matching --record-dir")
    check_complete(nb)
    params = parameters_path(nb, notebook)
    scrubber = run_scrubber(params)
    clean = nbformat.from_dict(scrub_notebook(dict(nb), scrubber))
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
