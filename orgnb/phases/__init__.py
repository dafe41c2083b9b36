"""The six phases of the runbook, in order, and where their notebooks live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from orgnb.errors import ParameterError, ParameterProblem

# Set by the headless runner for the kernel: no Confirm widget, "plan only" unless apply=True.
HEADLESS_ENV = "ORGNB_HEADLESS"
# Set by `orgnb lab` for its kernels: the parameters file of the sandbox's scenario, used in place of the default below.
LAB_PARAMETERS_ENV = "ORGNB_LAB_PARAMETERS"
# What every notebook's parameters cell names as `parameters_file` (relative to notebooks/; a test keeps them so).
DEFAULT_PARAMETERS = "../parameters/example.yaml"


@dataclass(frozen=True)
class PhaseInfo:
    """A phase: its number, name, one-line purpose, and whether its notebook exists yet."""

    number: int
    name: str
    purpose: str
    implemented: bool

    @property
    def notebook(self) -> str:
        """The notebook's file name in notebooks/."""
        return f"{self.number:02d}-{self.name}.ipynb"


PHASES: tuple[PhaseInfo, ...] = (
    PhaseInfo(1, "preparation-audit", "read-only audit of identity, accounts, emails, root credentials, billing, capacity", True),
    PhaseInfo(2, "organization-init", "create the Organization with all features, enable trusted access", True),
    PhaseInfo(3, "root-centralization", "central root access; audit and delete member root credentials", True),
    PhaseInfo(4, "account-creation", "OUs and member accounts from the plan", True),
    PhaseInfo(5, "migration", "invite standalone accounts, migrate members and old management accounts", True),
    PhaseInfo(6, "member-initialization", "root email, name, root credentials and contacts of moved accounts", True),
)


def phase_info(name: str) -> PhaseInfo:
    """The phase called `name` (or its number, e.g. `02`)."""
    for phase in PHASES:
        if name in (phase.name, f"{phase.number:02d}", str(phase.number), phase.notebook.removesuffix(".ipynb")):
            return phase
    names = ", ".join(p.name for p in PHASES)
    raise ParameterError([ParameterProblem("phase", f"unknown phase {name!r}", f"use one of {names}")], "command line")


def is_headless() -> bool:
    """True in a headless run (papermill, `orgnb run`): no live widgets, plain output for the record."""
    return os.environ.get(HEADLESS_ENV, "") not in ("", "0")


def lab_parameters(parameters_file: str) -> str | None:
    """The file `orgnb lab` names for an interactive run left on the default parameters file; None otherwise.

    A file named in the notebook's parameters cell always wins, and headless runs get theirs from the runner.
    """
    chosen = os.environ.get(LAB_PARAMETERS_ENV, "")
    return chosen if chosen and parameters_file == DEFAULT_PARAMETERS and not is_headless() else None


def notebooks_dir() -> Path:
    """The folder holding the phase notebooks (ORGNB_NOTEBOOKS, else the project's notebooks/)."""
    return Path(os.environ.get("ORGNB_NOTEBOOKS") or Path(__file__).resolve().parents[2] / "notebooks")
