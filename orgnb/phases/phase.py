"""What a phase is: its number and name, what it reads beyond the common inventory, how it plans.

Each phase's package or module builds one `Phase`; `orgnb.phases.registry.PHASES` lists them in order, and the
runbook, CLI, runner, lab, policy builder, snapshot maker and test estates all read that one list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from orgnb.aws.inventory import Inventory

if TYPE_CHECKING:
    from orgnb.aws.session import AwsContext
    from orgnb.engine.plan import Plan
    from orgnb.input.parameters import Parameters

# The inventory a phase plans from: the common one, or its own subclass carrying what the phase reads itself.
Inv = TypeVar("Inv", bound=Inventory)
Reader = Callable[["AwsContext", "Parameters", Inventory], Inv]
Planner = Callable[["Parameters", Inv], "Plan"]


class Collected(Protocol):
    """What a read-only phase collects: at least the common inventory (its record names the caller from it)."""

    @property
    def inventory(self) -> Inventory:
        """The common inventory, read as part of the collection."""
        ...


Collector = Callable[["AwsContext", "Parameters"], Any]  # returns a Collected (the audit's AuditInventory)


@dataclass(frozen=True)
class Phase(Generic[Inv]):
    """One phase of the runbook. A phase without a planner (the audit) only reads, with its collector; a planning
    phase's executors register themselves with `orgnb.engine.apply` when its module is imported."""

    number: int
    name: str
    purpose: str
    planner: Planner[Inv] | None = None
    reader: Reader[Inv] | None = None  # None: the phase plans from the common inventory
    collector: Collector | None = None  # a read-only phase's one read (PhaseRun.collect)
    implemented: bool = True

    @property
    def notebook(self) -> str:
        """The notebook's file name in notebooks/."""
        return f"{self.number:02d}-{self.name}.ipynb"

    def matches(self, name: str) -> bool:
        """True when `name` names this phase: its name, its number (`2` or `02`) or its notebook's stem."""
        return name in (self.name, f"{self.number:02d}", str(self.number), self.notebook.removesuffix(".ipynb"))
