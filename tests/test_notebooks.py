"""Notebooks stay thin, parameterizable, output-free, and call only orgnb's public API."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import orgnb
from orgnb.phases.registry import PHASES
from orgnb.switches import Switches

NOTEBOOKS = sorted(Switches.read().notebooks.glob("*.ipynb"))
MAX_LINES = 8


def code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_every_implemented_phase_has_its_notebook() -> None:
    assert {p.notebook for p in PHASES if p.implemented} <= {p.name for p in NOTEBOOKS}
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin(path: Path) -> None:
    for cell in code_cells(path):
        text = source(cell)
        assert len(text.splitlines()) <= MAX_LINES, f"a code cell of {path.name} is longer than {MAX_LINES} lines"
        tree = ast.parse(text)
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)), (
                f"logic belongs in orgnb: {text!r}"
            )
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert names == ["orgnb"], f"notebooks import orgnb only: {text!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path: Path) -> None:
    nb = json.loads(path.read_text())
    assert set(nb["metadata"]) <= {"kernelspec", "language_info", "jupytext"}, "no papermill, widget or run metadata"
    for cell in nb["cells"]:
        assert set(cell["metadata"]) <= {"tags"}, f"cell {cell.get('id')}: only tags in a committed notebook's cell metadata"
    for cell in code_cells(path):
        assert cell.get("outputs") == [] and cell.get("execution_count") is None
    tagged = [c for c in code_cells(path) if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    for line in source(tagged[0]).splitlines():
        assert re.match(r"^\w+: [\w\[\], ]+ = .+  # .+$", line), f"parameters are typed literals with a comment: {line!r}"


def test_the_public_api_is_what_the_notebooks_use_and_the_errors() -> None:
    used = {name for path in NOTEBOOKS for cell in code_cells(path) for name in re.findall(r"\borgnb\.(\w+)", source(cell))}
    errors = {n for n in orgnb.__all__ if isinstance(getattr(orgnb, n), type) and issubclass(getattr(orgnb, n), (orgnb.OrgnbError, int))}
    assert orgnb.__all__ == sorted(orgnb.__all__)
    assert set(orgnb.__all__) == used | errors, "no name the notebooks do not use but the errors, none they use missing"
    assert {"ExitCode", "OperatorActionPending", "ParameterError"} <= errors


def test_runbook_code_never_imports_the_sandbox() -> None:
    package = Path(orgnb.__file__).parent
    allowed = {"commands/rehearsal.py", "commands/lab.py", "cli/__init__.py"}  # the commands that start a sandbox for a rehearsal or a lab
    for path in package.rglob("*.py"):
        if "sandbox" in path.parts or path.relative_to(package).as_posix() in allowed:
            continue
        assert "orgnb.sandbox" not in path.read_text(), f"{path.relative_to(package)} imports the sandbox"


SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_snapshot_runs_the_notebooks_own_code(path: Path) -> None:
    """nbval re-runs tests/snapshots/; they must hold the notebook's code as it is now (`make snapshots` refreshes)."""
    snapshot = SNAPSHOTS / path.name
    assert snapshot.exists(), f"no snapshot of {path.name}: run `make snapshots`"
    injected = [c for c in code_cells(snapshot) if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1, "snapshots are made by papermill, with the injected parameters"
    snapshot_code = [source(c) for c in code_cells(snapshot) if c not in injected]
    assert snapshot_code == [source(c) for c in code_cells(path)], f"{path.name} changed: run `make snapshots` and review the diff"
    assert all(c.get("outputs") for c in code_cells(snapshot)[-1:]), "snapshots hold outputs to compare"


def test_the_kernel_import_stays_light() -> None:
    """Every phase's kernel imports orgnb: nbformat (seconds of JSON-schema setup) and nbconvert stay out of it."""
    probe = "import sys, orgnb; print(sorted(m for m in ('nbformat', 'nbconvert', 'papermill', 'moto') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_snapshot_maker_imports() -> None:
    """`make snapshots` is not run by the tests: at least its imports follow the package's moves."""
    from tests.snapshots.make import make_snapshots

    assert callable(make_snapshots)
