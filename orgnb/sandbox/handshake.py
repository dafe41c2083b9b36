"""The handshakes the sandbox keeps: the Handshake record, the store, who may see one, and its lifecycle rules.

State only; handshakes (invitations, acceptance) and allfeatures (enabling all features) act on it under LOCK.
Choices where AWS's behaviour is not documented: an INVITE starts OPEN and ENABLE_ALL_FEATURES REQUESTED; an INVITE
expires 15 days after it is sent (an ENABLE_ALL_FEATURES request: see allfeatures); terminal handshakes stay visible
for 30 days; a party that cannot see a handshake gets HandshakeNotFoundException.
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

from orgnb.sandbox import registry, state
from orgnb.sandbox.exceptions import HandshakeAlreadyInState, HandshakeNotFound, InvalidHandshakeTransition, OrgInvalidInput

T = TypeVar("T")
HANDSHAKE_LIFETIME = timedelta(days=15)
RETENTION = timedelta(days=30)
# The server is threaded: every public operation holds this lock while it reads or changes handshakes.
LOCK = threading.RLock()
PENDING = ("REQUESTED", "OPEN")
HANDSHAKE_ID = re.compile(r"^h-[0-9a-z]{8,32}$")


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
    lifetime: timedelta = HANDSHAKE_LIFETIME

    @property
    def arn(self) -> str:
        """arn:aws:organizations::<mgmt>:handshake/<org>/<action>/<id>."""
        return f"arn:aws:organizations::{self.sender}:handshake/{self.org_id}/{self.action.lower()}/{self.id}"

    @property
    def expires_at(self) -> datetime:
        """When a pending handshake expires."""
        return self.requested_at + self.lifetime

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


HANDSHAKES: dict[str, Handshake] = state.store({}, LOCK)


def locked(fn: Callable[..., T]) -> Callable[..., T]:
    """`fn`, run while holding LOCK."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with LOCK:
            return fn(*args, **kwargs)

    return wrapper


def new_id() -> str:
    """A fresh handshake id (from moto's seeded random source, so ids repeat run to run)."""
    return "h-" + "".join(mock_random.choice(string.ascii_lowercase + string.digits) for _ in range(10))


def visible(h: Handshake, caller: str) -> bool:
    """The sender organization's management account and the recipient (by account or email) see a handshake."""
    if h.sender == caller or h.recipient_account == caller:
        return True
    email = registry.REGISTRY[caller].email if caller in registry.REGISTRY else None
    return bool(h.recipient_email and email and email.lower() == h.recipient_email.lower())


def live(h: Handshake) -> bool:
    """Expire it if due; True while pending or within the retention of terminal handshakes."""
    h.refresh()
    return h.state in PENDING or (h.terminal_at is not None and utcnow() - h.terminal_at < RETENTION)


@locked
def find(handshake_id: str, caller: str) -> Handshake:
    """The handshake `caller` may see, after expiry and retention."""
    if not HANDSHAKE_ID.match(handshake_id or ""):
        raise OrgInvalidInput("INVALID_PATTERN", "HandshakeId does not match the pattern ^h-[0-9a-z]{8,32}$.")
    h = HANDSHAKES.get(handshake_id)
    if h is None or not live(h) or not visible(h, caller):
        raise HandshakeNotFound()
    return h


def check_transition(h: Handshake, target: str) -> None:
    """Refuse moving `h` to `target` unless it is pending."""
    if h.state == target:
        raise HandshakeAlreadyInState()
    if h.state not in PENDING:
        raise InvalidHandshakeTransition()


def open_invitations(org_id: str) -> list[Handshake]:
    """The organization's invitations still awaiting an answer. Each counts against its account quota until it is
    declined, cancelled or expires (Quotas for AWS Organizations); accepted, it is an account."""
    invitations = [h for h in list(HANDSHAKES.values()) if h.org_id == org_id and h.action == "INVITE"]
    for h in invitations:
        h.refresh()
    return [h for h in invitations if h.state in PENDING]
