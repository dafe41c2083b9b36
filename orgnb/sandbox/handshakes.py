"""Organizations invitations: sending, accepting (a join, or a direct transfer between organizations), declining,
cancelling and listing them; leaving an organization and deleting one.

State and rules only (the wire is in org_api; the handshake store in handshake; who may join or depart in
membership; enabling all features in allfeatures). Choices where AWS's behaviour is not documented:
- The wrong party calling Accept, Decline or Cancel gets AccessDeniedException.
- At most 20 invitations per organization per day (the Organizations quotas page's figure): a setting below.
  Accepted invitations don't count against it ("Managing account invitations": "As soon as one invitation is
  accepted, you can send another invitation that same day"); declined or cancelled ones still do.
- Open invitations count against the account quota, with the accounts (the quotas page).
- Unknown 12-digit invitation targets are registered on the fly as standalone accounts (moto's permissive style).
- A member of another organization may be invited; accepting moves it directly (see membership).
"""

from __future__ import annotations

import re
from typing import Any

from moto.core.utils import utcnow
from moto.organizations.models import OrganizationsBackend, organizations_backends

from orgnb.sandbox import allfeatures, handshake, mailbox, membership, registry, state
from orgnb.sandbox.exceptions import (
    DuplicateHandshake,
    HandshakeConstraintViolation,
    InvalidHandshakeTransition,
    MasterCannotLeave,
    OrgAccessDenied,
    OrganizationNotEmpty,
    OrgConstraintViolation,
    OrgInvalidInput,
)
from orgnb.sandbox.handshake import HANDSHAKES, PENDING, Handshake, check_transition, find, live, locked, new_id, visible
from orgnb.sandbox.limits import DAILY_INVITATIONS, INVITATION_WINDOW
from orgnb.sandbox.principals import Principal

SETTINGS = state.settings({"daily_invitations": DAILY_INVITATIONS}, daily_invitations=state.Field("daily_invitations", int))
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


def _org_resource(backend: OrganizationsBackend) -> dict[str, Any]:
    org = backend.org
    mgmt = registry.record(org.master_account_id)
    return {
        "Type": "ORGANIZATION",
        "Value": org.id,
        "Resources": [
            {"Type": "MASTER_EMAIL", "Value": mgmt.email},
            {"Type": "MASTER_NAME", "Value": mgmt.name},
            {"Type": "ORGANIZATION_FEATURE_SET", "Value": org.feature_set},
        ],
    }


def _validate_target(target: dict[str, str], notes: str | None, tags: list[dict[str, str]]) -> None:
    if notes and len(notes) > 1024:
        raise OrgInvalidInput("MAX_LENGTH_EXCEEDED", "Notes must be at most 1024 characters.")
    kind, value = target.get("Type"), target.get("Id", "")
    if kind == "ORGANIZATION":
        raise OrgInvalidInput("INVALID_PARTY_TYPE_TARGET", "You can't invite an organization.")
    if kind == "ACCOUNT" and not re.match(r"^\d{12}$", value):
        raise OrgInvalidInput("INVALID_PATTERN", "The account id must be 12 digits.")
    if kind == "EMAIL" and not _EMAIL.match(value):
        raise OrgInvalidInput("INVALID_EMAIL_ADDRESS_TARGET", "The email address is not valid.")
    if kind not in ("ACCOUNT", "EMAIL"):
        raise OrgInvalidInput("INVALID_ENUM", "Target Type must be ACCOUNT or EMAIL.")
    if any(t.get("Key", "").lower().startswith("aws:") for t in tags):
        raise OrgInvalidInput("INVALID_SYSTEM_TAGS_PARAMETER", "Tag keys may not start with aws:.")


@locked
def invite(caller: str, target: dict[str, str], notes: str | None, tags: list[dict[str, str]]) -> Handshake:
    """InviteAccountToOrganization."""
    backend = membership.management_backend(caller)
    _validate_target(target, notes, tags)
    org = backend.org
    if allfeatures.invitations_refused(org.id):
        raise HandshakeConstraintViolation("INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES")
    account_id, email = (target["Id"], None) if target["Type"] == "ACCOUNT" else (None, target["Id"])
    if email is not None and (known := registry.by_email(email)) is not None:
        account_id = known.account_id
    if account_id is not None:
        registry.record(account_id)  # unknown ids become standalone accounts
        if account_id == caller or account_id in {a.id for a in backend.accounts}:
            raise HandshakeConstraintViolation("ALREADY_IN_AN_ORGANIZATION")
    pending = handshake.open_invitations(org.id)
    if any(
        (account_id and h.recipient_account == account_id) or (email and (h.recipient_email or "").lower() == email.lower())
        for h in pending
    ):
        raise DuplicateHandshake()
    if len(backend.accounts) + len(pending) >= registry.account_limit(caller):
        raise HandshakeConstraintViolation("ACCOUNT_NUMBER_LIMIT_EXCEEDED")
    today = [
        h
        for h in HANDSHAKES.values()
        if h.org_id == org.id and h.action == "INVITE" and h.state != "ACCEPTED" and utcnow() - h.requested_at < INVITATION_WINDOW
    ]
    if len(today) >= SETTINGS["daily_invitations"]:
        raise HandshakeConstraintViolation("HANDSHAKE_RATE_LIMIT_EXCEEDED")
    party = {"Id": target["Id"], "Type": target["Type"]}
    resources = [_org_resource(backend), {"Type": target["Type"], "Value": target["Id"]}] + (
        [{"Type": "NOTES", "Value": notes}] if notes else []
    )
    h = Handshake(
        new_id(),
        "INVITE",
        org.id,
        caller,
        [{"Id": org.id, "Type": "ORGANIZATION"}, party],
        resources,
        "OPEN",
        utcnow(),
        account_id,
        email,
        tags=tags,
    )
    HANDSHAKES[h.id] = h
    to = email or registry.record(account_id or "").email
    mailbox.send(
        to, f"AWS Organizations invitation from {org.id}", f"Handshake {h.id}: {org.id} invites you to join. Notes: {notes or '-'}"
    )
    return h


