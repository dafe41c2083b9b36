"""The JSON-lines journal: one entry before and one after every write, flushed to disk at once."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from orgnb.evidence.redact import Scrubber, redact, run_scrubber

# What a step's milestones between begin and done record (a CreateAccount request and its state, a move), shown in
# the table's detail column.
MILESTONE_FIELDS = ("request_id", "state", "account_id", "ou", "kind", "subject", "organization", "at")  # "at": a fact's time


class Journal:
    """Appends redacted JSON entries to `path`; a run killed at any point leaves every finished line."""

    def __init__(self, path: Path, run_id: str, phase: str, scrubber: Scrubber | None = None) -> None:
        self.path = path
        self.run_id = run_id
        self.phase = phase
        # the run's known secrets (its keys, secret parameters) are replaced wherever they would show up
        self.scrubber = scrubber if scrubber is not None else run_scrubber()
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, event: str, **fields: Any) -> dict[str, Any]:
        """Append one entry (time, run, phase, event, fields) and fsync it."""
        entry = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "run": self.run_id, "phase": self.phase, "event": event}
        entry.update(redact(fields, self.scrubber))
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, default=str, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return entry

    def entries(self) -> list[dict[str, Any]]:
        """Every entry written so far, in order."""
        if not self.path.exists():
            return []
        entries = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue  # a line torn by a kill mid-write: the step it began shows as interrupted
        return entries

    def applied_steps(self) -> list[str]:
        """Ids of the steps that finished."""
        return [e["step"] for e in self.entries() if e["event"] == "done"]

    def interrupted_steps(self) -> list[str]:
        """Ids of steps begun but never finished or failed (the run was killed mid-write)."""
        begun: list[str] = []
        for e in self.entries():
            if e["event"] == "begin":
                begun.append(e["step"])
            elif e["event"] in ("done", "failed", "deferred", "awaiting") and e["step"] in begun:
                begun.remove(e["step"])
        return begun

    def frame(self) -> pd.DataFrame:
        """The journal as a table."""
        rows = [
            {
                "ts": e["ts"],
                "event": e["event"],
                "step": e.get("step", ""),
                "detail": e.get("error") or e.get("reason") or e.get("result") or {k: e[k] for k in MILESTONE_FIELDS if k in e} or "",
            }
            for e in self.entries()
        ]
        return pd.DataFrame(rows, columns=["ts", "event", "step", "detail"])
