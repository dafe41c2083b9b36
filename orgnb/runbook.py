"""What a phase notebook calls: validate, guard, read, plan, apply (headless or confirmed), verify, summarize.

Each method is one notebook cell's worth of work, so a notebook reads as the list of its steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import ProfileNotFound
from IPython.display import display

from orgnb.aws.guards import check_management_caller, check_reachable, check_sandbox_mix
from orgnb.aws.inventory import Inventory, collect_inventory
from orgnb.aws.session import AwsContext, make_context
from orgnb.display import configure_display
from orgnb.engine.apply import ApplyResult, apply_plan, check_applicable
from orgnb.engine.confirm import confirm_widget
from orgnb.engine.history import History
from orgnb.engine.journal import Journal
from orgnb.engine.lease import RootLease
from orgnb.engine.plan import Plan
from orgnb.errors import ApplyIncomplete, ApplyRefused, OperatorActionPending, ParameterError, ParameterProblem, PreflightRefused
from orgnb.evidence import records
from orgnb.evidence.redact import Scrubber, run_scrubber
from orgnb.evidence.stops import collect_stops, status_fields
from orgnb.input.parameters import Parameters, load_parameters
from orgnb.phases.phase import Collected, Phase
from orgnb.phases.registry import phase_info
from orgnb.switches import LAB_PARAMETERS_ENV, Switches

T = TypeVar("T")


class PhaseRun:
    """One run of one phase: its parameters, AWS context, record folder and journal."""

    def __init__(
        self,
        phase: Phase[Any],
        params: Parameters,
        ctx: AwsContext,
        record_dir: Path,
        apply: bool,
        headless: bool,
        history: History,
        params_file: str = "",
        scrubber: Scrubber | None = None,
    ) -> None:
        self.definition = phase
        self.history = history  # what the earlier runs recorded in this run's reports folder (orgnb.engine.history)
        self.phase = phase.name
        self.params = params
        self.ctx = ctx
        self.record_dir = record_dir
        self.journal = Journal(record_dir / records.JOURNAL, record_dir.name, phase.name, scrubber)
        self.apply_requested = apply
        self.headless = headless
        self.sandbox_id: str | None = None
        self.inventory: Inventory | None = None
        self.planned: Plan | None = None
        self.result: ApplyResult | None = None
        self.waiting: tuple[str, ...] = ()  # what the plan still waited for at verification
        self.outcome = "started"
        self.details: dict[str, Any] = {}
        self.journal.write("run-start", apply=apply, headless=headless, parameters_file=str(params_file))
        self._note_resumption()
        self._save()

    def _note_resumption(self) -> None:
        """Journal the steps the previous run of this phase began and never finished (it was killed): this run's
        plan, read from the live state, takes them up again."""
        earlier = self.history.interrupted(self.phase, before=self.record_dir.name)
        if earlier is not None:
            self.journal.write("resume", previous_run=earlier.record, interrupted=list(earlier.steps))
            print(f"resuming after {earlier.record}, which stopped during: {', '.join(earlier.steps)}")

    def _save(self) -> None:
        stops = status_fields(collect_stops(self.journal.entries(), self.waiting))
        records.write_status(
            self.record_dir,
            {
                "phase": self.phase,
                "plan_hash": self.planned.hash if self.planned else None,
                "plan_steps": len(self.planned.steps) if self.planned else 0,
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

    def announce(self, parameters_file: Path) -> None:
        """Say where this run records: a line for a headless record; live, also the folder and parameters file as data
        (`orgnb record-notebook` reads them back from the saved notebook)."""
        line = f"record: {self.record_dir.name}"
        if self.headless:
            print(line)
            return
        where = {"record_dir": str(self.record_dir.resolve()), "parameters_file": str(parameters_file.resolve())}
        display({"text/plain": line, records.RUN_MIME: where}, raw=True)

    def guard(self) -> str | None:
        """Refuse mixed sandbox / real settings, then unreachable AWS or unusable credentials (fast, saying which);
        the sandbox id when rehearsing."""
        self.sandbox_id = check_sandbox_mix(self.ctx)
        check_reachable(self.ctx)
        return self.sandbox_id

    def collect(self) -> Any:
        """Guard, then run the read-only phase's collector (the audit's) with this run's context and parameters."""
        collector = self.definition.collector
        if collector is None:
            raise ApplyRefused(f"phase {self.phase} plans: read it with run.read()")
        self.guard()
        collected: Collected = collector(self.ctx, self.params)
        self.inventory = collected.inventory  # the record names the caller the audit ran as
        self.journal.write("collected", calls=self.ctx.counter.total, writes=self.ctx.counter.write_total)
        self._save()
        return collected

    def finish(self, outcome: str, **details: Any) -> None:
        """Record the run's outcome (and details such as finding counts) in the status file."""
        self.outcome = outcome
        self.details.update(details)
        self._save()

    def read(self) -> Inventory:
        """Guard the endpoints, read the live state (plus the phase's own reads), check the caller is the management account."""
        self.guard()
        self.inventory = collect_inventory(self.ctx, calls_per_second=self.params.organization.organizations_calls_per_second)
        self._save()
        check_management_caller(self.params, self.inventory)
        self.journal.write("preflight", caller=self.inventory.caller.arn, sandbox=self.sandbox_id)
        self.inventory = self._phase_reads(self.inventory)
        self._save()
        return self.inventory

    def _phase_reads(self, inventory: Inventory) -> Inventory:
        """The common inventory plus what this phase reads itself."""
        reader = self.definition.reader
        return reader(self.ctx, self.params, inventory) if reader is not None else inventory

    def _fresh_inventory(self) -> Inventory:
        return self._phase_reads(collect_inventory(self.ctx, calls_per_second=self.params.organization.organizations_calls_per_second))

    def plan(self) -> Plan:
        """Compute the plan from the parameters and the inventory, and show it with its hash."""
        if self.inventory is None:
            raise ApplyRefused("read the inventory before planning")
        self.planned = self._plan_with(self.inventory)
        self._save()
        print(self.planned.headline())
        for note in self.planned.notes:
            print(f"note: {note}")
        for step in self.planned.steps:
            if step.needs_confirmation:
                print(f"{step.id}: {step.confirmation()} (it is not applied until then)")
        return self.planned

    def _plan_with(self, inventory: Inventory) -> Plan:
        """The phase's plan, its irreversible steps marked confirmed or not by `confirm_irreversible` (one rule for all)."""
        planner = self.definition.planner
        if planner is None:
            raise ApplyRefused(f"phase {self.phase} only reads: it has no plan")
        return planner(self.params, inventory).confirmed_for(self.params.confirm_irreversible)

    def apply_now(self) -> ApplyResult:
        """Apply the current plan now: what `apply=True` and the Confirm button both call."""
        if self.planned is None:
            raise ApplyRefused("make a plan before applying")
        lease = self._lease()
        try:
            if lease is not None:
                lease.acquire()
                self.journal.write("lease-taken", root=lease.root_id, expires=str(lease.expires))
                self._check_plan_current()
            renew = lease.renew_if_due if lease is not None else None
            self.result = apply_plan(self.ctx, self.planned, self.journal, between_steps=renew, headless=self.headless)
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
        print(f"applied {len(self.result.applied)} step(s) of plan {self.planned.short_hash}" + (f" ({', '.join(extra)})" if extra else ""))
        return self.result

    def _check_plan_current(self) -> None:
        """With the lease held, read AWS again: refuse a plan another run has made stale since it was shown."""
        assert self.planned is not None
        fresh = self._plan_with(self._fresh_inventory())
        if fresh.hash != self.planned.hash:
            raise ApplyRefused(
                f"AWS changed since plan {self.planned.short_hash} was made (now {fresh.short_hash}; another run applied meanwhile?): "
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
        if self.planned is None:
            raise ApplyRefused("make a plan before applying")
        if self.planned.is_empty:
            self.outcome = "no-changes"
            self._save()
            print("nothing to change: the live state already matches the parameters")
            return None
        check_applicable(self.planned)
        if self.apply_requested:
            return self.apply_now()
        if self.headless:
            self.outcome = "plan-only"
            self._save()
            print(
                f"plan only: {len(self.planned.steps)} step(s) not applied; re-run with apply=True to apply plan {self.planned.short_hash}"
            )
            return None
        self.outcome = "awaiting-confirmation"
        self._save()
        display(self.confirm_widget())
        return None

    def confirm_widget(self) -> Any:
        """The Confirm widget for the current plan (JupyterLab's path to `apply_now`)."""
        if self.planned is None:
            raise ApplyRefused("make a plan before confirming it")
        return confirm_widget(self.planned, self.apply_now)

    def verify(self) -> Plan:
        """Re-read AWS and re-plan: after a successful apply nothing is left to do."""
        self.inventory = self._fresh_inventory()
        remaining = self._plan_with(self.inventory)
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


def start_phase(phase: str, parameters_file: str, apply: bool = False, record_dir: str = "", switches: Switches | None = None) -> PhaseRun:
    """Validate the parameters (no AWS call) and open the run's record; the first cell of every phase.

    `switches` (how the kernel was started) are read from its environment here, at the edge, when not given.
    """
    info = phase_info(phase)
    switches = switches if switches is not None else Switches.read()
    configure_display()
    if not isinstance(apply, bool):
        raise ParameterError([ParameterProblem("apply", f"{apply!r} is not a boolean", "pass True or False")], "notebook parameters")
    if lab := switches.parameters_file(parameters_file):
        print(f"parameters: {lab} ({LAB_PARAMETERS_ENV}, in place of {parameters_file})")
        parameters_file = lab
    params = load_parameters(parameters_file)
    folder = Path(record_dir) if record_dir else records.new_record_dir(switches.reports(), info.name)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        ctx = make_context(params.organization.profile, params.organization.region)
    except ProfileNotFound as exc:
        raise PreflightRefused(f"{exc}: check organization.profile and AWS_CONFIG_FILE") from None
    scrubber = run_scrubber(params.secrets())
    history = History(folder.parent)  # the reports folder this run records in holds the earlier runs
    run = PhaseRun(info, params, ctx, folder, apply, switches.headless, history, shown_path(Path(parameters_file)), scrubber)
    run.announce(Path(parameters_file))
    return run


def apply_phase(phase: str, parameters_file: str | Path, record_dir: Path) -> PhaseRun:
    """Validate, read, plan, apply and verify one phase in this process, as its notebook does headless: for harnesses
    that need an estate in the state a phase leaves (test snapshots, the benchmark) without a kernel's start-up."""
    run = start_phase(phase, str(parameters_file), apply=True, record_dir=str(record_dir), switches=Switches(headless=True))
    run.read()
    run.plan()
    run.apply()
    run.verify()
    return run
