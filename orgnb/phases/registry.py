"""The runbook's phases, in order: one line per phase. Everything that lists or runs phases reads this."""

from __future__ import annotations

from typing import Any

from orgnb.errors import ParameterError, ParameterProblem
from orgnb.phases import account_creation, guardrails, member_initialization, migration, organization_init, root_centralization
from orgnb.phases import preparation_audit as audit
from orgnb.phases.phase import Phase

PHASES: tuple[Phase[Any], ...] = (
    audit.DEFINITION,
    organization_init.DEFINITION,
    root_centralization.DEFINITION,
    account_creation.DEFINITION,
    migration.DEFINITION,
    member_initialization.DEFINITION,
    guardrails.DEFINITION,
)


def phase_info(name: str) -> Phase[Any]:
    """The phase called `name` (or its number, e.g. `02`)."""
    for phase in PHASES:
        if phase.matches(name):
            return phase
    names = ", ".join(p.name for p in PHASES)
    raise ParameterError([ParameterProblem("phase", f"unknown phase {name!r}", f"use one of {names}")], "command line")
