"""CreateAccount as AWS runs it: never finished in its own response, a limit on requests in flight, a daily quota,
FAILED reasons.

Spec: CreateAccount, DescribeCreateAccountStatus and ConstraintViolationException in the Organizations API reference
and botocore's model. CreateAccount "is an asynchronous request that Amazon Web Services performs in the
background": its response is IN_PROGRESS (botocore's CreateAccount example), and the request ends SUCCEEDED or
FAILED on a later DescribeCreateAccountStatus or ListCreateAccountStatus. Input is checked first (createinput).
Settings (sandbox-wide, registered with state, changeable through the admin API):
- `seconds`: how long a request stays IN_PROGRESS, 0.5 by default. AWS takes minutes; half a second keeps a
  rehearsal's waves within the runbook's first poll (one second) while every request is still seen IN_PROGRESS.
  0 makes a request end on the first read after it (never in its own response);
- `in_flight`: requests one organization may have IN_PROGRESS (limits.CREATE_ACCOUNT_IN_FLIGHT, 5, from the
  older Organizations quotas page), and `in_flight_error`, what a request beyond it gets. By default ConstraintViolationException with
  ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED, which botocore's ConstraintViolationException documentation gives as "You
  attempted to exceed the number of accounts that can be in progress at a time". The alternative,
  ConcurrentModificationException ("The target of the operation is currently being modified by a different
  request. Try again later."), is in CreateAccount's error list and is what the setting offers. The FailureReason
  CONCURRENT_ACCOUNT_MODIFICATION is not offered: its documented meaning is a second request with the same
  information, emulated as such below;
- `daily_quota`: requests (those that did not fail) one organization may make in 24 hours; None (the default) for
  no quota, as AWS publishes no figure. Beyond it: the same ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED, whose documentation
  read "You attempted to exceed the number of accounts that you can create in one day" in older botocore and SDK
  releases. The two refusals therefore look alike on the wire: a client tells them apart by whether any request is
  still IN_PROGRESS (a full pipeline frees up; a spent quota does not);
- `fail_next`: the next requests fail with reasons of the operator's choice.
Decided when the request is made and reported when it finishes: INVALID_EMAIL (see createinput),
EMAIL_ALREADY_EXISTS, CONCURRENT_ACCOUNT_MODIFICATION (the same email in flight) and ACCOUNT_LIMIT_EXCEEDED.
Requests are resolved lazily, whenever the organization's requests or accounts are read; a request's
CompletedTimestamp is the end of its creation time, not the read that noticed it.
"""

from __future__ import annotations

import contextlib
import string
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto.core.utils import unix_time, utcnow
from moto.moto_api._internal import mock_random
from moto.organizations import utils
from moto.organizations.models import FakeAccount, OrganizationsBackend, organizations_backends

from orgnb.sandbox import createinput, handshake, paging, registry, state
from orgnb.sandbox.exceptions import OrgConcurrentModification, OrgConstraintViolation, OrgError
from orgnb.sandbox.limits import CREATE_ACCOUNT_IN_FLIGHT

RATE_LIMIT = "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED"
IN_FLIGHT_ERRORS = (RATE_LIMIT, OrgConcurrentModification.code)


def _in_flight_error(value: Any) -> str:
    """The admin route's `create_account_in_flight_error`: one of the two errors AWS answers a request over the limit."""
    if value not in IN_FLIGHT_ERRORS:
        raise ValueError(f"create_account_in_flight_error must be one of {', '.join(IN_FLIGHT_ERRORS)}")
    return str(value)


SETTINGS = state.settings(
    {"seconds": 0.5, "in_flight": CREATE_ACCOUNT_IN_FLIGHT, "in_flight_error": RATE_LIMIT, "daily_quota": None, "fail_next": []},
    create_account_seconds=state.Field("seconds", float),
    create_account_in_flight=state.Field("in_flight", int),
    create_account_in_flight_error=state.Field("in_flight_error", _in_flight_error),
    create_account_daily_quota=state.Field("daily_quota", state.optional_int),
    create_account_fail_next=state.Field("fail_next", list),
)


