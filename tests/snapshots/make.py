"""`make snapshots`: execute every implemented phase on the brownfield estate it starts from, into tests/snapshots/.

Each phase runs on a freshly reset sandbox brought to its starting state by tests/estates.py, the same function
the nbval hook in conftest.py calls, so a snapshot and its re-run always start from the same estate.

The snapshots are what nbval re-runs (and compares, through sanitize.cfg) in `make test`. Refresh them whenever a
notebook's code or its outputs change on purpose, and review the diff like any other change.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from orgnb.commands.rehearsal import sandboxed
from orgnb.commands.runner import patched_environ
from orgnb.phases.registry import PHASES
from orgnb.switches import HEADLESS_ENV, REPORTS_ENV, Switches
from tests.estates import prepare

HERE = Path(__file__).resolve().parent
SCENARIO = "brownfield"
PARAMETERS = {"parameters_file": "../../parameters/brownfield.yaml", "apply": True}


def make_snapshots() -> list[Path]:
    """Write one executed notebook per implemented phase, each from its own starting estate; returns their paths."""
    written = []
    reports = tempfile.mkdtemp(prefix="orgnb-snapshots-")
    with sandboxed(SCENARIO) as sandbox, patched_environ({HEADLESS_ENV: "1", REPORTS_ENV: reports}):
        for phase in (p for p in PHASES if p.implemented):
            sandbox.reset(SCENARIO)
            prepare(phase.name)
            target = HERE / phase.notebook
            try:
                papermill.execute_notebook(
                    str(Switches.read().notebooks / phase.notebook),
                    str(target),
                    parameters=PARAMETERS,
                    cwd=str(HERE),
                    kernel_name="python3",
                    progress_bar=False,
                )
            except PapermillExecutionError as exc:
                if exc.ename != "OperatorActionPending":
                    raise
            nb = nbformat.read(target, as_version=4)
            nb.metadata.pop("papermill", None)
            for cell in nb.cells:
                if any(o.get("ename") == "OperatorActionPending" for o in cell.get("outputs", [])):
                    # a phase waiting for a person (06 before its passcodes) ends this way: nbval expects the raise
                    cell.metadata.setdefault("tags", []).append("raises-exception")
                if "injected-parameters" in cell.metadata.get("tags", []):
                    cell["id"] = "injected-parameters"  # papermill draws a random id; keep diffs quiet
                cell.metadata.pop("papermill", None)
                cell.metadata.pop("execution", None)
            nbformat.write(nb, target)
            written.append(target)
    return written


if __name__ == "__main__":
    for path in make_snapshots():
        print(f"snapshot: {path.relative_to(HERE.parent.parent)}")
