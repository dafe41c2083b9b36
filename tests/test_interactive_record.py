"""Interactive parity: a notebook run as in JupyterLab (Run All, Confirm, run the cells below) becomes a record."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from orgnb.cli import main
from orgnb.evidence import chain, records
from orgnb.sandbox import Sandbox
from orgnb.switches import HEADLESS_ENV, REPORTS_ENV

ROOT = Path(__file__).resolve().parent.parent
CLICK = "w = run.confirm_widget()\nw.children[1].value = run.planned.short_hash\nw.children[2].click()"


def run_like_jupyterlab(notebook: Path, params: Path, out: Path) -> nbformat.NotebookNode:
    """Run All (stops at the Confirm widget), press Confirm, run the cells below the apply cell, save."""
    nb = nbformat.read(notebook, as_version=4)
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    parameters.source = parameters.source.replace("../parameters/example.yaml", str(params))
    client = NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(notebook.parent)}})
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    apply_cell = next(i for i in code if "run.apply()" in nb.cells[i].source)
    with client.setup_kernel():
        for i in code:
            client.execute_cell(nb.cells[i], i)
        assert "not applied yet" in "".join(o.get("text", "") for o in nb.cells[code[-2]].outputs)
        # the button's handler runs in the kernel: the same `apply_now` the displayed widget would call
        nb.cells.append(nbformat.v4.new_code_cell(CLICK))  # scratch cell, removed before saving
        client.execute_cell(nb.cells[-1], len(nb.cells) - 1, store_history=False)
        nb.cells.pop()
        for i in code:
            if i > apply_cell:
                client.execute_cell(nb.cells[i], i)
    nbformat.write(nb, out)
    return nb


def test_a_notebook_saved_from_jupyterlab_becomes_a_sealed_record(
    sandbox: Sandbox, example_params: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    monkeypatch.setenv(REPORTS_ENV, str(reports))
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    saved = tmp_path / "02-organization-init.ipynb"
    run_like_jupyterlab(ROOT / "notebooks" / "02-organization-init.ipynb", example_params, saved)
    assert main(["record-notebook", str(saved)]) == 0
    out = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines() if ": " in line)
    folder = Path(out["record"])
    assert folder.parent == reports and out["outcome"] == "applied"
    manifest = chain.read_manifest(folder)
    assert (manifest["mode"], manifest["phase"], len(manifest["steps_applied"]), manifest["parameters_file"]["name"]) == (
        "interactive",
        "organization-init",
        7,
        "example.yaml",
    )
    assert manifest["caller"]["account_id"] == "111122223333"
    assert {records.NOTEBOOK, records.HTML, records.JOURNAL, records.STATUS} <= set(manifest["files"])
    text = (folder / records.NOTEBOOK).read_text()
    assert "outcome: applied" in text and "verification: 0 step(s) still planned" in text and "create-organization" in text
    assert f"record: {folder.name}" in text and records.RUN_MIME not in text and str(tmp_path) not in text  # no local paths
    assert records.RUN_MIME in saved.read_text()  # the operator's own copy keeps them
    assert chain.verify_path(reports) == []
    assert main(["record-notebook", str(saved)]) == 1  # a record is never rewritten
    assert "already a record" in capsys.readouterr().err


def test_a_notebook_with_cells_not_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "reports" / "20261128T120000Z-organization-init"
    folder.mkdir(parents=True)
    records.write_status(folder, {"phase": "organization-init", "outcome": "applied"})
    nb = nbformat.read(ROOT / "notebooks" / "02-organization-init.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for n, cell in enumerate(code[:-2], start=1):
        cell.execution_count = n
    shown = {"text/plain": f"record: {folder.name}", records.RUN_MIME: {"record_dir": str(folder), "parameters_file": ""}}
    code[1].outputs = [nbformat.v4.new_output("display_data", data=shown)]
    saved = tmp_path / "02.ipynb"
    nbformat.write(nb, saved)
    assert main(["record-notebook", str(saved)]) == 1
    err = capsys.readouterr().err
    assert f'code cell {len(code) - 1} under "Verify" has not run' in err
    assert not (folder / chain.MANIFEST).exists()
