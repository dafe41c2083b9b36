"""Organizations handshakes: invitations, acceptance (a join, or a direct transfer between organizations),
leaving, enabling all features, deleting an organization.

State and rules only (the wire is in org_api; who may join or depart is in membership). Choices where AWS's
behaviour is not documented:
- An INVITE starts OPEN; ENABLE_ALL_FEATURES starts REQUESTED; both expire 15 days after they are sent.
- The wrong party calling Accept, Decline or Cancel gets AccessDeniedException; a party that cannot see the
  handshake gets HandshakeNotFoundException.
- At most 20 invitations per organization per day (the Organizations quotas page's figure): a setting below.
- Terminal handshakes stay visible for 30 days.
- Unknown 12-digit invitation targets are registered on the fly as standalone accounts (moto's permissive style).
- A member of another organization may be invited; accepting moves it directly (see membership).
"""

from __future__ import annotations

import functools
import re
import string
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from moto.core.utils import utcnow
from moto.moto_api._internal import mock_random
from moto.organizations.models import OrganizationsBackend, organizations_backends

from orgnb.sandbox import mailbox, membership, registry
from orgnb.sandbox.exceptions import (
    DuplicateHandshake,
    HandshakeAlreadyInState,
    HandshakeConstraintViolation,
    HandshakeNotFound,
    InvalidHandshakeTransition,
    MasterCannotLeave,
    OrgAccessDenied,
    OrganizationNotEmpty,
    OrgConstraintViolation,
    OrgInvalidInput,
    OrgNotInUse,
)
from orgnb.sandbox.principals import Principal

T = TypeVar("T")
HANDSHAKE_LIFETIME = timedelta(days=15)
RETENTION = timedelta(days=30)
DEFAULT_SETTINGS: dict[str, Any] = {"daily_invitations": 20}
SETTINGS: dict[str, Any] = dict(DEFAULT_SETTINGS)
# The server is threaded: every public function below holds this lock while it reads or changes handshakes.
LOCK = threading.RLock()
PENDING = ("REQUESTED", "OPEN")
HANDSHAKE_ID = re.compile(r"^h-[0-9a-z]{8,32}$")
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


@dataclass
class Handshake:
    """A handshake and the facts the emulator keeps about it."""

    id: str
    action: str
    org_id: str
    sender: str
    parties: list[dict[str, str]]
    resources: list[dict[str, Any]]
    state: str
    requested_at: datetime
    recipient_account: str | None = None
    recipient_email: str | None = None
    parent_id: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    terminal_at: datetime | None = None

    @property
    def arn(self) -> str:
        """arn:aws:organizations::<mgmt>:handshake/<org>/<action>/<id>."""
        return f"arn:aws:organizations::{self.sender}:handshake/{self.org_id}/{self.action.lower()}/{self.id}"

    @property
    def expires_at(self) -> datetime:
        """When a pending handshake expires."""
        return self.requested_at + HANDSHAKE_LIFETIME

    def settle(self, state: str) -> None:
        """Move to a terminal state now."""
        self.state, self.terminal_at = state, utcnow()

    def refresh(self) -> None:
        """Apply expiry lazily."""
        if self.state in PENDING and utcnow() > self.expires_at:
            self.settle("EXPIRED")

    def describe(self) -> dict[str, Any]:
        """The Handshake shape."""
        return {
            "Id": self.id,
            "Arn": self.arn,
            "Parties": self.parties,
            "State": self.state,
            "RequestedTimestamp": self.requested_at,
            "ExpirationTimestamp": self.expires_at,
            "Action": self.action,
            "Resources": self.resources,
        }


HANDSHAKES: dict[str, Handshake] = {}


def clear() -> None:
    """Forget every handshake and return the settings to their defaults (on reset)."""
    HANDSHAKES.clear()
    SETTINGS.clear()
    SETTINGS.update(DEFAULT_SETTINGS)


