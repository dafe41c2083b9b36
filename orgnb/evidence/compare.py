"""Compare two records of a phase the way a reviewer reads them: what changed in the manifest, then in the writes."""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

from orgnb.errors import RecordError
from orgnb.evidence.chain import read_manifest

# Fields that differ between any two runs and say nothing about the change itself.
VOLATILE = frozenset({"files", "previous", "started", "ended", "run_id", "record", "sandbox", "calls"})


def _manifest(record: Path) -> dict[str, Any]:
    manifest = read_manifest(record)
    if not manifest:
        raise RecordError(f"{record} is not a sealed record (no record.json)")
    return manifest


def manifest_changes(old: Path, new: Path) -> list[tuple[str, Any, Any]]:
    """(field, old value, new value) for every manifest field that differs, volatile fields left out."""
    a, b = _manifest(old), _manifest(new)
    return [(key, a.get(key), b.get(key)) for key in sorted((set(a) | set(b)) - VOLATILE) if a.get(key) != b.get(key)]


def _writes(record: Path) -> list[str]:
    path = record / "journal.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    entries = [json.loads(line) for line in lines if line.strip()]
    return [f"{e['event']} {e['step']} {e.get('error') or e.get('reason') or ''}".rstrip() + "\n" for e in entries if e.get("step")]


def journal_diff(old: Path, new: Path) -> list[str]:
    """A unified diff of the two journals' step events (times and run ids left out)."""
    return list(difflib.unified_diff(_writes(old), _writes(new), fromfile=old.name, tofile=new.name))
