"""Apply a plan: one executor per action, every write journaled before and after it happens.

Most actions run one step at a time and the first failure stops the apply. An action with a batch executor
(CreateAccount, whose requests AWS runs side by side) receives its consecutive steps together with a StepLog;
it journals each step itself, and a failed step is recorded while the others carry on. An irreversible step not
confirmed in the parameters is never begun: it is recorded as awaiting the operator's confirmation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgnb.aws.session import AwsContext
from orgnb.engine.history import FACT_EVENT, facts_of
from orgnb.engine.journal import Journal
from orgnb.engine.plan import Action, Plan, Step
from orgnb.errors import ApplyRefused, OperatorActionPending, StepFailed
from orgnb.remedies import remedy_for

Executor = Callable[[AwsContext, Step], Mapping[str, Any]]
_EXECUTORS: dict[Action, Executor] = {}


def executor(action: Action) -> Callable[[Executor], Executor]:
    """Register the function that carries out `action`."""

    def register(fn: Executor) -> Executor:
        _EXECUTORS[action] = fn
        return fn

    return register


@dataclass(repr=False)
class ApplyResult:
    """What an apply did: the steps that finished, their results, and the steps that failed (batch actions)."""

    plan_hash: str
    applied: list[str] = field(default_factory=list)
    results: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    awaiting: dict[str, str] = field(default_factory=dict)  # steps a person must unblock (payment method...), with what to do
    skipped: list[str] = field(default_factory=list)

    def __repr__(self) -> str:  # what a notebook cell shows: counts, the journal has the details
        counts = ", ".join(
            f"{len(v)} {k}"
            for k, v in (("applied", self.applied), ("failed", self.failed), ("awaiting", self.awaiting), ("skipped", self.skipped))
            if v or k == "applied"
        )
        return f"ApplyResult(plan {self.plan_hash[:8]}: {counts})"


class StepLog:
    """What a batch executor calls as each of its steps moves on: every call is a journal entry."""

    def __init__(self, journal: Journal, result: ApplyResult, heartbeat: Callable[[], None] | None = None, headless: bool = True) -> None:
        self.journal = journal
        self.result = result
        self.headless = headless  # True: progress as plain lines for the record; False: live bars in JupyterLab
        self._heartbeat = heartbeat

    def heartbeat(self) -> None:
        """Called by a long batch on each round of waiting: the lease renews there as it does between steps."""
        if self._heartbeat is not None:
            self._heartbeat()

    def begin(self, step: Step) -> None:
        """Before the step's first write."""
        self.journal.write(
            "begin", plan=self.result.plan_hash, step=step.id, action=step.action.value, target=step.target, params=dict(step.params)
        )

    def progress(self, step: Step, event: str, **fields: Any) -> None:
        """A milestone between begin and done (e.g. `submitted` with the request id, `deferred` when AWS said later)."""
        self.journal.write(event, plan=self.result.plan_hash, step=step.id, **fields)

    def done(self, step: Step, outcome: Mapping[str, Any]) -> None:
        """The step finished; the facts its outcome carries (orgnb.engine.history) are journaled each as an entry of its own."""
        facts, result = facts_of(outcome)
        for fact in facts:
            self.journal.write(FACT_EVENT, plan=self.result.plan_hash, step=step.id, **fact.fields())
        self.journal.write("done", plan=self.result.plan_hash, step=step.id, result=result)
        self.result.applied.append(step.id)
        self.result.results[step.id] = result

    def failed(self, step: Step, error: str) -> None:
        """The step failed; the batch carries on with the others."""
        self.journal.write("failed", plan=self.result.plan_hash, step=step.id, error=error)
        self.result.failed[step.id] = error


BatchExecutor = Callable[[AwsContext, Sequence[Step], StepLog], None]
_BATCH_EXECUTORS: dict[Action, BatchExecutor] = {}


def batch_executor(action: Action) -> Callable[[BatchExecutor], BatchExecutor]:
    """Register the function that carries out every consecutive step of `action` together."""

    def register(fn: BatchExecutor) -> BatchExecutor:
        _BATCH_EXECUTORS[action] = fn
        return fn

    return register


def _runs(steps: Sequence[Step]) -> list[list[Step]]:
    """The steps in order, consecutive steps of a batch action grouped together (not one that needs confirmation)."""
    runs: list[list[Step]] = []
    for step in steps:
        together = not (step.needs_confirmation or runs and runs[-1][0].needs_confirmation)  # a held step runs alone
        if runs and together and step.action in _BATCH_EXECUTORS and runs[-1][0].action == step.action:
            runs[-1].append(step)
        else:
            runs.append([step])
    return runs


