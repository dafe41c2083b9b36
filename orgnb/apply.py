"""Apply a plan: one executor per action, every write journaled before and after it happens."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from orgnb.errors import ApplyRefused, StepFailed
from orgnb.journal import Journal
from orgnb.plan import Action, Plan, Step
from orgnb.session import AwsContext

Executor = Callable[[AwsContext, Step], Mapping[str, Any]]
_EXECUTORS: dict[Action, Executor] = {}


def executor(action: Action) -> Callable[[Executor], Executor]:
    """Register the function that carries out `action`."""

    def register(fn: Executor) -> Executor:
        _EXECUTORS[action] = fn
        return fn

    return register


@dataclass
class ApplyResult:
    """What an apply did: the steps that finished, and their results."""

    plan_hash: str
    applied: list[str] = field(default_factory=list)
    results: dict[str, Mapping[str, Any]] = field(default_factory=dict)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        reason = exc.response.get("Reason")
        return f"{err.get('Code')}: {err.get('Message')}" + (f" (reason {reason})" if reason else "")
    return f"{type(exc).__name__}: {exc}"


def check_applicable(plan: Plan, confirm_irreversible: Collection[str]) -> None:
    """Refuse a plan with an irreversible step whose target is not in `confirm_irreversible`."""
    missing = sorted(plan.irreversible_targets() - set(confirm_irreversible))
    if missing:
        raise ApplyRefused(f"irreversible steps target {', '.join(missing)}: list them in confirm_irreversible to apply")
    unknown = sorted({s.action for s in plan.steps} - set(_EXECUTORS))
    if unknown:
        raise ApplyRefused(f"no executor for {', '.join(unknown)}")


def apply_plan(ctx: AwsContext, plan: Plan, journal: Journal, confirm_irreversible: Collection[str] = ()) -> ApplyResult:
    """Carry out the plan's steps in order; stop at the first failure (the journal says where)."""
    check_applicable(plan, confirm_irreversible)
    result = ApplyResult(plan.hash)
    journal.write("apply-start", plan=plan.hash, steps=len(plan.steps))
    for step in plan.steps:
        journal.write("begin", plan=plan.hash, step=step.id, action=step.action.value, target=step.target, params=dict(step.params))
        try:
            outcome = _EXECUTORS[step.action](ctx, step)
        except (ClientError, BotoCoreError) as exc:
            journal.write("failed", plan=plan.hash, step=step.id, error=_error_text(exc))
            raise StepFailed(step.id, _error_text(exc)) from exc
        except Exception as exc:  # the write may or may not have happened: say so, never leave a bare "begin"
            journal.write("failed", plan=plan.hash, step=step.id, error=_error_text(exc))
            raise
        journal.write("done", plan=plan.hash, step=step.id, result=dict(outcome))
        result.applied.append(step.id)
        result.results[step.id] = outcome
    journal.write("apply-end", plan=plan.hash, applied=len(result.applied))
    return result
