"""Audit findings and the checks that produce them (prowler's shape: small self-describing units)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd

from orgnb.verdict import Status

__all__ = ["CHECKS", "Check", "Finding", "Findings", "Severity", "Status", "check"]


class Severity(StrEnum):
    """How much a failure of the check matters."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


AREAS = ("identity", "management", "moving", "features", "emails", "root", "contacts", "capacity")


@dataclass(frozen=True)
class Finding:
    """One row of the audit: what was checked, how it came out, and what to do about it."""

    id: str
    area: str
    severity: Severity
    status: Status
    detail: str
    remediation: str = ""


@dataclass(frozen=True)
class Check:
    """A registered check: metadata plus the function that judges the collected inventory."""

    id: str
    area: str
    severity: Severity
    title: str
    run: Callable[..., Iterable[tuple[Status, str, str] | tuple[str, Status, str, str]]]


CHECKS: list[Check] = []


def check(id: str, area: str, severity: Severity, title: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a check. It yields (status, detail, remediation), or (id suffix, status, detail, remediation)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        CHECKS.append(Check(id, area, severity, title, fn))
        return fn

    return register


class Findings:
    """The audit's result: every finding, in area order."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.items = sorted(findings, key=lambda f: (AREAS.index(f.area), f.id))

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def frame(self, area: str | None = None) -> pd.DataFrame:
        """The findings as a table, optionally one area's."""
        rows = [
            {
                "id": f.id,
                "area": f.area,
                "severity": f.severity.value,
                "status": f.status.value,
                "detail": f.detail,
                "remediation": f.remediation,
            }
            for f in self.items
            if area is None or f.area == area
        ]
        return pd.DataFrame(rows, columns=["id", "area", "severity", "status", "detail", "remediation"])

    def counts(self) -> dict[str, int]:
        """How many findings have each status."""
        return {s.value: sum(1 for f in self.items if f.status == s) for s in Status}

    def by_id(self, finding_id: str) -> Finding:
        """The finding with `finding_id`."""
        return next(f for f in self.items if f.id == finding_id)

    @property
    def failed(self) -> list[Finding]:
        """The findings with status FAIL."""
        return [f for f in self.items if f.status == Status.FAIL]
