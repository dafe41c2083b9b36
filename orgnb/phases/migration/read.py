"""Phase 05's reads: each account to bring in, seen from the new organization and from inside through its profile."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from orgnb.guards import profile_context
from orgnb.inventory import Inventory, caller_identity, describe_organization
from orgnb.memberrole import read_role_trust
from orgnb.parameters import ExistingAccount, Parameters
from orgnb.pathpolicies import PolicyType
from orgnb.phases.migration.state import KINDS, MOVED_FROM_TAG, MigrationState, MovingAccount, noted_origin
from orgnb.policyrewrite import find_org_policies
from orgnb.session import AwsContext
from orgnb.transfer_impact import TransferView, collect_transfer, judge_transfer

UNREADABLE = (ClientError, BotoCoreError, ProfileNotFound)
LEAVE_ACTION = "organizations:LeaveOrganization"


def _leave_denials(view: TransferView) -> tuple[str, ...]:
    """The SCPs on the account's old path that deny leaving, named `name (id) at level`."""
    found = [p for p in view.old_policies if p.type == PolicyType.SCP and p.denies(LEAVE_ACTION)]
    return tuple(f"{p.name} ({p.policy_id}) at {p.level}" for p in found)


def _origin(ctx: AwsContext, account_id: str) -> str:
    """The organization a member came from, as the tag of the invitation it accepted says ('' when untagged)."""
    tags = ctx.client("organizations").list_tags_for_resource(ResourceId=account_id)["Tags"]
    return next((t["Value"] for t in tags if t["Key"] == MOVED_FROM_TAG), "")


def _outside(base: AwsContext, common: dict[str, Any], spec: ExistingAccount, params: Parameters) -> MovingAccount:
    """An account outside the new organization, read from inside through its profile, and what moving it breaks
    (read through its old organization's management account)."""
    ctx = profile_context(base, spec.profile or "")
    seen_as = caller_identity(ctx).account_id
    if seen_as != spec.account_id:
        return MovingAccount(**common, error=f"profile {spec.profile} acts in {seen_as}, not {spec.account_id}")
    org = describe_organization(ctx)
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
    view = collect_transfer(profile_context(base, mgmt_profile) if mgmt_profile else None, base, spec.account_id, spec.ou)
    return MovingAccount(
        **common,
        seen_org=org.id,
        delegated=view.delegated,
        old_management_profile=mgmt_profile,
        leave_denials=_leave_denials(view),
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
        if not spec.profile:
            return MovingAccount(**common, error="no profile: it is seen from the new organization only")
        return _outside(base, common, spec, params)
    except UNREADABLE as exc:
        return MovingAccount(**common, error=f"cannot read it through {spec.profile}: {exc}")


def _inside(base: AwsContext, m: MovingAccount, new_org: str) -> MovingAccount:
    """Its policies naming its old organization and its OrganizationAccountAccessRole, read from inside."""
    if not m.spec.profile or (m.error and not m.joined):
        return m
    try:
        ctx = profile_context(base, m.spec.profile)
        old = {m.old_org} - {"", new_org}
        return replace(m, policies=tuple(find_org_policies(ctx, m.account_id, old)), role=read_role_trust(ctx))
    except UNREADABLE as exc:
        return replace(m, error=f"its policies or role could not be read through {m.spec.profile}: {exc}")


def read_migration(ctx: AwsContext, params: Parameters, inventory: Inventory) -> Inventory:
    """The inventory plus every account to bring in, read from inside through its profile where one is given."""
    new_org = inventory.organization.id if inventory.organization else ""
    moving = [_read_one(ctx, field, spec, inventory, params) for field, spec in params.existing_accounts()]
    moving = [_inside(ctx, m, new_org) for m in moving]
    return replace(inventory, migration=MigrationState(tuple(moving)))
