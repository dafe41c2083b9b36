"""Where a run's record lives and how it is finished.

`reports/<YYYYMMDDTHHMMSSZ>-<phase>/` holds the executed notebook, its HTML rendering, the journal, the status
file and, once sealed, `record.json` (see orgnb.evidence.chain). `finish_record` is the one way a record is closed, for a
headless run and for a notebook saved from JupyterLab alike: scrub secrets, render HTML, seal into the chain.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orgnb.engine.journal import Journal
from orgnb.errors import ExitCode, RecordError
from orgnb.evidence import chain, stops
from orgnb.evidence.redact import Scrubber, count_markers, redact, scrub_notebook, scrub_value, secret_named_values

NOTEBOOK = "notebook.ipynb"
HTML = "notebook.html"
JOURNAL = "journal.jsonl"
STATUS = "status.json"
if TYPE_CHECKING:
    from nbformat import NotebookNode

VERSIONED = ("orgnb", "boto3", "botocore", "papermill", "nbconvert", "pandas")
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"  # papermill.execute.ERROR_MARKER_TAG: its banner and the anchor above the cell
PENDING_TAG = "orgnb-pending-banner"
# The output a live run's first cell displays: its record folder and parameters file, read back by `record-notebook`.
RUN_MIME = "application/vnd.orgnb.run+json"


def run_id_now() -> str:
    """A UTC timestamp run id such as 20261128T120000Z."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def new_record_dir(reports_dir: Path, phase: str) -> Path:
    """Create and return a fresh record folder for `phase` (waits a second rather than reuse one)."""
    while True:
        path = reports_dir / f"{run_id_now()}-{phase}"
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            time.sleep(0.2)


