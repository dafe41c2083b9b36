"""Organization membership: an account joining, departing, and the rules of a direct transfer between organizations.

State and rules only; `handshakes` calls these under its lock (AcceptHandshake, LeaveOrganization,
RemoveAccountFromOrganization).

Direct transfer (AWS, since late 2025): a member of another organization that accepts an invitation departs its
old organization and joins the new one in one step, never standing alone, with no payment method needed (botocore's
AcceptHandshake documentation: "If the account departed one organization and joined another, both an
AccountDepartedOrganization event ... and an AccountJoinedOrganization event ... are logged in their respective
management accounts"). Refusals, checked in this order:
- the old organization's management account: MasterCannotLeaveOrganizationException (it deletes its organization
  first, as before);
- an account that is not ACTIVE (closed or suspended): ConstraintViolation ACCOUNT_CANNOT_LEAVE_ORGANIZATION;
- a delegated administrator of the old organization: ConstraintViolation
  CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG (setting `transfer_refuses_delegated_admin`, on: AWS's migration
  guidance says to deregister first, as LeaveOrganization requires; whether the transfer itself refuses is not
  documented);
- with `transfer_needs_leave_permission` (off), an account whose old organization's SCPs deny the caller
  organizations:LeaveOrganization: AccessDenied. AWS's migration guidance presents the transfer as the way around a
  DenyLeaveOrganization SCP and documents no such check, but it does not say the departure skips it either: turn
  it on to rehearse the stricter reading;
- a created account younger than `created_account_wait` (7 days: the Organizations quotas page; botocore's
  LeaveOrganization text says four days, hence a setting): ConstraintViolation WAIT_PERIOD_ACTIVE, as for leaving;
- an account whose membership changed less than `membership_change_interval` ago (1 hour):
  HandshakeConstraintViolation ORGANIZATION_MEMBERSHIP_CHANGE_RATE_LIMIT_EXCEEDED. botocore's model names the reason
  ("You attempted to change the membership of an account too quickly after its previous change") but no figure:
  the hour is the sandbox's guess, and leaving then joining (the older path) is not limited by it.

A closed account (PENDING_CLOSURE or SUSPENDED, see closure) cannot leave or be removed either: AWS keeps it in the
organization, SUSPENDED, until it is permanently closed (Organizations user guide, closing a member account). Neither
LeaveOrganization's nor RemoveAccountFromOrganization's documentation names the case; of the errors both model,
the sandbox answers ConstraintViolation ACCOUNT_CANNOT_LEAVE_ORGANIZATION, as it does for the transfer.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from moto.core.utils import utcnow
from moto.organizations.models import FakeAccount, OrganizationsBackend, organizations_backends

from orgnb.sandbox import closure, policyrules, principals, registry, scp, state
from orgnb.sandbox.exceptions import HandshakeConstraintViolation, MasterCannotLeave, OrgAccessDenied, OrgConstraintViolation, OrgNotInUse
from orgnb.sandbox.principals import Principal

SETTINGS = state.settings(
    {
        "created_account_wait": timedelta(days=7),
        "membership_change_interval": timedelta(hours=1),
        "transfer_refuses_delegated_admin": True,
        "transfer_needs_leave_permission": False,
    },
    created_account_wait_days=state.Field("created_account_wait", state.days, state.in_days),
    membership_change_interval_seconds=state.Field("membership_change_interval", state.seconds, state.in_seconds),
    transfer_refuses_delegated_admin=state.Field("transfer_refuses_delegated_admin", bool),
    transfer_needs_leave_permission=state.Field("transfer_needs_leave_permission", bool),
)
LEAVE_ACTION = "organizations:LeaveOrganization"


def org_of(caller: str) -> OrganizationsBackend:
    """The backend of the organization `caller` belongs to; AWSOrganizationsNotInUse when it belongs to none."""
    backend = registry.org_backend(caller)
    if backend is None:
        raise OrgNotInUse()
    return backend


def management_backend(caller: str) -> OrganizationsBackend:
    """The caller's organization backend when the caller is its management account."""
    backend = org_of(caller)
    if backend.org.master_account_id != caller:
        raise OrgAccessDenied()
    return backend


def _member(backend: OrganizationsBackend, account_id: str) -> FakeAccount:
    return next(a for a in backend.accounts if a.id == account_id)


def _is_delegated_admin(backend: OrganizationsBackend, account_id: str) -> bool:
    return any(a.account.id == account_id for a in backend.admins)


