"""Render an executed notebook as one HTML page for reviewers without Jupyter.

Code inputs are hidden (the outputs are the record); papermill's injected-parameters cell keeps its source so the
reader sees exactly which parameters the run had. Markdown, tables and papermill's error banner stay as they are.
"""

from __future__ import annotations

import copy

import nbformat

INJECTED_TAG = "injected-parameters"


def html_for(nb: nbformat.NotebookNode, title: str) -> str:
    """The notebook as a standalone HTML page (code inputs hidden, injected parameters shown)."""
    from nbconvert import HTMLExporter  # heavy: loaded only when a record is sealed

    shown = copy.deepcopy(nb)
    for cell in shown.cells:
        if cell.cell_type == "code" and INJECTED_TAG not in cell.metadata.get("tags", []):
            cell.metadata["transient"] = {"remove_source": True}
    shown.metadata.pop("widgets", None)  # widget state is not readable without Jupyter; its outputs are printed text
    exporter = HTMLExporter(template_name="lab")
    body, _ = exporter.from_notebook_node(shown, resources={"metadata": {"name": title}})
    return body
