"""Each planning phase's planner and extra reads, and a way to apply a phase without a kernel.

The notebooks call the same functions cell by cell; `apply_phase` runs that sequence in-process for harnesses
that need an estate in the state a phase leaves (test snapshots, the benchmark), without a kernel's start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orgnb.capacity import read_account_quota
from orgnb.phases import phase_info
from orgnb.phases.account_creation import plan_account_creation
from orgnb.phases.member_initialization import plan_member_initialization, read_members
from orgnb.phases.migration import plan_migration, read_migration
from orgnb.phases.organization_init import plan_organization_init
from orgnb.phases.root_centralization import plan_root_centralization, read_root_access
from orgnb.runbook import Enricher, PhaseRun, Planner, start_phase


@dataclass(frozen=True)
class PhaseLogic:
    """What a phase plans with, and what it reads beyond the common inventory."""

    planner: Planner
    enrich: Enricher | None = None


LOGIC: dict[str, PhaseLogic] = {
    "organization-init": PhaseLogic(plan_organization_init),
    "root-centralization": PhaseLogic(plan_root_centralization, read_root_access),
    "account-creation": PhaseLogic(plan_account_creation, read_account_quota),
    "migration": PhaseLogic(plan_migration, read_migration),
    "member-initialization": PhaseLogic(plan_member_initialization, read_members),
}


def apply_phase(phase: str, parameters_file: str | Path, record_dir: Path) -> PhaseRun:
    """Validate, read, plan, apply and verify one phase in this process, as its notebook does headless."""
    name = phase_info(phase).name
    logic = LOGIC[name]
    run = start_phase(name, str(parameters_file), apply=True, record_dir=str(record_dir))
    run.read_inventory(logic.enrich)
    run.make_plan(logic.planner)
    run.apply()
    run.verify(logic.planner)
    return run