@dataclass
class CreateRequest:
    """One CreateAccount request and how it ends."""

    id: str
    management_id: str
    kwargs: dict[str, Any]
    requested_at: datetime
    ready_at: datetime
    state: str = "IN_PROGRESS"
    failure: str | None = None
    account_id: str | None = None
    completed_at: datetime | None = None
    account: FakeAccount | None = None  # the account it makes, prepared when the request is (see _prepare)

    def describe(self) -> dict[str, Any]:
        """The CreateAccountStatus shape."""
        out: dict[str, Any] = {
            "Id": self.id,
            "AccountName": self.kwargs["AccountName"],
            "State": self.state,
            "RequestedTimestamp": unix_time(self.requested_at),
        }
        if self.completed_at:
            out["CompletedTimestamp"] = unix_time(self.completed_at)
        if self.account_id:
            out["AccountId"] = self.account_id
        if self.failure and self.state == "FAILED":  # decided when made, reported only once it has failed
            out["FailureReason"] = self.failure
        return out


# The server is threaded: submitting and resolving hold this lock, so no request is resolved (or counted) twice.
LOCK = threading.RLock()
REQUESTS: dict[str, CreateRequest] = state.store({}, LOCK)


@contextlib.contextmanager
def instant() -> Iterator[None]:
    """Requests made in the block end on the first read after them (a scenario's seed builds years of history)."""
    before = SETTINGS["seconds"]
    SETTINGS["seconds"] = 0.0
    try:
        yield
    finally:
        SETTINGS["seconds"] = before


def _in_flight(mgmt: str) -> list[CreateRequest]:
    return [r for r in REQUESTS.values() if r.management_id == mgmt and r.state == "IN_PROGRESS"]


def _made_today(mgmt: str) -> list[CreateRequest]:
    since = utcnow() - timedelta(days=1)
    return [r for r in REQUESTS.values() if r.management_id == mgmt and r.requested_at > since and r.state != "FAILED"]


def _check_capacity(mgmt: str) -> None:
    """Refuse a request beyond the daily quota or the limit in flight (see the module docstring)."""
    quota = SETTINGS["daily_quota"]
    if quota is not None and len(_made_today(mgmt)) >= quota:
        raise OrgConstraintViolation(RATE_LIMIT, "You attempted to exceed the number of accounts that you can create in one day.")
    if len(_in_flight(mgmt)) >= SETTINGS["in_flight"]:
        if SETTINGS["in_flight_error"] == OrgConcurrentModification.code:
            raise OrgConcurrentModification()
        raise OrgConstraintViolation(RATE_LIMIT, "You attempted to exceed the number of accounts that can be in progress at a time.")


def _failure(backend: OrganizationsBackend, email: str) -> str | None:
    if SETTINGS["fail_next"]:
        return str(SETTINGS["fail_next"].pop(0))
    if not createinput.email_is_valid(email):
        return "INVALID_EMAIL"
    if registry.by_email(email) is not None or any(a.email.lower() == email.lower() for a in backend.accounts):
        return "EMAIL_ALREADY_EXISTS"
    if any(r.kwargs["Email"].lower() == email.lower() for r in _in_flight(backend.account_id)):
        return "CONCURRENT_ACCOUNT_MODIFICATION"
    counted = len(backend.accounts) + len(_in_flight(backend.account_id)) + len(handshake.open_invitations(backend.org.id))
    if counted >= registry.account_limit(backend.account_id):  # open invitations count too (Quotas for AWS Organizations)
        return "ACCOUNT_LIMIT_EXCEEDED"
    return None


def submit(backend: OrganizationsBackend, kwargs: dict[str, Any]) -> CreateRequest:
    """Accept a CreateAccount request, IN_PROGRESS (or refuse it: the daily quota, the limit in flight)."""
    with LOCK:
        return _submit(backend, kwargs)


def _prepare(backend: OrganizationsBackend, request: CreateRequest) -> None:
    """Make the account a successful request will add (its id, its role) when the request is made, so the sandbox's
    seeded ids follow the order of requests, whenever the reads that finish them come."""
    request.account = FakeAccount(backend.org, **request.kwargs)  # type: ignore[arg-type]
    request.account.create_account_status_id = request.id


