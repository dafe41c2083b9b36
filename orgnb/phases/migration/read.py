"""Phase 05's reads: each account to bring in, seen from the new organization and from inside through its profile."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from orgnb.aws.capacity import account_quota
from orgnb.aws.guards import profile_context
from orgnb.aws.inside import NotInside, Why, look_inside
from orgnb.aws.inventory import Inventory
from orgnb.aws.listing import listed
from orgnb.aws.pathpolicies import PolicyType
from orgnb.aws.policyrewrite import find_org_policies
from orgnb.aws.session import MEMBER_ROLE, AwsContext
from orgnb.aws.transfer_impact import TransferView, collect_transfer, judge_transfer
from orgnb.input.parameters import ExistingAccount, Parameters
from orgnb.phases.memberrole import read_role_trust
from orgnb.phases.migration.state import KINDS, MOVED_FROM_TAG, MigrationInventory, MigrationState, MovingAccount, noted_origin

UNREADABLE = (ClientError, BotoCoreError, ProfileNotFound)
LEAVE_ACTION = "organizations:LeaveOrganization"


def _leave_denials(view: TransferView, how: str) -> tuple[str, ...]:
    """The SCPs on the account's old path that deny leaving `how` ("always", "conditionally"), as `name (id) at level`."""
    found = [p for p in view.old_policies if p.type == PolicyType.SCP and p.denial(LEAVE_ACTION) == how]
    return tuple(f"{p.name} ({p.policy_id}) at {p.level}" for p in found)


def _standing(old_management: AwsContext, account_id: str) -> dict[str, Any]:
    """Its state in the old organization, and when that organization created it (DescribeAccount)."""
    account = old_management.client("organizations").describe_account(AccountId=account_id)["Account"]
    created = account.get("JoinedTimestamp") if account.get("JoinedMethod") == "CREATED" else None
    return {"status": account.get("State") or account.get("Status", ""), "created_at": created}


def _origin(ctx: AwsContext, account_id: str) -> str:
    """The organization a member came from, as the tag of the invitation it accepted says ('' when untagged)."""
    tags = listed(ctx.client("organizations"), "list_tags_for_resource", "Tags", ResourceId=account_id)
    return next((t["Value"] for t in tags if t["Key"] == MOVED_FROM_TAG), "")


def _outside(base: AwsContext, common: dict[str, Any], spec: ExistingAccount, params: Parameters) -> MovingAccount:
    """An account outside the new organization, read from inside through its profile, and what moving it breaks
    (read through its old organization's management account)."""
    try:
        inside = look_inside(base, spec.account_id, spec.profile)
    except NotInside as exc:
        if exc.why == Why.NO_PROFILE:
            return MovingAccount(**common, error="no profile: it is seen from the new organization only")
        return MovingAccount(
            **common, error=exc.cause if exc.why == Why.ELSEWHERE else f"cannot read it through {spec.profile}: {exc.cause}"
        )
    ctx, org = inside.ctx, inside.organization
    common["profile_arn"] = inside.caller.arn
    if org is None:
        return MovingAccount(**common)
    if org.management_account_id == spec.account_id:
        pages = ctx.client("organizations").get_paginator("list_accounts").paginate()
        others = tuple(a["Id"] for page in pages for a in page["Accounts"] if a["Id"] != spec.account_id)
        impact = judge_transfer(collect_transfer(ctx, base, spec.account_id, spec.ou), params.attestations)
        return MovingAccount(
            **common, seen_org=org.id, old_members=others, is_management=True, old_management_profile=spec.profile or "", impact=impact
        )
    mgmt_profile = next((m.profile for m in params.old_managements if m.account_id == org.management_account_id and m.profile), "")
    old_management = profile_context(base, mgmt_profile) if mgmt_profile else None
    view = collect_transfer(old_management, base, spec.account_id, spec.ou)
    return MovingAccount(
        **common,
        **(_standing(old_management, spec.account_id) if old_management else {}),
        seen_org=org.id,
        delegated=view.delegated,
        old_management_profile=mgmt_profile,
        leave_denials=_leave_denials(view, "always"),
        leave_doubts=_leave_denials(view, "conditionally"),
        impact=judge_transfer(view, params.attestations),
    )


def _read_one(base: AwsContext, field: str, spec: ExistingAccount, inventory: Inventory, params: Parameters) -> MovingAccount:
    declared = KINDS[field.split("[")[0]]
    invite = next((h for h in inventory.handshakes if h.action == "INVITE" and h.pending and spec.account_id in h.target.split(", ")), None)
    member = next((a for a in inventory.accounts if a.id == spec.account_id), None)
    noted = noted_origin(invite.notes) if invite else ""
    common: dict[str, Any] = {"field": field, "spec": spec, "declared": declared, "invite": invite, "origin": noted}
    try:
        if member is not None:
            return MovingAccount(**{**common, "origin": _origin(base, spec.account_id)}, joined=True, ou_path=member.ou_path)
        return _outside(base, common, spec, params)
    except UNREADABLE as exc:
        return MovingAccount(**common, error=f"cannot read it through {spec.profile}: {exc}")


def _read_inside(ctx: AwsContext, m: MovingAccount, old: set[str], via_role: bool) -> MovingAccount:
    policies = tuple(find_org_policies(ctx, m.account_id, old))
    return replace(m, policies=policies, role=read_role_trust(ctx), via_role=via_role)


def _inside(base: AwsContext, m: MovingAccount, new_org: str) -> MovingAccount:
    """Its policies naming its old organization and its OrganizationAccountAccessRole, read from inside: through its
    profile, or, once it has joined and the profile does not reach it (no profile, or one that went through the role
    this phase re-points), through the management account's role."""
    if m.error and not m.joined:
        return m
    old = {m.old_org} - {"", new_org}
    why = "no profile"
    if m.spec.profile:
        try:
            return _read_inside(profile_context(base, m.spec.profile), m, old, via_role=False)
        except UNREADABLE as exc:
            why = f"{m.spec.profile}: {exc}"
    if not m.joined:
        return replace(m, error=f"its policies or role could not be read ({why})")
    try:
        return _read_inside(base.inside(m.account_id), m, old, via_role=True)
    except UNREADABLE as exc:
        return replace(m, error=f"its policies or role could not be read ({why}; through its {MEMBER_ROLE}: {exc})")


def read_migration(ctx: AwsContext, params: Parameters, inventory: Inventory) -> MigrationInventory:
    """The inventory plus every account to bring in, read from inside through its profile where one is given, and the
    organization's account quota."""
    new_org = inventory.organization.id if inventory.organization else ""
    moving = [_read_one(ctx, field, spec, inventory, params) for field, spec in params.existing_accounts()]
    moving = [_inside(ctx, m, new_org) for m in moving]
    return inventory.extended(MigrationInventory, migration=MigrationState(tuple(moving)), account_quota=account_quota(ctx))
