"""Phase 05's writes: invitations, deregistration, leaving, deleting an organization, accepting, policies, the role.

Refusals a person clears (a payment method, an SCP, a waiting period) end the account's group pending (exit 4)
with the remedy; the rest of the plan goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from orgnb.aws.guards import account_context
from orgnb.aws.policyrewrite import narrow_org_ids, widen_org_ids, write_policy
from orgnb.aws.session import AwsContext
from orgnb.engine.apply import executor
from orgnb.engine.history import FACTS, Fact, FactKind
from orgnb.engine.plan import Action, Step
from orgnb.errors import OperatorActionPending
from orgnb.remedies import OPERATOR_REMEDIES


def _context(ctx: AwsContext, step: Step) -> AwsContext:
    """Inside the step's account: through its profile, or (a joined account its profile no longer reaches) its role."""
    return account_context(ctx, step.target, step.params.get("Profile"))


def _refusal(exc: ClientError) -> str:
    """The reason (or, for AccessDenied in any protocol, `AccessDenied`) AWS gave."""
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return "AccessDenied" if code.startswith("AccessDenied") else str(exc.response.get("Reason") or code)


def _pending_if_known(exc: ClientError, what: str, detail: str = "") -> None:
    """Raise OperatorActionPending for a refusal a person clears; return for any other."""
    reason = _refusal(exc)
    if reason in OPERATOR_REMEDIES:
        raise OperatorActionPending(f"{what} ({reason}{detail}): {OPERATOR_REMEDIES[reason]}") from exc


@executor(Action.INVITE_ACCOUNT)
def _invite(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    target = {"Id": step.target, "Type": "ACCOUNT"}
    extra = {"Notes": step.params["Notes"]} if step.params.get("Notes") else {}
    handshake = ctx.client("organizations").invite_account_to_organization(Target=target, Tags=list(step.params.get("Tags", [])), **extra)
    return {"handshake_id": handshake["Handshake"]["Id"], "expires": str(handshake["Handshake"].get("ExpirationTimestamp", ""))}


@executor(Action.DEREGISTER_DELEGATED_ADMINISTRATOR)
def _deregister(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    orgs = _context(ctx, step).client("organizations")
    orgs.deregister_delegated_administrator(AccountId=step.target, ServicePrincipal=step.params["ServicePrincipal"])
    return {"service_principal": step.params["ServicePrincipal"]}


@executor(Action.LEAVE_ORGANIZATION)
def _leave(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    try:
        _context(ctx, step).client("organizations").leave_organization()
    except ClientError as exc:
        denied_by = step.params.get("DeniedBy") or []
        _pending_if_known(exc, f"{step.target} cannot leave yet", f": {', '.join(denied_by)}" if denied_by else "")
        raise
    left = step.params.get("OrganizationId", "")
    return {"left_org": left, FACTS: [Fact(FactKind.LEFT_ORGANIZATION, step.target, left, datetime.now(UTC))]}


@executor(Action.DELETE_ORGANIZATION)
def _delete_organization(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    _context(ctx, step).client("organizations").delete_organization()
    deleted = step.params["OrganizationId"]
    return {"deleted": deleted, FACTS: [Fact(FactKind.DELETED_ORGANIZATION, step.target, deleted, datetime.now(UTC))]}


@executor(Action.ACCEPT_INVITATION)
def _accept_invitation(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    org_id = ctx.client("organizations").describe_organization()["Organization"]["Id"]
    orgs = _context(ctx, step).client("organizations")
    pages = orgs.get_paginator("list_handshakes_for_account").paginate(Filter={"ActionType": "INVITE"})
    for page in pages:
        for h in page["Handshakes"]:
            parties = {p["Id"] for p in h.get("Parties", [])}
            if h["State"] in ("OPEN", "REQUESTED") and org_id in parties:
                try:
                    orgs.accept_handshake(HandshakeId=h["Id"])
                except ClientError as exc:
                    _pending_if_known(exc, f"{step.target} cannot move in yet")
                    raise
                joined = Fact(FactKind.JOINED_ORGANIZATION, step.target, org_id, datetime.now(UTC))
                return {"handshake_id": h["Id"], "joined": org_id, FACTS: [joined]}
    raise OperatorActionPending(f"{step.target} has no open invitation from {org_id}: run this phase again to send one")


REWRITES = {Action.WIDEN_POLICY: ("widened", widen_org_ids), Action.NARROW_POLICY: ("narrowed", narrow_org_ids)}


def _rewrite_policy(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    """Widen or narrow one policy from inside its account (re-read, only organization ids changed)."""
    p = step.params
    old, new = p["OldOrganizationIds"], p["OrganizationId"]
    done, rewrite = REWRITES[step.action]
    written = write_policy(_context(ctx, step), p["Kind"], p["Resource"], old, lambda d: rewrite(d, old, new))
    return {done: written, "resource": p["Resource"]}


for _action in REWRITES:
    executor(_action)(_rewrite_policy)
