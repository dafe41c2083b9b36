"""Phase 05 pre-flight: what moving one account out of its old organization breaks (read-only).

Since late 2025 AWS moves a member of another organization directly: the new organization invites it, it accepts, and
it departs the old organization and joins the new one in one step. What the old organization gave it still ends:

- RAM resource shares with the old organization, or an OU on the account's path: access ends when it leaves, unless
  the share says otherwise (`ResourceShareConfiguration.retainSharingOnAccountLeaveOrganization`, RAM API reference).
- Service-managed stack sets with automatic deployment: "If an account is removed from a target organization or OU,
  StackSets deletes stack instances from the account", their resources too unless `RetainStacksOnAccountRemoval`
  (CloudFormation API reference, AutoDeployment).
- IAM Identity Center account assignments of the old organization's instance: they belong to that organization.
- Delegated administration: AWS refuses to move a delegated administrator; phase 05 deregisters it first.
- SCPs and RCPs: those on the old path stop applying, those on the target OU's path start (only the policy types
  enabled on a root apply: `Root.PolicyTypes`, Organizations API reference).

Collecting (AWS calls through the old and the new management account) is apart from judging (functions of a
`TransferView`). A read AWS refuses, or an old management account without a profile, makes its area MANUAL with an
attestation id, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from orgnb.aws.inventory import caller_identity, describe_organization, read_root
from orgnb.aws.orgservices import (
    Assignment,
    OrgShare,
    StackSetInstances,
    read_assignments,
    read_delegated_services,
    read_org_shares,
    read_stack_sets,
)
from orgnb.aws.pathpolicies import PathLevel, PathPolicy, PolicyType, account_path, enabled_types, path_policies, policies_on
from orgnb.aws.session import AwsContext
from orgnb.input.parameters import Attestation, ManualId
from orgnb.verdict import Status


class Area(StrEnum):
    """What a transfer can break, one row group of the pre-flight table."""

    RAM_SHARES = "RAM shares"
    STACK_SETS = "StackSet instances"
    IDENTITY_CENTER = "Identity Center assignments"
    DELEGATED_ADMIN = "delegated administration"
    POLICIES_STOP = "old policies that stop applying"
    POLICIES_START = "new policies that start applying"


OLD_AREAS = (Area.RAM_SHARES, Area.STACK_SETS, Area.IDENTITY_CENTER, Area.DELEGATED_ADMIN, Area.POLICIES_STOP)
# The attestation that clears each area when it cannot be read (both policy areas are one review).
ATTESTATION_IDS: dict[Area, ManualId] = {
    Area.RAM_SHARES: ManualId.TRANSFER_RAM_REVIEWED,
    Area.STACK_SETS: ManualId.TRANSFER_STACKSETS_REVIEWED,
    Area.IDENTITY_CENTER: ManualId.TRANSFER_IDENTITY_CENTER_REVIEWED,
    Area.DELEGATED_ADMIN: ManualId.TRANSFER_DELEGATED_ADMINS_REVIEWED,
    Area.POLICIES_STOP: ManualId.TRANSFER_POLICIES_REVIEWED,
    Area.POLICIES_START: ManualId.TRANSFER_POLICIES_REVIEWED,
}
MANUAL_REMEDIES: dict[Area, str] = {
    Area.RAM_SHARES: "in the old management account's RAM console (Shared by me), find the shares with the organization "
    "or its OUs that the account uses, and plan to share them again with the new organization",
    Area.STACK_SETS: "in the old management account's CloudFormation console, find the service-managed stack sets with "
    "instances in the account, and check their automatic deployment and RetainStacksOnAccountRemoval",
    Area.IDENTITY_CENTER: "in the old organization's IAM Identity Center, list the account's assignments and recreate "
    "them in the new organization's",
    Area.DELEGATED_ADMIN: "in the old organization's Organizations console (Services), check whether the account is a "
    "delegated administrator; AWS refuses to move one",
    Area.POLICIES_STOP: "read the SCPs and RCPs on the account's path in the old organization (Organizations console)",
    Area.POLICIES_START: "read the SCPs and RCPs on the target OU's path in the new organization (Organizations console)",
}
RAM_REMEDY = (
    "share it again with the new organization (or the target OU) once the account has joined, or with the account "
    "directly (allowExternalPrincipals); AWS keeps access only for a share made with retainSharingOnAccountLeaveOrganization"
)
STACK_SET_REMEDY = (
    "before the move, set RetainStacksOnAccountRemoval (aws cloudformation update-stack-set --stack-set-name {name} "
    "--use-previous-template --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=true), or accept the deletion"
)
IDENTITY_CENTER_REMEDY = "recreate the assignment in the new organization's IAM Identity Center before the move, so no one is locked out"
DELEGATED_REMEDY = (
    "phase 05 deregisters it before the transfer (AWS refuses to move a delegated administrator): register another "
    "account of the old organization, or set the service up in the new one"
)
STOP_REMEDY = "if the guardrail must follow the account, attach an equivalent policy to the target OU in the new organization first"
START_REMEDY = "check the account's workloads against what it denies before the move; place the account in a transition OU if unsure"
NO_OLD_PROFILE = "no profile for the old management account was given: nothing of the old organization could be read"


@dataclass(frozen=True)
class TransferView:
    """Everything read about one account's transfer: each area's records, or why the area could not be read."""

    account_id: str
    target_ou: str
    region: str
    old_org_id: str = ""
    old_management_id: str = ""  # the old organization's management account (the RAM shares' owner)
    new_org_id: str = ""
    shares: tuple[OrgShare, ...] = ()
    stack_sets: tuple[StackSetInstances, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    delegated: tuple[str, ...] = ()
    old_policies: tuple[PathPolicy, ...] = ()
    new_policies: tuple[PathPolicy, ...] = ()
    unreadable: Mapping[Area, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImpactItem:
    """One row of the pre-flight: what the transfer does to one thing, and what to do about it."""

    account_id: str
    area: Area
    status: Status
    detail: str
    remedy: str = ""
    attestation: ManualId | None = None  # what clears a MANUAL item


class _NotReadable(Exception):
    """A read that answered, but not with what the pre-flight needs (the wrong account, say)."""


def _read(unreadable: dict[Area, str], areas: tuple[Area, ...], what: str, read: Callable[[], Any]) -> Any:
    """`read()`, or None with the reason recorded for `areas` when AWS refuses it or it cannot be made."""
    try:
        return read()
    except ClientError as exc:
        reason = f"{exc.operation_name} answered {exc.response.get('Error', {}).get('Code', 'an error')}"
    except BotoCoreError as exc:
        reason = type(exc).__name__
    except _NotReadable as exc:
        reason = str(exc)
    unreadable.update(dict.fromkeys(areas, f"{what} could not be read: {reason}"))
    return None


def _old_place(ctx: AwsContext, account_id: str) -> tuple[str, str, tuple[PathLevel, ...], tuple[PolicyType, ...]]:
    """The old organization's id and management account, the account's path in it and the policy types enabled
    there, checking that the context is that organization's management account."""
    caller = caller_identity(ctx).account_id
    org = describe_organization(ctx)
    if org is None:
        raise _NotReadable(f"the old management profile acts in {caller}, which belongs to no organization")
    if org.management_account_id != caller:
        raise _NotReadable(f"the old management profile acts in {caller}, a member of {org.id}, not its management account")
    try:
        path = account_path(ctx, account_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "AccountNotFoundException":
            raise
        raise _NotReadable(f"{account_id} is not a member of {org.id}, which {caller} manages") from None
    return org.id, caller, path, enabled_types(read_root(ctx).policy_types)


def _read_old_side(ctx: AwsContext, account_id: str, unreadable: dict[Area, str]) -> dict[str, Any]:
    """The old organization's side, read through its management account; refused reads recorded in `unreadable`."""
    place = _read(unreadable, OLD_AREAS, "the account's place in the old organization", lambda: _old_place(ctx, account_id))
    if place is None:
        return {}
    org_id, management_id, path, types = place
    path_ids = frozenset(level.target_id for level in path)
    readers: dict[str, tuple[Area, str, Callable[[], Any]]] = {
        "shares": (Area.RAM_SHARES, "the old management account's RAM shares", lambda: read_org_shares(ctx, org_id, path_ids)),
        "stack_sets": (Area.STACK_SETS, "the old management account's stack sets", lambda: read_stack_sets(ctx, account_id)),
        "assignments": (
            Area.IDENTITY_CENTER,
            "the old organization's Identity Center assignments",
            lambda: read_assignments(ctx, account_id),
        ),
        "delegated": (Area.DELEGATED_ADMIN, "the account's delegated administration", lambda: read_delegated_services(ctx, account_id)),
        "old_policies": (Area.POLICIES_STOP, "the SCPs and RCPs on the account's old path", lambda: policies_on(ctx, path, types)),
    }
    found = {name: _read(unreadable, (area,), what, read) for name, (area, what, read) in readers.items()}
    return {"old_org_id": org_id, "old_management_id": management_id, **{name: value for name, value in found.items() if value is not None}}


def _read_new_side(ctx: AwsContext, target_ou: str | None, unreadable: dict[Area, str]) -> dict[str, Any]:
    """The new organization's policies on the target OU's path, read through its management account."""

    def read() -> tuple[str, tuple[PathPolicy, ...]]:
        org = describe_organization(ctx)
        if org is None:
            raise _NotReadable("the new management account has no organization yet (phase 02 creates it)")
        return org.id, path_policies(ctx, None, target_ou)

    found = _read(unreadable, (Area.POLICIES_START,), f"the SCPs and RCPs on {target_ou or 'the root'} in the new organization", read)
    return {"new_org_id": found[0], "new_policies": found[1]} if found else {}


def collect_transfer(old_management: AwsContext | None, new_management: AwsContext, account_id: str, target_ou: str | None) -> TransferView:
    """Read, once, everything the pre-flight judges about moving `account_id` to `target_ou` (read-only)."""
    unreadable: dict[Area, str] = {}
    if old_management is None:
        unreadable.update(dict.fromkeys(OLD_AREAS, NO_OLD_PROFILE))
    old = _read_old_side(old_management, account_id, unreadable) if old_management else {}
    new = _read_new_side(new_management, target_ou, unreadable)
    region = (old_management or new_management).region
    return TransferView(account_id, target_ou or "", region, **old, **new, unreadable=unreadable)


Attestations = Mapping[ManualId, Attestation]
Verdict = tuple[Status, str, str]  # status, detail, remedy


def _manual(view: TransferView, area: Area, detail: str, attestations: Attestations) -> ImpactItem:
    """A MANUAL item for `area`, or PASS when its attestation is given."""
    ident = ATTESTATION_IDS[area]
    attested = attestations.get(ident)
    if attested is not None:
        return ImpactItem(view.account_id, area, Status.PASS, f"{detail}; attested by {attested.by} ({attested.at})", attestation=ident)
    return ImpactItem(view.account_id, area, Status.MANUAL, f"{detail}: review it, then attest {ident.value}", MANUAL_REMEDIES[area], ident)


def _short(arn: str) -> str:
    """The part of an ARN after its account field (`subnet/subnet-0abc`, `organization/o-abc`)."""
    return arn.split(":", 5)[-1]


def judge_ram(view: TransferView) -> Iterator[Verdict]:
    """WARN per share the account loses with the move; PASS when it keeps access, owns the shares, or none reaches it."""
    if view.shares and view.account_id == view.old_management_id:
        names = ", ".join(s.name for s in view.shares)
        yield Status.PASS, f"{view.account_id} owns {names}: the members lose access as they move (their own rows say so)", ""
        return
    for share in view.shares:
        what = (
            f"RAM share {share.name} ({', '.join(map(_short, share.resources)) or 'no resources'}) is shared with {_short(share.principal)}"
        )
        if share.retained:
            yield Status.PASS, f"{what}; {view.account_id} keeps access after it leaves (retainSharingOnAccountLeaveOrganization)", ""
        else:
            yield Status.WARN, f"{what}: {view.account_id} loses access when it leaves {view.old_org_id}", RAM_REMEDY
    if not view.shares:
        yield Status.PASS, f"no RAM share of the old management account in {view.region} reaches {view.account_id}", ""


def judge_stack_sets(view: TransferView) -> Iterator[Verdict]:
    """WARN per stack set whose stacks the move deletes; PASS where they stay; MANUAL where AWS did not say."""
    for s in view.stack_sets:
        where = f"service-managed stack set {s.name} has stacks in {view.account_id} ({', '.join(s.regions)})"
        if s.auto_deployment is None:
            yield Status.MANUAL, f"{where}, and AWS's answer did not say whether automatic deployment is on", ""
        elif s.auto_deployment and not s.retain:
            deleted = "automatic deployment without RetainStacksOnAccountRemoval deletes them and their resources"
            yield Status.WARN, f"{where}: {deleted} when it leaves {view.old_org_id}", STACK_SET_REMEDY.format(name=s.name)
        else:
            yield Status.PASS, f"{where}: they stay when it leaves {view.old_org_id}, but the stack set no longer manages them", ""
    if not view.stack_sets:
        yield (
            Status.PASS,
            f"no service-managed stack set of the old management account in {view.region} has stacks in {view.account_id}",
            "",
        )


def judge_identity_center(view: TransferView) -> Iterator[Verdict]:
    """WARN per assignment that ends with the move; PASS when there is none."""
    for a in view.assignments:
        given = f"IAM Identity Center permission set {a.permission_set} is assigned to {a.principal_type} {a.principal_id}"
        yield Status.WARN, f"{given} in {view.account_id}: the assignment ends when it leaves {view.old_org_id}", IDENTITY_CENTER_REMEDY
    if not view.assignments:
        yield Status.PASS, f"no Identity Center assignment of {view.old_org_id} in {view.account_id}", ""


def judge_delegated(view: TransferView) -> Iterator[Verdict]:
    """WARN per service the account administers for the old organization; PASS when none."""
    for service in view.delegated:
        yield Status.WARN, f"{view.account_id} is {view.old_org_id}'s delegated administrator for {service}", DELEGATED_REMEDY
    if not view.delegated:
        yield Status.PASS, f"{view.account_id} administers no service for {view.old_org_id}", ""


def _policy_verdicts(view: TransferView, policies: tuple[PathPolicy, ...], where: str, verb: str, remedy: str) -> Iterator[Verdict]:
    """WARN per customer-managed policy on the path, naming where it is attached; PASS when only AWS's apply."""
    customer: dict[str, list[PathPolicy]] = {}
    for p in policies:
        if not p.aws_managed:
            customer.setdefault(p.policy_id, []).append(p)
    for attached in customer.values():
        first, levels = attached[0], ", ".join(p.level for p in attached)
        yield (
            Status.WARN,
            f"{first.type.short} {first.name} ({first.policy_id}), attached at {levels} in {where}, {verb} to {view.account_id}",
            remedy,
        )
    managed = ", ".join(sorted({p.name for p in policies}))
    if not customer:
        yield (
            Status.PASS,
            f"only AWS-managed {managed} on the path in {where}: nothing {verb}" if managed else f"no SCP or RCP in {where}",
            "",
        )


def judge_old_policies(view: TransferView) -> Iterator[Verdict]:
    """The old organization's SCPs and RCPs that stop applying."""
    return _policy_verdicts(view, view.old_policies, view.old_org_id, "stops applying", STOP_REMEDY)


def judge_new_policies(view: TransferView) -> Iterator[Verdict]:
    """The target OU's SCPs and RCPs in the new organization that start applying."""
    where = f"{view.new_org_id} (target {view.target_ou or 'the root'})"
    return _policy_verdicts(view, view.new_policies, where, "starts applying", START_REMEDY)


JUDGES: dict[Area, Callable[[TransferView], Iterator[Verdict]]] = {
    Area.RAM_SHARES: judge_ram,
    Area.STACK_SETS: judge_stack_sets,
    Area.IDENTITY_CENTER: judge_identity_center,
    Area.DELEGATED_ADMIN: judge_delegated,
    Area.POLICIES_STOP: judge_old_policies,
    Area.POLICIES_START: judge_new_policies,
}


def judge_transfer(view: TransferView, attestations: Attestations) -> tuple[ImpactItem, ...]:
    """Every area's items, in area order; an area that could not be read, or a verdict left to a person, is MANUAL
    (PASS once attested)."""
    items: list[ImpactItem] = []
    for area, judge in JUDGES.items():
        reason = view.unreadable.get(area)
        verdicts = [(Status.MANUAL, reason, "")] if reason else judge(view)
        for status, detail, remedy in verdicts:
            manual = status == Status.MANUAL
            items.append(_manual(view, area, detail, attestations) if manual else ImpactItem(view.account_id, area, status, detail, remedy))
    return tuple(items)


def read_transfer_impact(
    old_management: AwsContext | None, new_management: AwsContext, account_id: str, target_ou: str | None, attestations: Attestations
) -> tuple[ImpactItem, ...]:
    """What moving `account_id` out of its old organization into `target_ou` of the new one breaks (read-only)."""
    return judge_transfer(collect_transfer(old_management, new_management, account_id, target_ou), attestations)


def impact_frame(items: tuple[ImpactItem, ...] | list[ImpactItem]) -> pd.DataFrame:
    """The items as a table, one row each (account, area, status, detail, remedy)."""
    rows = [
        {"account": i.account_id, "area": i.area.value, "status": i.status.value, "detail": i.detail, "remedy": i.remedy} for i in items
    ]
    return pd.DataFrame(rows, columns=["account", "area", "status", "detail", "remedy"])
