"""What a phase notebook calls: validate, guard, read, plan, apply (headless or confirmed), verify, summarize.

Each method is one notebook cell's worth of work, so a notebook reads as the list of its steps.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import ProfileNotFound
from IPython.display import display

from orgnb import records
from orgnb.apply import ApplyResult, apply_plan, check_applicable
from orgnb.confirm import confirm_widget
from orgnb.display import configure_display
from orgnb.errors import ApplyIncomplete, ApplyRefused, OperatorActionPending, ParameterError, ParameterProblem, PreflightRefused
from orgnb.guards import check_management_caller, check_reachable, check_sandbox_mix
from orgnb.inventory import Inventory, collect_inventory
from orgnb.journal import Journal
from orgnb.lease import RootLease
from orgnb.parameters import Parameters, load_parameters
from orgnb.phases import LAB_PARAMETERS_ENV, is_headless, lab_parameters, phase_info
from orgnb.plan import Plan
from orgnb.redact import Scrubber, run_scrubber
from orgnb.session import AwsContext, make_context
from orgnb.stops import collect_stops, status_fields

Planner = Callable[[Parameters, Inventory], Plan]
# A phase that needs more than the common inventory reads it here (phase 03: root-access features and audit).
Enricher = Callable[[AwsContext, Parameters, Inventory], Inventory]
T = TypeVar("T")


class PhaseRun:
    """One run of one phase: its parameters, AWS context, record folder and journal."""

    def __init__(
        self,
        phase: str,
        params: Parameters,
        ctx: AwsContext,
        record_dir: Path,
        apply: bool,
        headless: bool,
        params_file: str = "",
        scrubber: Scrubber | None = None,
    ) -> None:
        self.phase = phase
        self.params = params
        self.ctx = ctx
        self.record_dir = record_dir
        self.journal = Journal(record_dir / records.JOURNAL, record_dir.name, phase, scrubber)
        self.apply_requested = apply
        self.headless = headless
        self.sandbox_id: str | None = None
        self.inventory: Inventory | None = None
        self.plan: Plan | None = None
        self.result: ApplyResult | None = None
        self.waiting: tuple[str, ...] = ()  # what the plan still waited for at verification
        self._enrich: Enricher | None = None
        self._planner: Planner | None = None
        self.outcome = "started"
        self.details: dict[str, Any] = {}
        self.journal.write("run-start", apply=apply, headless=headless, parameters_file=str(params_file))
        self._note_resumption()
        self._save()

    def _note_resumption(self) -> None:
        """Journal the steps the previous run of this phase began and never finished (it was killed): this run's
        plan, read from the live state, takes them up again."""
        earlier = sorted((p for p in self.record_dir.parent.glob(f"*-{self.phase}") if p.name < self.record_dir.name), reverse=True)
        for folder in earlier:  # the newest earlier run that got as far as applying (a refused one did not)
            previous = Journal(folder / records.JOURNAL, folder.name, self.phase)
            entries = previous.entries()
            if not any(e["event"] == "apply-start" for e in entries):
                continue
            interrupted = previous.interrupted_steps()
            if interrupted:
                self.journal.write("resume", previous_run=folder.name, interrupted=interrupted)
                print(f"resuming after {folder.name}, which stopped during: {', '.join(interrupted)}")
            return

    def _save(self) -> None:
        stops = status_fields(collect_stops(self.journal.entries(), self.waiting))
        records.write_status(
            self.record_dir,
            {
                "phase": self.phase,
                "plan_hash": self.plan.hash if self.plan else None,
                "plan_steps": len(self.plan.steps) if self.plan else 0,
                "applied": len(self.journal.applied_steps()),
                "writes": self.ctx.counter.write_total,
                "calls": self.ctx.counter.total,
                "aws_seconds": round(self.ctx.counter.seconds, 3),
                "outcome": self.outcome,
                "sandbox": self.sandbox_id,
                "caller": {"account_id": self.inventory.caller.account_id, "arn": self.inventory.caller.arn} if self.inventory else None,
                "operations": self.ctx.counter.operations(),
                **stops,
                **self.details,
            },
            self.journal.scrubber,
        )

    def guard(self) -> str | None:
        """Refuse mixed sandbox / real settings, then unreachable AWS or unusable credentials (fast, saying which);
        the sandbox id when rehearsing."""
        self.sandbox_id = check_sandbox_mix(self.ctx)
        check_reachable(self.ctx)
        return self.sandbox_id

    def collect(self, reader: Callable[[AwsContext, Parameters], T]) -> T:
        """Guard, then run a read-only collector (the audit's) with this run's context and parameters."""
        self.guard()
        collected = reader(self.ctx, self.params)
        inventory = getattr(collected, "inventory", None)
        if isinstance(inventory, Inventory):
            self.inventory = inventory  # the record names the caller the audit ran as
        self.journal.write("collected", calls=self.ctx.counter.total, writes=self.ctx.counter.write_total)
        self._save()
        return collected

    def finish(self, outcome: str, **details: Any) -> None:
        """Record the run's outcome (and details such as finding counts) in the status file."""
        self.outcome = outcome
        self.details.update(details)
        self._save()

    def read_inventory(self, enrich: Enricher | None = None) -> Inventory:
        """Guard the endpoints, read the live state (plus the phase's own reads), check the caller is the management account."""
        self.guard()
        self._enrich = enrich
        self.inventory = collect_inventory(self.ctx)
        self._save()
        check_management_caller(self.params, self.inventory)
        self.journal.write("preflight", caller=self.inventory.caller.arn, sandbox=self.sandbox_id)
        if enrich is not None:
            self.inventory = enrich(self.ctx, self.params, self.inventory)
            self._save()
        return self.inventory

    def make_plan(self, planner: Planner) -> Plan:
        """Compute the plan from the parameters and the inventory, and show it with its hash."""
        if self.inventory is None:
            raise ApplyRefused("read the inventory before planning")
        self.plan = self._plan_with(planner, self.inventory)
        self._planner = planner
        self._save()
        print(self.plan.headline())
        for note in self.plan.notes:
            print(f"note: {note}")
        for step in self.plan.steps:
            if step.needs_confirmation:
                print(f"{step.id}: {step.confirmation()} (it is not applied until then)")
        return self.plan

    def _plan_with(self, planner: Planner, inventory: Inventory) -> Plan:
        """The phase's plan, its irreversible steps marked confirmed or not by `confirm_irreversible` (one rule for all)."""
        return planner(self.params, inventory).confirmed_for(self.params.confirm_irreversible)

    def apply_now(self) -> ApplyResult:
        """Apply the current plan now: what `apply=True` and the Confirm button both call."""
        if self.plan is None:
            raise ApplyRefused("make a plan before applying")
        lease = self._lease()
        try:
            if lease is not None:
                lease.acquire()
                self.journal.write("lease-taken", root=lease.root_id, expires=str(lease.expires))
                self._check_plan_current()
            renew = lease.renew_if_due if lease is not None else None
            self.result = apply_plan(self.ctx, self.plan, self.journal, between_steps=renew)
            self.outcome = "applied"
        except Exception:
            self.outcome = "failed"
            raise
        finally:
            if lease is not None and lease.expires is not None and lease.release():
                self.journal.write("lease-released", root=lease.root_id)
            self._save()
        extra = [
            f"{len(v)} {k}"
            for k, v in (("failed", self.result.failed), ("awaiting", self.result.awaiting), ("skipped", self.result.skipped))
            if v
        ]
        print(f"applied {len(self.result.applied)} step(s) of plan {self.plan.short_hash}" + (f" ({', '.join(extra)})" if extra else ""))
        return self.result

    def _check_plan_current(self) -> None:
        """With the lease held, read AWS again: refuse a plan another run has made stale since it was shown."""
        assert self.plan is not None and self._planner is not None
        inventory = collect_inventory(self.ctx)
        if self._enrich is not None:
            inventory = self._enrich(self.ctx, self.params, inventory)
        fresh = self._plan_with(self._planner, inventory)
        if fresh.hash != self.plan.hash:
            raise ApplyRefused(
                f"AWS changed since plan {self.plan.short_hash} was made (now {fresh.short_hash}; another run applied meanwhile?): "
                "run the phase again to plan from what is there now"
            )

    def _lease(self) -> RootLease | None:
        """The apply lease on the organization's root (None before the Organization exists: phase 02 creates it)."""
        if self.inventory is None or self.inventory.root is None:
            return None
        # its own session and counter: the lease's tag calls are bookkeeping, not writes the plan describes
        ctx = make_context(self.params.organization.profile, self.params.organization.region)
        return RootLease(ctx, self.inventory.root.id, self.inventory.caller.arn, self.record_dir.name)

    def apply(self) -> ApplyResult | None:
        """Apply when `apply=True`; headless otherwise says "plan only"; interactive shows the Confirm widget."""
        if self.plan is None:
            raise ApplyRefused("make a plan before applying")
        if self.plan.is_empty:
            self.outcome = "no-changes"
            self._save()
            print("nothing to change: the live state already matches the parameters")
            return None
        check_applicable(self.plan)
        if self.apply_requested:
            return self.apply_now()
        if self.headless:
            self.outcome = "plan-only"
            self._save()
            print(f"plan only: {len(self.plan.steps)} step(s) not applied; re-run with apply=True to apply plan {self.plan.short_hash}")
            return None
        self.outcome = "awaiting-confirmation"
        self._save()
        display(self.confirm_widget())
        return None

    def confirm_widget(self) -> Any:
        """The Confirm widget for the current plan (JupyterLab's path to `apply_now`)."""
        if self.plan is None:
            raise ApplyRefused("make a plan before confirming it")
        return confirm_widget(self.plan, self.apply_now)

    def verify(self, planner: Planner) -> Plan:
        """Re-read AWS and re-plan: after a successful apply nothing is left to do."""
        self.inventory = collect_inventory(self.ctx)
        if self._enrich is not None:
            self.inventory = self._enrich(self.ctx, self.params, self.inventory)
        remaining = self._plan_with(planner, self.inventory)
        if self.outcome == "awaiting-confirmation":
            print("not applied yet: confirm above, then run this cell and the ones below")
        elif self.outcome in ("applied", "no-changes") and (
            remaining.awaiting or (self.result and self.result.awaiting and not self.result.failed)
        ):
            self.outcome = "pending"
        elif self.outcome == "applied" and not remaining.is_empty:
            self.outcome = "incomplete"
        self.waiting = remaining.awaiting
        waits = [*remaining.awaiting, *(self.result.awaiting.values() if self.result else ())]
        for item in waits:
            print(f"awaiting: {item}")
        for step, error in self.result.failed.items() if self.result else ():
            print(f"failed: {step}: {error}")
        print(f"verification: {len(remaining.steps)} step(s) still planned")
        self._save()
        return remaining

    def summary(self) -> None:
        """Print the record's conclusion as `key: value` lines (the status file holds the same for the CLI)."""
        self._save()
        status = records.read_status(self.record_dir)
        for key in ("phase", "plan_hash", "plan_steps", "applied", "writes", "outcome"):
            print(f"{key}: {status[key] if status[key] is not None else 'none'}")
        if self.outcome == "pending":
            raise OperatorActionPending("the phase waits for a person: see 'awaiting' above, then run it again")
        if self.outcome == "incomplete":
            where = "the 'failed' lines above" if self.result and self.result.failed else "the verification above"
            raise ApplyIncomplete(f"the plan was applied but AWS still differs from the parameters: see {where}")


def shown_path(path: Path) -> str:
    """How the record names the parameters file: from the project's folder when it is inside (the path `orgnb run -f`
    takes from there, e.g. parameters/my-org.yaml), else its name alone (a temporary copy, a file elsewhere)."""
    project = Path(__file__).resolve().parents[1]
    try:
        return path.resolve().relative_to(project).as_posix()
    except ValueError:
        return path.name


def start_phase(phase: str, parameters_file: str, apply: bool = False, record_dir: str = "") -> PhaseRun:
    """Validate the parameters (no AWS call) and open the run's record; the first cell of every phase."""
    info = phase_info(phase)
    configure_display()
    if not isinstance(apply, bool):
        raise ParameterError([ParameterProblem("apply", f"{apply!r} is not a boolean", "pass True or False")], "notebook parameters")
    if lab := lab_parameters(parameters_file):
        print(f"parameters: {lab} ({LAB_PARAMETERS_ENV}, in place of {parameters_file})")
        parameters_file = lab
    params = load_parameters(parameters_file)
    folder = Path(record_dir) if record_dir else records.new_record_dir(records.default_reports_dir(), info.name)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        ctx = make_context(params.organization.profile, params.organization.region)
    except ProfileNotFound as exc:
        raise PreflightRefused(f"{exc}: check organization.profile and AWS_CONFIG_FILE") from None
    headless = is_headless()
    scrubber = run_scrubber(Path(parameters_file))
    return PhaseRun(info.name, params, ctx, folder, apply, headless, shown_path(Path(parameters_file)), scrubber)