def write_status(record_dir: Path, status: dict[str, Any], scrubber: Scrubber | None = None) -> None:
    """Replace the record's status file atomically (secrets redacted)."""
    tmp = record_dir / f".{STATUS}.tmp"
    tmp.write_text(json.dumps(redact(status, scrubber), indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    tmp.replace(record_dir / STATUS)


def read_status(record_dir: Path) -> dict[str, Any]:
    """The record's status file ({} when the run stopped before writing one)."""
    path = record_dir / STATUS
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def outcome_for(status: dict[str, Any], code: ExitCode) -> str:
    """A run's outcome: the notebook's own when it ended cleanly, else named after its exit code."""
    if code == ExitCode.OK:
        return str(status.get("outcome", "unknown"))
    return {ExitCode.INVALID_PARAMETERS: "invalid-parameters", ExitCode.REFUSED: "refused", ExitCode.PENDING: "pending"}.get(code, "failed")


def parameters_digest(path: Path) -> dict[str, Any]:
    """The parameters file's name and SHA-256; for a file holding secrets (OTPs), the digest of its redacted form,
    since six characters are quickly guessed back from a digest of the whole file."""
    import yaml

    data = path.read_bytes()
    try:
        parsed = yaml.safe_load(data)
    except yaml.YAMLError:
        parsed = None
    if parsed is not None and secret_named_values(parsed):
        canonical = json.dumps(redact(parsed), sort_keys=True, default=str).encode()
        return {"name": path.name, "sha256": hashlib.sha256(canonical).hexdigest(), "of": "the parameters with secrets redacted, as JSON"}
    return {"name": path.name, "sha256": hashlib.sha256(data).hexdigest(), "of": "the file"}


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def kit_commit() -> dict[str, Any] | None:
    """The git commit of the orgnb source in use (and whether it had local changes), None outside a git checkout."""
    source = Path(__file__).resolve().parents[1]  # the orgnb package folder
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, timeout=10, check=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."], cwd=source, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit.stdout.strip(), "local_changes": bool(dirty.stdout.strip())}


def provenance() -> dict[str, Any]:
    """What ran the record: package versions, Python, and the kit's git commit."""
    versions: dict[str, str | None] = {}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    versions["python"] = platform.python_version()
    return {"versions": versions, "kit": kit_commit()}


def heading_before(nb: NotebookNode, index: int) -> str:
    """The text of the last markdown heading above cell `index` ("" when none)."""
    for cell in reversed(nb.cells[:index]):
        if cell.cell_type == "markdown":
            source: str = cell.source
            for line in reversed(source.splitlines()):
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def failed_cell(nb: NotebookNode) -> dict[str, Any] | None:
    """The first code cell with an error output: its position, execution count, id and the heading it sits under."""
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for n, index in enumerate(code_cells, start=1):
        cell = nb.cells[index]
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return {
                    "code_cell": n,
                    "execution_count": cell.get("execution_count"),
                    "id": cell.get("id"),
                    "heading": heading_before(nb, index),
                    "error": f"{output.get('ename')}: {output.get('evalue')}",
                }
    return None


def describe_cell(cell: dict[str, Any] | None) -> str:
    """A failed cell as a person finds it: `code cell 5 (In [5]) under "Apply"`."""
    if not cell:
        return ""
    where = f"code cell {cell['code_cell']}" + (f" (In [{cell['execution_count']}])" if cell.get("execution_count") else "")
    return where + (f' under "{cell["heading"]}"' if cell.get("heading") else "")


def _scrubbed_text(path: Path, text: str, scrubber: Scrubber) -> str:
    """`text` of a record file with its secrets replaced, JSON read as values (escapes hide secrets from plain text)."""
    if path.suffix == ".ipynb":
        return json.dumps(scrub_notebook(json.loads(text), scrubber), indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if path.suffix == ".json":
        return json.dumps(scrub_value(json.loads(text), scrubber), indent=2, sort_keys=True) + "\n"
    if path.suffix == ".jsonl":
        lines = [
            json.dumps(scrub_value(json.loads(line), scrubber), sort_keys=True) if line.strip() else line for line in text.splitlines()
        ]
        return "\n".join(lines) + "\n"
    return scrubber.text(text)


def scrub_files(record_dir: Path, scrubber: Scrubber) -> None:
    """Rewrite every text file of the record that holds a secret; files that are not text are left as they are."""
    for path in chain.record_files(record_dir).values():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        before = sum(scrubber.found.values())
        try:
            clean = _scrubbed_text(path, text, scrubber)
        except ValueError:  # not valid JSON (a line torn by a kill): scrub it as plain text
            clean = scrubber.text(text)
        if sum(scrubber.found.values()) != before:
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(clean, encoding="utf-8")
            tmp.replace(path)


def redactions(record_dir: Path) -> dict[str, dict[str, int]]:
    """Secrets redacted in each file of the record, by kind (read from the markers left in their place)."""
    out = {}
    for name, path in chain.record_files(record_dir).items():
        if name == HTML:
            continue  # rendered from the notebook: the same redactions
        try:
            found = count_markers(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue
        if found:
            out[name] = dict(sorted(found.items()))
    return out


def run_parameters_name(journal: list[dict[str, Any]]) -> str:
    """The parameters file the run started with, as its `run-start` entry names it (from the project's folder, or by
    name alone: see orgnb.runbook.shown_path; never its content)."""
    start = next((e for e in journal if e.get("event") == "run-start"), {})
    return str(start.get("parameters_file") or "")


def mark_pending(record_dir: Path) -> None:
    """Open a waiting run's notebook with what it waits for and the command to run after, in place of papermill's
    exception banner (and its anchor): a pending run is not a crash. The summary cell keeps its raised
    OperatorActionPending, which is how the kernel said so."""
    import nbformat

    status = read_status(record_dir)
    journal = Journal(record_dir / JOURNAL, record_dir.name, str(status.get("phase"))).entries()
    command = stops.rerun_command(str(status.get("phase")), run_parameters_name(journal))
    banner = nbformat.v4.new_markdown_cell(stops.pending_banner(stops.read_stops(status), command))
    banner.metadata["tags"] = [PENDING_TAG]
    nb = nbformat.read(record_dir / NOTEBOOK, as_version=4)
    kept = [c for c in nb.cells if not {PAPERMILL_ERROR_TAG, PENDING_TAG} & set(c.metadata.get("tags", []))]
    nb.cells = [banner, *kept]
    nbformat.write(nb, record_dir / NOTEBOOK)


def finish_record(record_dir: Path, facts: dict[str, Any], scrubber: Scrubber) -> dict[str, Any]:
    """Give a waiting run its banner, scrub, render the HTML page, and seal the record with `facts` plus what the
    record itself says."""
    import nbformat  # slow to import (its JSON schema validator): kept out of the kernel, which never needs it

    notebook = record_dir / NOTEBOOK
    if facts.get("outcome") == "pending" and notebook.exists():
        mark_pending(record_dir)
    scrub_files(record_dir, scrubber)
    nb = nbformat.read(notebook, as_version=4) if notebook.exists() else None
    render_error = None
    if nb is not None:
        from orgnb.evidence.render import html_for

        try:
            (record_dir / HTML).write_text(html_for(nb, record_dir.name), encoding="utf-8")
        except Exception as exc:  # noqa: BLE001 - the notebook is the record; a page that fails to render must not lose it
            render_error = f"{type(exc).__name__}: {exc}"
    status = read_status(record_dir)
    journal = Journal(record_dir / JOURNAL, record_dir.name, str(status.get("phase"))).entries()
    manifest = {
        "phase": status.get("phase"),
        "run_id": record_dir.name,
        "started": journal[0]["ts"] if journal else None,
        "ended": now_iso(),
        "caller": status.get("caller"),
        "sandbox": status.get("sandbox"),
        "plan_hash": status.get("plan_hash"),
        "plan_steps": status.get("plan_steps", 0),
        "steps_applied": [e["step"] for e in journal if e.get("event") == "done"],
        "writes": status.get("writes", 0),
        "calls": status.get("calls", 0),
        "aws_seconds": status.get("aws_seconds"),
        "operations": status.get("operations", {}),
        "outcome": status.get("outcome", "unknown"),
        "failed_cell": failed_cell(nb) if nb is not None else None,
        **stops.status_fields(stops.read_stops(status)),
        **provenance(),
        **facts,
        "redactions": redactions(record_dir),
        "render_error": render_error,
    }
    return chain.seal(record_dir, manifest)


def seal_interrupted(record_dir: Path) -> dict[str, Any]:
    """Seal a folder whose run ended before sealing it (killed, or its sealing failed), as it is."""
    from orgnb.evidence.redact import run_scrubber

    if not (record_dir / STATUS).exists() and not (record_dir / JOURNAL).exists():
        raise RecordError(f"{record_dir} holds no run (no {STATUS} or {JOURNAL})")
    facts = {"mode": "sealed-after-interruption", "outcome": "interrupted", "exit_code": None}
    facts["error"] = "the run ended before its record was sealed; sealed later as it was found"
    return finish_record(record_dir, facts, run_scrubber())