def _locked(fn: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with LOCK:
            return fn(*args, **kwargs)

    return wrapper


def _new_id() -> str:
    return "h-" + "".join(mock_random.choice(string.ascii_lowercase + string.digits) for _ in range(10))


def _org_of(caller: str) -> OrganizationsBackend:
    backend = registry.org_backend(caller)
    if backend is None:
        raise OrgNotInUse()
    return backend


def management_backend(caller: str) -> OrganizationsBackend:
    """The caller's organization backend when the caller is its management account."""
    backend = _org_of(caller)
    if backend.org.master_account_id != caller:
        raise OrgAccessDenied()
    return backend


def visible(h: Handshake, caller: str) -> bool:
    """The sender organization's management account and the recipient (by account or email) see a handshake."""
    if h.sender == caller or h.recipient_account == caller:
        return True
    email = registry.REGISTRY[caller].email if caller in registry.REGISTRY else None
    return bool(h.recipient_email and email and email.lower() == h.recipient_email.lower())


def _live(h: Handshake) -> bool:
    h.refresh()
    return h.state in PENDING or (h.terminal_at is not None and utcnow() - h.terminal_at < RETENTION)


@_locked
def find(handshake_id: str, caller: str) -> Handshake:
    """The handshake `caller` may see, after expiry and retention."""
    if not HANDSHAKE_ID.match(handshake_id or ""):
        raise OrgInvalidInput("INVALID_PATTERN", "HandshakeId does not match the pattern ^h-[0-9a-z]{8,32}$.")
    h = HANDSHAKES.get(handshake_id)
    if h is None or not _live(h) or not visible(h, caller):
        raise HandshakeNotFound()
    return h


def _check_transition(h: Handshake, target: str) -> None:
    if h.state == target:
        raise HandshakeAlreadyInState()
    if h.state not in PENDING:
        raise InvalidHandshakeTransition()


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


def _pending_invites(org_id: str) -> list[Handshake]:
    return [h for h in HANDSHAKES.values() if h.org_id == org_id and h.action == "INVITE" and (h.refresh() or h.state in PENDING)]


@_locked
def invite(caller: str, target: dict[str, str], notes: str | None, tags: list[dict[str, str]]) -> Handshake:
    """InviteAccountToOrganization."""
    backend = management_backend(caller)
    _validate_target(target, notes, tags)
    org = backend.org
    if getattr(org, "pending_all_features", False):
        raise HandshakeConstraintViolation("INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES")
    account_id, email = (target["Id"], None) if target["Type"] == "ACCOUNT" else (None, target["Id"])
    if email is not None and (known := registry.by_email(email)) is not None:
        account_id = known.account_id
    if account_id is not None:
        registry.record(account_id)  # unknown ids become standalone accounts
        if account_id == caller or account_id in {a.id for a in backend.accounts}:
            raise HandshakeConstraintViolation("ALREADY_IN_AN_ORGANIZATION")
    pending = _pending_invites(org.id)
    if any(
        (account_id and h.recipient_account == account_id) or (email and (h.recipient_email or "").lower() == email.lower())
        for h in pending
    ):
        raise DuplicateHandshake()
    if len(backend.accounts) + len(pending) >= registry.account_limit(caller):
        raise HandshakeConstraintViolation("ACCOUNT_NUMBER_LIMIT_EXCEEDED")
    today = [
        h for h in HANDSHAKES.values() if h.org_id == org.id and h.action == "INVITE" and utcnow() - h.requested_at < timedelta(days=1)
    ]
    if len(today) >= SETTINGS["daily_invitations"]:
        raise HandshakeConstraintViolation("HANDSHAKE_RATE_LIMIT_EXCEEDED")
    party = {"Id": target["Id"], "Type": target["Type"]}
    resources = [_org_resource(backend), {"Type": target["Type"], "Value": target["Id"]}] + (
        [{"Type": "NOTES", "Value": notes}] if notes else []
    )
    h = Handshake(
        _new_id(),
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


@_locked
def accept(handshake_id: str, caller: str, principal: Principal | None = None) -> Handshake:
    """AcceptHandshake by `principal` of account `caller`."""
    h = find(handshake_id, caller)
    if h.action == "APPROVE_ALL_FEATURES" or (h.action == "ENABLE_ALL_FEATURES" and h.parent_id is None):
        return _finish_all_features(h, caller)
    if not (h.recipient_account == caller or (h.recipient_email and visible(h, caller) and h.sender != caller)):
        raise OrgAccessDenied()
    _check_transition(h, "ACCEPTED")
    if h.action == "ENABLE_ALL_FEATURES":
        h.settle("ACCEPTED")
        _advance_all_features(h.parent_id or "")
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


@_locked
def decline(handshake_id: str, caller: str) -> Handshake:
    """DeclineHandshake: only the recipient may."""
    h = find(handshake_id, caller)
    if h.sender == caller:
        raise OrgAccessDenied()
    _check_transition(h, "DECLINED")
    h.settle("DECLINED")
    return h


@_locked
def cancel(handshake_id: str, caller: str) -> Handshake:
    """CancelHandshake: only the sender may; cancelling an ENABLE_ALL_FEATURES parent cancels its children."""
    h = find(handshake_id, caller)
    if h.sender != caller:
        raise OrgAccessDenied()
    _check_transition(h, "CANCELED")
    h.settle("CANCELED")
    if h.action == "ENABLE_ALL_FEATURES" and h.parent_id is None:
        for child in HANDSHAKES.values():
            if child.parent_id == h.id and child.state in PENDING:
                child.settle("CANCELED")
        organizations_backends[h.sender]["aws"].org.pending_all_features = False
    return h


@_locked
def list_for(caller: str, organization: bool, action: str | None, parent_id: str | None) -> list[Handshake]:
    """The handshakes an organization sent (organization=True) or an account received, newest first."""
    if organization:
        backend = _org_of(caller)
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
    chosen = [h for h in chosen if _live(h) and (action is None or h.action == action) and (parent_id is None or h.parent_id == parent_id)]
    return sorted(chosen, key=lambda h: h.requested_at, reverse=True)


@_locked
def enable_all_features(caller: str) -> Handshake:
    """EnableAllFeatures: a parent handshake, one child per invited member; finalized by the management account."""
    backend = management_backend(caller)
    org = backend.org
    if org.feature_set == "ALL":
        raise HandshakeConstraintViolation("ORGANIZATION_ALREADY_HAS_ALL_FEATURES")
    if getattr(org, "pending_all_features", False):
        raise HandshakeConstraintViolation("ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION")
    org.pending_all_features = True
    org_party = {"Id": org.id, "Type": "ORGANIZATION"}
    now = utcnow()
    parent = Handshake(
        _new_id(), "ENABLE_ALL_FEATURES", org.id, caller, [org_party], [{"Type": "ORGANIZATION", "Value": org.id}], "REQUESTED", now
    )
    HANDSHAKES[parent.id] = parent
    for member in backend.accounts:
        if member.id != caller and member.joined_method == "INVITED" and member.state == "ACTIVE":
            parties = [org_party, {"Id": member.id, "Type": "ACCOUNT"}]
            resources = [{"Type": "ORGANIZATION", "Value": org.id}, {"Type": "PARENT_HANDSHAKE", "Value": parent.id}]
            child = Handshake(
                _new_id(), "ENABLE_ALL_FEATURES", org.id, caller, parties, resources, "REQUESTED", now, member.id, parent_id=parent.id
            )
            HANDSHAKES[child.id] = child
    _advance_all_features(parent.id)
    return parent


def _advance_all_features(parent_id: str) -> None:
    parent = HANDSHAKES[parent_id]
    # children of members that left (cancelled with them) no longer count
    children = [h for h in HANDSHAKES.values() if h.parent_id == parent_id and h.action == "ENABLE_ALL_FEATURES" and h.state != "CANCELED"]
    if parent.state == "REQUESTED" and all(c.state == "ACCEPTED" for c in children):
        parent.state = "OPEN"
        approve = Handshake(
            _new_id(),
            "APPROVE_ALL_FEATURES",
            parent.org_id,
            parent.sender,
            parent.parties,
            parent.resources,
            "OPEN",
            parent.requested_at,
            parent.sender,
        )
        approve.parent_id = parent.id
        HANDSHAKES[approve.id] = approve


def _finish_all_features(h: Handshake, caller: str) -> Handshake:
    if h.sender != caller:
        raise OrgAccessDenied()
    _check_transition(h, "ACCEPTED")
    parent = HANDSHAKES[h.parent_id] if h.action == "APPROVE_ALL_FEATURES" and h.parent_id else h
    if parent.state != "OPEN":
        raise InvalidHandshakeTransition()
    backend = organizations_backends[caller]["aws"]
    backend.org.feature_set = "ALL"
    backend.org.pending_all_features = False
    for related in [parent, *(x for x in HANDSHAKES.values() if x.action == "APPROVE_ALL_FEATURES" and x.parent_id == parent.id)]:
        related.settle("ACCEPTED")
    return h


@_locked
def leave(caller: str) -> None:
    """LeaveOrganization, with AWS's preconditions in order."""
    backend = _org_of(caller)
    if backend.org.master_account_id == caller:
        raise MasterCannotLeave()
    remove_member(backend, caller)


@_locked
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
    """The account leaves `backend`'s organization; the approvals it still owed for all features no longer count."""
    membership.depart(backend, account_id)
    for h in list(HANDSHAKES.values()):
        if h.recipient_account == account_id and h.action == "ENABLE_ALL_FEATURES" and h.state in PENDING:
            h.settle("CANCELED")
            _advance_all_features(h.parent_id or "")


@_locked
def delete_organization(caller: str) -> None:
    """DeleteOrganization: only from the management account, only when no member is left."""
    backend = management_backend(caller)
    if any(a.id != caller for a in backend.accounts):
        raise OrganizationNotEmpty()
    for h in HANDSHAKES.values():
        if h.org_id == backend.org.id and h.state in PENDING:
            h.settle("CANCELED")
    backend._reset()