def _too_young(account: FakeAccount) -> bool:
    return account.joined_method == "CREATED" and utcnow() - account.create_time < SETTINGS["created_account_wait"]


def _refuse_closed(account_id: str, doing: str) -> None:
    if closure.state_of(account_id) != "ACTIVE":
        raise OrgConstraintViolation("ACCOUNT_CANNOT_LEAVE_ORGANIZATION", f"A closed or suspended account can't {doing}.")


def check_departure(backend: OrganizationsBackend, account_id: str) -> None:
    """What LeaveOrganization and RemoveAccountFromOrganization check before the standalone sign-up steps."""
    _refuse_closed(account_id, "leave its organization")
    if _is_delegated_admin(backend, account_id):
        raise OrgConstraintViolation(
            "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG", "A delegated administrator can't leave the organization."
        )
    if _too_young(_member(backend, account_id)):
        raise OrgConstraintViolation("WAIT_PERIOD_ACTIVE", "A created account can leave only after the waiting period.")


def check_transfer(backend: OrganizationsBackend, account_id: str, caller: Principal | None = None) -> None:
    """Refuse a direct transfer out of `backend`'s organization as AWS would (the module docstring's list, in order)."""
    if backend.org.master_account_id == account_id:
        raise MasterCannotLeave("You can't accept an invitation while you manage an organization: delete it first.")
    account = _member(backend, account_id)
    _refuse_closed(account_id, "change organizations")
    if SETTINGS["transfer_refuses_delegated_admin"] and _is_delegated_admin(backend, account_id):
        raise OrgConstraintViolation(
            "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG",
            "A delegated administrator can't move to another organization: deregister it in its organization first.",
        )
    if SETTINGS["transfer_needs_leave_permission"] and caller is not None:
        denied = scp.refusal(caller, LEAVE_ACTION, None, principals.context(caller, None))
        if denied:
            raise OrgAccessDenied(denied)
    if _too_young(account):
        raise OrgConstraintViolation("WAIT_PERIOD_ACTIVE", "A created account can move only after the waiting period.")
    changed = last_membership_change(account)
    if changed is not None and utcnow() - changed < SETTINGS["membership_change_interval"]:
        raise HandshakeConstraintViolation(
            "ORGANIZATION_MEMBERSHIP_CHANGE_RATE_LIMIT_EXCEEDED", "The account changed organizations too recently: try again later."
        )


def last_membership_change(account: FakeAccount) -> datetime | None:
    """When the account joined the organization it is in (created or invited)."""
    joined = registry.record(account.id).joined_at
    return joined or getattr(account, "create_time", None)


def depart(backend: OrganizationsBackend, account_id: str) -> None:
    """Take `account_id` out of `backend`'s organization: its place, policy attachments, tags and delegations go with it."""
    account = _member(backend, account_id)
    for policy in account.attached_policies:
        policy.attachments.remove(account)
    backend.accounts.remove(account)
    backend.admins[:] = [a for a in backend.admins if a.account.id != account_id]
    organizations_backends.master_accounts.pop(account_id, None)
    registry.record(account_id).left_at = utcnow()


def join(backend: OrganizationsBackend, account_id: str, tags: list[dict[str, str]]) -> None:
    """Add `account_id` to `backend`'s organization under its root, INVITED, with the default policies attached."""
    entry = registry.record(account_id)
    account = cast(FakeAccount, FakeAccount.__new__(FakeAccount))  # moto's BaseModel.__new__ is annotated as returning a BaseModel
    account.__dict__.update(
        type="ACCOUNT",
        region=backend.org.region,
        organization_id=backend.org.id,
        master_account_id=backend.org.master_account_id,
        create_account_status_id=None,
        id=account_id,
        name=entry.name,
        email=entry.email,
        create_time=utcnow(),
        status="ACTIVE",
        state="ACTIVE",
        joined_method="INVITED",
        parent_id=backend.org.root_id,
        attached_policies=[],
        tags={t["Key"]: t["Value"] for t in tags},
    )
    backend.accounts.append(account)
    for policy_id in policyrules.DEFAULT_POLICIES.values():  # attached for the enabled types only (policyrules)
        if any(p.id == policy_id for p in backend.policies):
            backend.attach_policy(PolicyId=policy_id, TargetId=account_id)
    organizations_backends.master_accounts[account_id] = (backend.org.master_account_id, "aws")
    entry.joined_at = utcnow()
