"""Phase 04: the OUs the parameters name, the member accounts to create, and each account in its OU.

An account is matched to what exists by its root email, case-insensitively, so a re-run, or an account made by
hand or by another tool, is never created twice. A CreateAccount request still IN_PROGRESS (a previous run died
while it was running) is adopted by account name: ListCreateAccountStatus does not show emails. The plan holds
OU creations (parents first), moves of existing accounts, then the creations, which run as one pipeline. A plan
whose creations would take the organization past its account quota is refused before any is made (see capacity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from orgnb.aws.capacity import QuotaInventory, check_account_quota, read_account_quota
from orgnb.aws.inventory import Inventory
from orgnb.aws.placement import OuResolver
from orgnb.aws.session import AwsContext
from orgnb.engine.apply import StepLog, batch_executor, executor
from orgnb.engine.plan import Action, Plan, Step
from orgnb.errors import PreflightRefused
from orgnb.input.parameters import AccountSpec, Parameters
from orgnb.phases.account_creation.cadence import PollSchedule
from orgnb.phases.account_creation.pipeline import Pipeline
from orgnb.phases.account_creation.progress import Progress
from orgnb.phases.phase import Phase
from orgnb.remedies import create_account_remedy

PHASE = "account-creation"
POLL = PollSchedule()  # how the apply polls CreateAccount requests (tests and the benchmark use a faster one)


def wanted_ou_paths(params: Parameters) -> list[str]:
    """Every OU path the parameters name, with each of its ancestors, parents before children."""
    paths = {acct.ou for acct in params.accounts if acct.ou}
    paths |= {acct.ou for _, acct in params.existing_accounts() if acct.ou}
    every = {"/".join(p.split("/")[: i + 1]) for p in paths for i in range(p.count("/") + 1)}
    return sorted(every, key=lambda p: (p.count("/"), p))


def account_email(params: Parameters, spec: AccountSpec) -> str:
    """The root email planned for an account to create."""
    return spec.email or params.root_email.address(spec.slug)


def _in_progress(inventory: Inventory, name: str) -> str:
    """The id of the IN_PROGRESS CreateAccount request for `name`, if a previous run left one."""
    return next((r.id for r in inventory.create_requests if r.state == "IN_PROGRESS" and r.account_name == name), "")


def planned_accounts(params: Parameters, inventory: Inventory) -> pd.DataFrame:
    """Each account to create and what exists for it: its id when found by email, or an adopted request."""
    rows = []
    for spec in params.accounts:
        email = account_email(params, spec)
        found = inventory.account_by_email(email)
        request = _in_progress(inventory, spec.name)
        if found is not None:
            status = "exists" if not spec.ou or found.ou_path == spec.ou else f"exists in {found.ou_path or '/'}: move"
        else:
            status = f"adopt {request} (in progress)" if request else "create"
        rows.append({"name": spec.name, "email": email, "ou": spec.ou or "/", "account_id": found.id if found else "", "status": status})
    return pd.DataFrame(rows, columns=["name", "email", "ou", "account_id", "status"])


def _ou_steps(params: Parameters, inventory: Inventory) -> list[Step]:
    existing = inventory.ou_by_path()
    return [
        Step(f"ou:{path}", Action.CREATE_OU, path, f"create OU {path}", {"Path": path})
        for path in wanted_ou_paths(params)
        if path not in existing
    ]


def _account_steps(params: Parameters, inventory: Inventory) -> tuple[list[Step], list[Step], list[str]]:
    moves: list[Step] = []
    creates: list[Step] = []
    notes: list[str] = []
    for spec in params.accounts:
        email = account_email(params, spec)
        found = inventory.account_by_email(email)
        if found is not None:
            if spec.ou and found.ou_path != spec.ou:
                what = f"move {spec.name} ({found.id}) from {found.ou_path or '/'} to {spec.ou}"
                moves.append(Step(f"move:{found.id}", Action.MOVE_ACCOUNT, found.id, what, {"AccountId": found.id, "Path": spec.ou}))
            continue
        step_params: dict[str, Any] = {"AccountName": spec.name, "Email": email, "Path": spec.ou or ""}
        if spec.tags:
            step_params["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(spec.tags.items())]
        request = _in_progress(inventory, spec.name)
        where = f" in {spec.ou}" if spec.ou else ""
        if request:
            step_params["AdoptRequestId"] = request
            description = f"adopt request {request} for {spec.name} (still in progress), then place it{where}"
        else:
            description = f"create {spec.name} <{email}>{where}"
        creates.append(Step(f"create-account:{email.lower()}", Action.CREATE_ACCOUNT, email, description, step_params))
        for failed in (r for r in inventory.create_requests if r.state == "FAILED" and r.account_name == spec.name):
            notes.append(
                f"an earlier request for {spec.name} ({failed.id}) FAILED with {failed.failure_reason}: "
                f"{create_account_remedy(failed.failure_reason)}"
            )
    return moves, creates, notes


def plan_account_creation(params: Parameters, inventory: QuotaInventory) -> Plan:
    """OUs to create (parents first), existing accounts to move, accounts to create; refused past the account quota."""
    if inventory.organization is None:
        raise PreflightRefused("there is no Organization yet: run phase 02 (organization-init) first")
    moves, creates, notes = _account_steps(params, inventory)
    adopted = frozenset(str(s.params["AdoptRequestId"]) for s in creates if "AdoptRequestId" in s.params)
    capacity = check_account_quota(inventory, len(creates), "to create", adopted)
    return Plan(PHASE, tuple(_ou_steps(params, inventory) + moves + creates), tuple(notes + ([capacity] if capacity else [])))


@executor(Action.CREATE_OU)
def _create_ou(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    ou_id, created = OuResolver(ctx).create(step.params["Path"])
    return {"ou_id": ou_id, "created": created}


@executor(Action.MOVE_ACCOUNT)
def _move_account(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    moved = OuResolver(ctx).move(step.params["AccountId"], step.params["Path"])
    return {"ou": step.params["Path"], "moved": moved}


@batch_executor(Action.CREATE_ACCOUNT)
def create_accounts(ctx: AwsContext, steps: Sequence[Step], log: StepLog) -> None:
    """Create the accounts of `steps` through the pipeline, each moved to its OU as soon as it exists (or is found)."""
    resolver = OuResolver(ctx)

    def place(step: Step, account_id: str) -> dict[str, Any]:
        path = step.params.get("Path") or ""
        if not path:
            return {}
        log.progress(step, "moving", account_id=account_id, ou=path)
        resolver.move(account_id, path)
        return {"ou": path}

    Pipeline(ctx, log, place, Progress(len(steps), log.headless), poll=POLL).run(steps)


DEFINITION: Phase[QuotaInventory] = Phase(4, PHASE, "OUs and member accounts from the plan", plan_account_creation, read_account_quota)