def error_text(exc: BaseException) -> str:
    """An AWS error as `Code: Message (reason R)` with its remedy when one is known, any other as `Type: text`."""
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        reason = exc.response.get("Reason")
        remedy = remedy_for(exc)
        text = f"{err.get('Code')}: {err.get('Message')}" + (f" (reason {reason})" if reason else "")
        return text + (f". Remedy: {remedy}" if remedy else "")
    return f"{type(exc).__name__}: {exc}"


def check_applicable(plan: Plan) -> None:
    """Refuse a plan with a step no executor carries out (an unconfirmed irreversible step is held, not refused)."""
    unknown = sorted({s.action for s in plan.steps} - set(_EXECUTORS) - set(_BATCH_EXECUTORS))
    if unknown:
        raise ApplyRefused(f"no executor for {', '.join(unknown)}")


def _hold(step: Step, reason: str, log: StepLog, stopped: set[str]) -> bool:
    """Record `step` as awaiting a person and stop its group; True when the apply must stop (a step of no group)."""
    log.journal.write("awaiting", plan=log.result.plan_hash, step=step.id, target=step.target, reason=reason)
    log.result.awaiting[step.id] = reason
    stopped.add(step.group or step.id)
    return not step.group


def apply_plan(
    ctx: AwsContext,
    plan: Plan,
    journal: Journal,
    *,
    between_steps: Callable[[], None] | None = None,
    headless: bool = True,
) -> ApplyResult:
    """Carry out the plan's steps in order (the journal says how each ended).

    A failed step stops the apply, unless it belongs to a group: then the group's later steps are skipped and the
    other steps go on. A step whose executor raises OperatorActionPending (AWS waits for a person) is recorded as
    awaiting, with the same effect on its group. An irreversible step not confirmed is recorded as awaiting without
    being begun, and its whole group waits, the steps before it included. `between_steps` runs before each step
    (the lease renews there); `headless` chooses how a batch shows its progress.
    """
    check_applicable(plan)
    result = ApplyResult(plan.hash)
    journal.write("apply-start", plan=plan.hash, steps=len(plan.steps))
    log = StepLog(journal, result, between_steps, headless)
    stopped: set[str] = set()  # groups with a step that failed or waits for a person
    # a group whose irreversible step is not confirmed waits whole: nothing is done toward a change nobody confirmed
    # (phase 05 would otherwise invite an old management account whose organization's deletion is not confirmed)
    held = {s.group for s in plan.steps if s.needs_confirmation and s.group}
    for run in _runs(plan.steps):
        if between_steps is not None:
            between_steps()
        if run[0].action in _BATCH_EXECUTORS and not run[0].needs_confirmation:
            try:  # the batch journals each of its steps itself, also when it is interrupted
                _BATCH_EXECUTORS[run[0].action](ctx, run, log)
            except (ClientError, BotoCoreError) as exc:
                raise StepFailed(f"{run[0].action.value} ({len(run)} steps)", error_text(exc)) from exc
            continue
        step = run[0]
        if step.group in held and not step.needs_confirmation:
            journal.write("skipped", plan=plan.hash, step=step.id, reason=f"its group {step.group} waits for a confirmation")
            result.skipped.append(step.id)
            continue
        blocked = [g for g in (step.group, *step.after) if g and g in stopped]
        if blocked:
            journal.write("skipped", plan=plan.hash, step=step.id, reason=f"waits for {', '.join(blocked)}, which did not finish")
            result.skipped.append(step.id)
            stopped.add(step.group or step.id)
            continue
        if step.needs_confirmation:  # shown in the plan, never applied: the run ends pending, naming the account
            if _hold(step, f"{step.target}: irreversible step {step.confirmation()}", log, stopped):
                break
            continue
        log.begin(step)
        try:
            outcome = _EXECUTORS[step.action](ctx, step)
        except OperatorActionPending as exc:  # AWS refused until a person acts: the rest of the plan goes on
            if _hold(step, str(exc), log, stopped):
                break
            continue
        except Exception as exc:  # the write may or may not have happened: say so, never leave a bare "begin"
            journal.write("failed", plan=plan.hash, step=step.id, error=error_text(exc))
            if step.group and isinstance(exc, (ClientError, BotoCoreError)):
                result.failed[step.id] = error_text(exc)
                stopped.add(step.group)
                continue
            if isinstance(exc, (ClientError, BotoCoreError)):
                raise StepFailed(step.id, error_text(exc)) from exc
            raise
        log.done(step, outcome)
    journal.write(
        "apply-end",
        plan=plan.hash,
        applied=len(result.applied),
        failed=len(result.failed),
        awaiting=len(result.awaiting),
        skipped=len(result.skipped),
    )
    return result