def _join(backend: OrganizationsBackend, account: FakeAccount, now: datetime) -> None:
    """The prepared account joins the organization, as moto's create_account adds it."""
    account.create_time = now
    backend.accounts.append(account)
    for policy_id in (utils.DEFAULT_SCP_POLICY_ID, utils.DEFAULT_RCP_POLICY_ID):
        backend.attach_policy(PolicyId=policy_id, TargetId=account.id)
    organizations_backends.master_accounts[account.id] = (backend.account_id, backend.partition)
    registry.record(account.id)  # its root credentials depend on today's settings


def _submit(backend: OrganizationsBackend, kwargs: dict[str, Any]) -> CreateRequest:
    _resolve(backend)  # requests whose time has come free their slots
    _check_capacity(backend.account_id)
    now = utcnow()
    request_id = "car-" + "".join(mock_random.choice(string.ascii_lowercase + string.digits) for _ in range(12))
    request = CreateRequest(request_id, backend.account_id, dict(kwargs), now, now + timedelta(seconds=float(SETTINGS["seconds"])))
    request.failure = _failure(backend, kwargs["Email"])
    if request.failure is None:
        _prepare(backend, request)
    REQUESTS[request.id] = request
    return request  # never resolved here: AWS answers IN_PROGRESS, whatever the creation time


def resolve(backend: OrganizationsBackend) -> None:
    """Finish every request of the organization whose time has come."""
    with LOCK:
        _resolve(backend)


def _resolve(backend: OrganizationsBackend) -> None:
    now = utcnow()
    for request in sorted(_in_flight(backend.account_id), key=lambda r: r.requested_at):
        if now < request.ready_at:
            continue
        if request.account is not None:
            _join(backend, request.account, now)
            request.account_id = request.account.id
            request.state = "SUCCEEDED"
        else:
            request.state = "FAILED"
        request.completed_at = request.ready_at  # when AWS would have finished it, however late it is read


def statuses(mgmt: str, states: list[str] | None) -> list[dict[str, Any]]:
    """The organization's requests, oldest first, optionally of some states."""
    chosen = [r for r in REQUESTS.values() if r.management_id == mgmt and (not states or r.state in states)]
    return [r.describe() for r in sorted(chosen, key=lambda r: r.requested_at)]


class CreateAccountStatusNotFound(OrgError):
    code = "CreateAccountStatusNotFoundException"
    message = "We can't find an create account request with the CreateAccountRequestId that you specified."


def install() -> None:
    """Route CreateAccount and its status operations through the requests; reads of accounts resolve them first."""
    original_create = OrganizationsBackend.create_account

    def create_account(self: OrganizationsBackend, **kwargs: Any) -> dict[str, Any]:
        if self.org is None:
            return original_create(self, **kwargs)  # moto's AWSOrganizationsNotInUse
        createinput.check_request(kwargs)
        if len(self.accounts) >= registry.account_limit(self.account_id):
            raise OrgConstraintViolation(
                "ACCOUNT_NUMBER_LIMIT_EXCEEDED", "You have reached the limit on the number of accounts in your organization."
            )
        return {"CreateAccountStatus": submit(self, kwargs).describe()}

    def describe_create_account_status(self: OrganizationsBackend, **kwargs: Any) -> dict[str, Any]:
        resolve(self)
        request = REQUESTS.get(kwargs.get("CreateAccountRequestId", ""))
        if request is None or request.management_id != self.account_id:
            raise CreateAccountStatusNotFound()
        return {"CreateAccountStatus": request.describe()}

    def list_create_account_status(self: OrganizationsBackend, **kwargs: Any) -> dict[str, Any]:
        resolve(self)
        return paging.page(statuses(self.account_id, kwargs.get("States")), kwargs, "CreateAccountStatuses")

    def resolving(original: Any) -> Any:
        def method(self: OrganizationsBackend, *args: Any, **kwargs: Any) -> Any:
            resolve(self)
            return original(self, *args, **kwargs)

        return method

    OrganizationsBackend.create_account = create_account  # type: ignore[method-assign]
    OrganizationsBackend.describe_create_account_status = describe_create_account_status  # type: ignore[method-assign]
    OrganizationsBackend.list_create_account_status = list_create_account_status  # type: ignore[method-assign]
    for name in ("list_accounts", "list_accounts_for_parent", "describe_account", "list_children"):
        setattr(OrganizationsBackend, name, resolving(getattr(OrganizationsBackend, name)))
