"""Phase 05's reads: each account to bring in, seen from the new organization and from inside through its profile."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from orgnb.guards import profile_context
from orgnb.inventory import Inventory, caller_identity, describe_organization
from orgnb.memberrole import read_role_trust
from orgnb.parameters import ExistingAccount, Parameters
from orgnb.phases.migration.state import KINDS, MOVED_FROM_TAG, MigrationState, MovingAccount
from orgnb.policyrewrite import find_org_policies
from orgnb.session import AwsContext

UNREADABLE = (ClientError, BotoCoreError, ProfileNotFound)


def _delegated_services(old_management: AwsContext, account_id: str) -> tuple[str, ...]:
    """The services `account_id` is a delegated administrator for in the old organization (read by its management)."""
    try:
        services = old_management.client("organizations").list_delegated_services_for_account(AccountId=account_id)["DelegatedServices"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "AccountNotRegisteredException":
            return ()
        raise
    return tuple(s["ServicePrincipal"] for s in services)


def _origin(ctx: AwsContext, account_id: str) -> str:
    """The organization a member came from, as the tag of the invitation it accepted says ('' when untagged)."""
    tags = ctx.client("organizations").list_tags_for_resource(ResourceId=account_id)["Tags"]
    return next((t["Value"] for t in tags if t["Key"] == MOVED_FROM_TAG), "")


def _outside(base: AwsContext, common: dict[str, Any], spec: ExistingAccount, old_mgmt_profiles: dict[str, str]) -> MovingAccount:
    """An account outside the new organization, read from inside through its profile."""
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
        return MovingAccount(**common, seen_org=org.id, old_members=others, is_management=True, old_management_profile=spec.profile or "")
    mgmt_profile = old_mgmt_profiles.get(org.management_account_id, "")
    delegated = _delegated_services(profile_context(base, mgmt_profile), spec.account_id) if mgmt_profile else ()
    return MovingAccount(**common, seen_org=org.id, delegated=delegated, old_management_profile=mgmt_profile)


def _read_one(
    base: AwsContext, field: str, spec: ExistingAccount, inventory: Inventory, old_mgmt_profiles: dict[str, str]
) -> MovingAccount:
    declared = KINDS[field.split("[")[0]]
    invite = next((h for h in inventory.handshakes if h.action == "INVITE" and h.pending and spec.account_id in h.target.split(", ")), None)
    member = next((a for a in inventory.accounts if a.id == spec.account_id), None)
    common: dict[str, Any] = {"field": field, "spec": spec, "declared": declared, "invite": invite}
    try:
        if member is not None:
            return MovingAccount(**common, joined=True, ou_path=member.ou_path, origin=_origin(base, spec.account_id))
        if not spec.profile:
            return MovingAccount(**common, error="no profile: it is seen from the new organization only")
        return _outside(base, common, spec, old_mgmt_profiles)
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
    old_mgmt_profiles = {m.account_id: m.profile for m in params.old_managements if m.profile}
    new_org = inventory.organization.id if inventory.organization else ""
    moving = [_read_one(ctx, field, spec, inventory, old_mgmt_profiles) for field, spec in params.existing_accounts()]
    moving = [_inside(ctx, m, new_org) for m in moving]
    return replace(inventory, migration=MigrationState(tuple(moving)))
