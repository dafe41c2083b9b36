"""The sandbox mailbox: email AWS would send (invitations, one-time passcodes), for the operator to read."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

from moto.core.utils import utcnow

from orgnb.sandbox import state


@dataclass(frozen=True)
class Mail:
    """One message, as delivered to `to`."""

    to: str
    subject: str
    body: str
    sent_at: str


_LOCK = threading.Lock()
_MAILS: list[Mail] = state.store([], _LOCK)


def send(to: str, subject: str, body: str) -> None:
    """Deliver a message to `to`."""
    with _LOCK:
        _MAILS.append(Mail(to, subject, body, utcnow().isoformat(timespec="seconds")))


def messages(address: str | None = None) -> list[dict[str, Any]]:
    """Every message, or those sent to `address` (case-insensitive), oldest first."""
    with _LOCK:
        return [asdict(m) for m in _MAILS if address is None or m.to.lower() == address.lower()]
