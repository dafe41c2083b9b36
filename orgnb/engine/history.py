"""What earlier runs did, read back as typed facts, from the reports folder a run is given.

An executor that learns something a later run needs (an account left its organization, and when; an organization
was deleted; an account joined) returns it as `Fact`s under `FACTS` in its outcome. The apply journals each as a
`fact` entry of its own; `History(reports_dir)` reads those entries back, and the steps a killed run left
begun. Nothing here parses step ids or executor results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from orgnb.engine.journal import Journal

FACT_EVENT = "fact"
FACTS = "facts"  # the key of an executor's outcome that carries its facts


class FactKind(StrEnum):
    """What a fact records."""

    LEFT_ORGANIZATION = "left-organization"  # subject: the account; organization: the one it left
    JOINED_ORGANIZATION = "joined-organization"  # subject: the account; organization: the one it joined
    DELETED_ORGANIZATION = "deleted-organization"  # subject: the old management account; organization: the one deleted


@dataclass(frozen=True)
class Fact:
    """One thing a run did that a later run needs to know, with when it happened (UTC)."""

    kind: FactKind
    subject: str
    organization: str
    at: datetime
    record: str = ""  # the record folder it was journaled in (filled when read back)

    def fields(self) -> dict[str, str]:
        """The journal entry's fields."""
        return {"kind": self.kind.value, "subject": self.subject, "organization": self.organization, "at": self.at.isoformat()}

    @classmethod
    def from_entry(cls, entry: Mapping[str, Any], record: str) -> Fact:
        """The fact a `fact` journal entry holds."""
        return cls(FactKind(entry["kind"]), entry["subject"], entry["organization"], datetime.fromisoformat(entry["at"]), record)


@dataclass(frozen=True)
class Interrupted:
    """The newest earlier run of a phase that began applying, and the steps it began and never finished."""

    record: str
    steps: tuple[str, ...]


def _fact(entry: Mapping[str, Any], targets: Mapping[str, str], record: str) -> Fact | None:
    """The fact an entry holds: a `fact` entry of a kind this kit knows, or a leave journaled before facts existed
    (its `done` result held `left_at`; the account is its step's target)."""
    if entry["event"] == FACT_EVENT:
        return Fact.from_entry(entry, record) if entry.get("kind") in set(FactKind) else None
    result = entry.get("result") if entry["event"] == "done" else None
    if isinstance(result, dict) and "left_at" in result and entry.get("step") in targets:
        left = datetime.fromisoformat(str(result["left_at"]))
        return Fact(FactKind.LEFT_ORGANIZATION, targets[entry["step"]], str(result.get("left_org", "")), left, record)
    return None


def _journals(reports_dir: Path, phase: str = "*") -> list[Journal]:
    """The journals of the records under `reports_dir` (of `phase`, when given), oldest first."""
    paths = sorted(reports_dir.glob(f"*-{phase}/journal.jsonl"))
    return [Journal(p, p.parent.name, p.parent.name.split("-", 1)[-1]) for p in paths]


@dataclass(frozen=True)
class History:
    """What the records under one reports folder hold (None: no earlier records), read when first asked."""

    reports_dir: Path | None

    @property
    def facts(self) -> tuple[Fact, ...]:
        """Every fact journaled by the records under the folder, oldest first (read afresh: a run's apply adds its own)."""
        found: list[Fact] = []
        for journal in _journals(self.reports_dir) if self.reports_dir is not None else ():
            targets: dict[str, str] = {}
            for entry in journal.entries():
                if entry["event"] == "begin":
                    targets[entry["step"]] = entry.get("target", "")
                fact = _fact(entry, targets, journal.run_id)
                if fact is not None:
                    found.append(fact)
        return tuple(found)

    def latest(self, kind: FactKind) -> dict[str, Fact]:
        """The newest fact of `kind` for each subject."""
        return {f.subject: f for f in self.facts if f.kind == kind}

    def interrupted(self, phase: str, before: str) -> Interrupted | None:
        """The newest run of `phase` recorded before `before` that began applying, with the steps it left begun
        (None when there is none, or it finished every step it began)."""
        if self.reports_dir is None:
            return None
        for journal in reversed([j for j in _journals(self.reports_dir, phase) if j.run_id < before]):
            if any(e["event"] == "apply-start" for e in journal.entries()):  # a refused run never began applying
                steps = journal.interrupted_steps()
                return Interrupted(journal.run_id, tuple(steps)) if steps else None
        return None


def facts_of(outcome: Mapping[str, Any]) -> tuple[list[Fact], dict[str, Any]]:
    """An executor's outcome split into its facts and the rest (what the `done` entry records)."""
    facts = outcome.get(FACTS) or []
    return [f for f in facts if isinstance(f, Fact)], {k: v for k, v in outcome.items() if k != FACTS}
