"""Where a run's record lives: `reports/<YYYYMMDDTHHMMSSZ>-<phase>/` with the notebook, journal and status."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NOTEBOOK = "notebook.ipynb"
JOURNAL = "journal.jsonl"
STATUS = "status.json"


def run_id_now() -> str:
    """A UTC timestamp run id such as 20261128T120000Z."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def default_reports_dir() -> Path:
    """ORGNB_REPORTS_DIR, else the nearest `reports/` folder at or above the working directory, else ./reports."""
    if os.environ.get("ORGNB_REPORTS_DIR"):
        return Path(os.environ["ORGNB_REPORTS_DIR"])
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "reports").is_dir():
            return folder / "reports"
    return here / "reports"


def new_record_dir(reports_dir: Path, phase: str) -> Path:
    """Create and return a fresh record folder for `phase` (waits a second rather than reuse one)."""
    while True:
        path = reports_dir / f"{run_id_now()}-{phase}"
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            time.sleep(0.2)


def write_status(record_dir: Path, status: dict[str, Any]) -> None:
    """Replace the record's status file atomically."""
    tmp = record_dir / f".{STATUS}.tmp"
    tmp.write_text(json.dumps(status, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    tmp.replace(record_dir / STATUS)


def read_status(record_dir: Path) -> dict[str, Any]:
    """The record's status file ({} when the run stopped before writing one)."""
    path = record_dir / STATUS
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
