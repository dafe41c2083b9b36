"""CloseAccount as AWS runs it: the account is PENDING_CLOSURE, then SUSPENDED; its refusals and its 30-day quota.

Spec: CloseAccount in botocore's model ("While the close account request is in progress, Account status will
indicate PENDING_CLOSURE. When the close account request completes, the status will change to SUSPENDED.";
"Within a rolling 30 day period you can close the higher of either 250 or 20% of the member accounts in your
organization, up to a maximum of 1,000.") and ConstraintViolationException's reasons. A member calling it gets
AccessDenied before any of this (org_api). Refusals, in this order:
- the management account: ConstraintViolation CANNOT_CLOSE_MANAGEMENT_ACCOUNT;
- an account not in the organization: AccountNotFoundException;
- an account already SUSPENDED or CLOSED: AccountAlreadyClosedException;
- an account PENDING_CLOSURE: ConflictException. Not documented: of CloseAccount's modeled errors, "The request
  failed because it conflicts with the current state of the specified resource" is the closest to a closure
  already under way;
- the quota spent (closures in the last 30 days): CLOSE_ACCOUNT_QUOTA_EXCEEDED;
- setting `in_flight` closures already PENDING_CLOSURE: CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED ("You attempted to
  exceed the number of accounts that you can close at a time"). AWS gives no figure: None (the default) sets none.
Settings: `seconds` (0.5), how long PENDING_CLOSURE lasts (AWS: "You need to wait a few minutes"; half a second
keeps rehearsals fast); `quota` (None: the documented formula; a number replaces it, to rehearse a spent quota);
`in_flight` (None). State and the deprecated Status both show PENDING_CLOSURE, then SUSPENDED. Not emulated: the
permanent closure 90 days later, and the all-features requirement ("You can close an account when all features are
enabled"), left with the organization's other consolidated-billing rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto.core.utils import utcnow
from moto.organizations.models import OrganizationsBackend

from orgnb.sandbox import registry, state
from orgnb.sandbox.exceptions import AccountAlreadyClosed, AccountNotFound, OrgConflict, OrgConstraintViolation, OrgNotInUse
from orgnb.sandbox.handshake import locked

SETTINGS = state.settings(
    {"seconds": 0.5, "quota": None, "in_flight": None},
    close_account_seconds=state.Field("seconds", float),
    close_account_quota=state.Field("quota", state.optional_int),
    close_account_in_flight=state.Field("in_flight", state.optional_int),
)
QUOTA_WINDOW = timedelta(days=30)
CLOSED_STATES = ("SUSPENDED", "CLOSED")


@dataclass(frozen=True)
class Closure:
    """One CloseAccount request."""

    account_id: str
    management_id: str
    requested_at: datetime


CLOSURES: dict[str, Closure] = state.store({})


def quota(backend: OrganizationsBackend) -> int:
    """Closures the organization may make in 30 days: the higher of 250 or 20% of its members, at most 1,000."""
    if SETTINGS["quota"] is not None:
        return int(SETTINGS["quota"])
    members = len([a for a in backend.accounts if a.id != backend.org.master_account_id])
    return min(1000, max(250, members // 5))


def refresh(backend: OrganizationsBackend) -> None:
    """Accounts whose closure has run its time become SUSPENDED."""
    now = utcnow()
    for account in backend.accounts:
        closure = CLOSURES.get(account.id)
        if closure and account.state == "PENDING_CLOSURE" and now >= closure.requested_at + timedelta(seconds=SETTINGS["seconds"]):
            account.status = account.state = "SUSPENDED"


def state_of(account_id: str) -> str:
    """The account's State in its organization, closures brought up to date (ACTIVE outside any organization)."""
    backend = registry.org_backend(account_id)
    if backend is None:
        return "ACTIVE"
    refresh(backend)
    return next((str(a.state) for a in backend.accounts if a.id == account_id), "ACTIVE")


def _check_quotas(backend: OrganizationsBackend) -> None:
    now = utcnow()
    mine = [c for c in CLOSURES.values() if c.management_id == backend.account_id]
    if len([c for c in mine if now - c.requested_at < QUOTA_WINDOW]) >= quota(backend):
        raise OrgConstraintViolation("CLOSE_ACCOUNT_QUOTA_EXCEEDED", "You have exceeded close account quota for the past 30 days.")
    pending = [a for a in backend.accounts if a.state == "PENDING_CLOSURE"]
    if SETTINGS["in_flight"] is not None and len(pending) >= SETTINGS["in_flight"]:
        raise OrgConstraintViolation(
            "CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED", "You attempted to exceed the number of accounts that you can close at a time."
        )


@locked
def close(backend: OrganizationsBackend, account_id: str) -> None:
    """CloseAccount by the management account of `backend`'s organization (the module docstring's refusals, in order)."""
    if backend.org is None:
        raise OrgNotInUse()
    refresh(backend)
    if account_id == backend.org.master_account_id:
        raise OrgConstraintViolation("CANNOT_CLOSE_MANAGEMENT_ACCOUNT", "You can't close the management account with this API.")
    account = next((a for a in backend.accounts if a.id == account_id), None)
    if account is None:
        raise AccountNotFound()
    if account.state in CLOSED_STATES:
        raise AccountAlreadyClosed()
    if account.state == "PENDING_CLOSURE":
        raise OrgConflict("The account is already being closed.")
    _check_quotas(backend)
    CLOSURES[account_id] = Closure(account_id, backend.account_id, utcnow())
    account.status = account.state = "PENDING_CLOSURE"


def install() -> None:
    """Route CloseAccount through the closures; reads of accounts bring them up to date first."""

    def close_account(self: OrganizationsBackend, **kwargs: Any) -> None:
        close(self, str(kwargs.get("AccountId", "")))

    def refreshing(original: Any) -> Any:
        def method(self: OrganizationsBackend, *args: Any, **kwargs: Any) -> Any:
            if self.org is not None:
                refresh(self)
            return original(self, *args, **kwargs)

        return method

    OrganizationsBackend.close_account = close_account  # type: ignore[method-assign]
    for name in ("list_accounts", "list_accounts_for_parent", "describe_account"):
        setattr(OrganizationsBackend, name, refreshing(getattr(OrganizationsBackend, name)))