@locked
def accept(handshake_id: str, caller: str, principal: Principal | None = None) -> Handshake:
    """AcceptHandshake by `principal` of account `caller`."""
    h = find(handshake_id, caller)
    if h.action == "APPROVE_ALL_FEATURES" or (h.action == "ENABLE_ALL_FEATURES" and h.parent_id is None):
        return allfeatures.finish(h, caller)
    if not (h.recipient_account == caller or (h.recipient_email and visible(h, caller) and h.sender != caller)):
        raise OrgAccessDenied()
    check_transition(h, "ACCEPTED")
    if h.action == "ENABLE_ALL_FEATURES":
        h.settle("ACCEPTED")
        allfeatures.advance(h.parent_id or "")
        return h
    backend = organizations_backends[h.sender]["aws"]
    if backend.org is None or backend.org.id != h.org_id:
        raise InvalidHandshakeTransition()
    old = registry.org_backend(caller)
    if old is not None and old.org.id == h.org_id:
        raise HandshakeConstraintViolation("ALREADY_IN_AN_ORGANIZATION")
    if old is not None:
        membership.check_transfer(old, caller, principal)
    if len(backend.accounts) >= registry.account_limit(h.sender):
        raise HandshakeConstraintViolation("ACCOUNT_NUMBER_LIMIT_EXCEEDED")
    if old is not None:  # a direct transfer: it departs the old organization and joins this one in one step
        _depart(old, caller)
    membership.join(backend, caller, h.tags)
    h.recipient_account = caller
    h.settle("ACCEPTED")
    return h


@locked
def decline(handshake_id: str, caller: str) -> Handshake:
    """DeclineHandshake: only the recipient may."""
    h = find(handshake_id, caller)
    if h.sender == caller:
        raise OrgAccessDenied()
    check_transition(h, "DECLINED")
    h.settle("DECLINED")
    return h


@locked
def cancel(handshake_id: str, caller: str) -> Handshake:
    """CancelHandshake: only the sender may; cancelling an ENABLE_ALL_FEATURES parent cancels its children."""
    h = find(handshake_id, caller)
    if h.sender != caller:
        raise OrgAccessDenied()
    check_transition(h, "CANCELED")
    h.settle("CANCELED")
    if h.action == "ENABLE_ALL_FEATURES" and h.parent_id is None:
        for child in HANDSHAKES.values():
            if child.parent_id == h.id and child.state in PENDING:
                child.settle("CANCELED")
    return h


@locked
def list_for(caller: str, organization: bool, action: str | None, parent_id: str | None) -> list[Handshake]:
    """The handshakes an organization sent (organization=True) or an account received, newest first."""
    if organization:
        backend = membership.org_of(caller)
        admin = any(a.account.id == caller for a in backend.admins)
        if backend.org.master_account_id != caller and not admin:
            raise OrgAccessDenied()
        chosen = [h for h in HANDSHAKES.values() if h.org_id == backend.org.id]
    else:
        chosen = [
            h
            for h in HANDSHAKES.values()
            if visible(h, caller) and h.sender != caller or (h.action == "APPROVE_ALL_FEATURES" and h.sender == caller)
        ]
    chosen = [h for h in chosen if live(h) and (action is None or h.action == action) and (parent_id is None or h.parent_id == parent_id)]
    return sorted(chosen, key=lambda h: h.requested_at, reverse=True)


@locked
def leave(caller: str) -> None:
    """LeaveOrganization, with AWS's preconditions in order."""
    backend = membership.org_of(caller)
    if backend.org.master_account_id == caller:
        raise MasterCannotLeave()
    remove_member(backend, caller)


@locked
def remove_member(backend: OrganizationsBackend, account_id: str) -> None:
    """Take `account_id` out of the organization after the leave preconditions, in the order AWS checks them."""
    membership.check_departure(backend, account_id)
    entry = registry.record(account_id)
    if not entry.eula_accepted:
        raise OrgConstraintViolation(
            "ACCOUNT_CANNOT_LEAVE_WITHOUT_EULA", "Accept the AWS Customer Agreement and choose a support plan first."
        )
    if not entry.phone_verified:
        raise OrgConstraintViolation("ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION", "Verify the account's phone number first.")
    if not entry.payment_method:
        raise OrgConstraintViolation("MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED", "Add a payment method to the account first.")
    _depart(backend, account_id)


def _depart(backend: OrganizationsBackend, account_id: str) -> None:
    """The account leaves `backend`'s organization; the approval it still owed (or declined) for all features no
    longer counts."""
    membership.depart(backend, account_id)
    for h in HANDSHAKES.values():
        if h.recipient_account == account_id and h.action == "ENABLE_ALL_FEATURES" and h.state in PENDING:
            h.settle("CANCELED")
    allfeatures.member_departed(backend.org.id)


@locked
def delete_organization(caller: str) -> None:
    """DeleteOrganization: only from the management account, only when no member is left."""
    backend = membership.management_backend(caller)
    if any(a.id != caller for a in backend.accounts):
        raise OrganizationNotEmpty()
    for h in HANDSHAKES.values():
        if h.org_id == backend.org.id and h.state in PENDING:
            h.settle("CANCELED")
    backend._reset()
