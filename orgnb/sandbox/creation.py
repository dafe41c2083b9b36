"""CreateAccount as AWS runs it: a request that stays IN_PROGRESS, a limit on requests in flight, FAILED reasons.

Spec: CreateAccount and DescribeCreateAccountStatus in the Organizations API reference and botocore's model.
Settings (sandbox-wide, changeable through the admin API):
- `seconds`: how long a request stays IN_PROGRESS (0: it finishes at once, as moto does);
- `in_flight`: requests one organization may have IN_PROGRESS (5, from the older Organizations quotas page).
Choices where AWS is silent: a sixth request in flight is refused with
ConstraintViolationException(ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED);
EMAIL_ALREADY_EXISTS, CONCURRENT_ACCOUNT_MODIFICATION and ACCOUNT_LIMIT_EXCEEDED are decided when the request is made
and reported when it finishes; `fail_next` makes the next request fail with a reason of the operator's choice.
Requests are resolved lazily, whenever the organization's requests or accounts are read.
"""

from __future__ import annotations

import string
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto.core.utils import unix_time, utcnow
from moto.moto_api._internal import mock_random
from moto.organizations.models import OrganizationsBackend

from orgnb.sandbox import paging, registry
from orgnb.sandbox.exceptions import OrgConstraintViolation, OrgError

SETTINGS: dict[str, Any] = {"seconds": 0.0, "in_flight": 5, "fail_next": []}


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
        if self.failure:
            out["FailureReason"] = self.failure
        return out


REQUESTS: dict[str, CreateRequest] = {}
# The server is threaded: submitting and resolving hold this lock, so no request is resolved (or counted) twice.
LOCK = threading.RLock()


def clear() -> None:
    """Forget every request and return the settings to their defaults (on reset)."""
    REQUESTS.clear()
    SETTINGS.update(seconds=0.0, in_flight=5, fail_next=[])


def _in_flight(mgmt: str) -> list[CreateRequest]:
    return [r for r in REQUESTS.values() if r.management_id == mgmt and r.state == "IN_PROGRESS"]


def _failure(backend: OrganizationsBackend, email: str) -> str | None:
    if SETTINGS["fail_next"]:
        return str(SETTINGS["fail_next"].pop(0))
    if registry.by_email(email) is not None or any(a.email.lower() == email.lower() for a in backend.accounts):
        return "EMAIL_ALREADY_EXISTS"
    if any(r.kwargs["Email"].lower() == email.lower() for r in _in_flight(backend.account_id)):
        return "CONCURRENT_ACCOUNT_MODIFICATION"
    if len(backend.accounts) + len(_in_flight(backend.account_id)) >= registry.account_limit(backend.account_id):
        return "ACCOUNT_LIMIT_EXCEEDED"
    return None


def submit(backend: OrganizationsBackend, create: Any, kwargs: dict[str, Any]) -> CreateRequest:
    """Accept a CreateAccount request (or refuse it when too many are in flight)."""
    with LOCK:
        return _submit(backend, create, kwargs)


def _submit(backend: OrganizationsBackend, create: Any, kwargs: dict[str, Any]) -> CreateRequest:
    _resolve(backend, create)  # requests whose time has come free their slots
    if len(_in_flight(backend.account_id)) >= SETTINGS["in_flight"]:
        raise OrgConstraintViolation("ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED", "Too many CreateAccount requests are in progress.")
    now = utcnow()
    request_id = "car-" + "".join(mock_random.choice(string.ascii_lowercase + string.digits) for _ in range(12))
    request = CreateRequest(request_id, backend.account_id, dict(kwargs), now, now + timedelta(seconds=float(SETTINGS["seconds"])))
    request.failure = _failure(backend, kwargs["Email"])
    REQUESTS[request.id] = request
    resolve(backend, create)
    return request


def resolve(backend: OrganizationsBackend, create: Any) -> None:
    """Finish every request of the organization whose time has come."""
    with LOCK:
        _resolve(backend, create)


def _resolve(backend: OrganizationsBackend, create: Any) -> None:
    now = utcnow()
    for request in sorted(_in_flight(backend.account_id), key=lambda r: r.requested_at):
        if now < request.ready_at:
            continue
        if request.failure is None:
            account = create(backend, **request.kwargs)
            request.account_id = account["CreateAccountStatus"]["AccountId"]
            request.state = "SUCCEEDED"
        else:
            request.state = "FAILED"
        request.completed_at = now


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

    def create(self: OrganizationsBackend, **kwargs: Any) -> dict[str, Any]:
        result = original_create(self, **kwargs)
        registry.record(result["CreateAccountStatus"]["AccountId"])  # its root credentials depend on today's settings
        return result

    def create_account(self: OrganizationsBackend, **kwargs: Any) -> dict[str, Any]:
        if self.org is None:
            return original_create(self, **kwargs)  # moto's AWSOrganizationsNotInUse
        if len(self.accounts) >= registry.account_limit(self.account_id):
            raise OrgConstraintViolation(
                "ACCOUNT_NUMBER_LIMIT_EXCEEDED", "You have reached the limit on the number of accounts in your organization."
            )
        return {"CreateAccountStatus": submit(self, create, kwargs).describe()}

    def describe_create_account_status(self: OrganizationsBackend, **kwargs: Any) -> dict[str, Any]:
        resolve(self, create)
        request = REQUESTS.get(kwargs.get("CreateAccountRequestId", ""))
        if request is None or request.management_id != self.account_id:
            raise CreateAccountStatusNotFound()
        return {"CreateAccountStatus": request.describe()}

    def list_create_account_status(self: OrganizationsBackend, **kwargs: Any) -> dict[str, Any]:
        resolve(self, create)
        return paging.page(statuses(self.account_id, kwargs.get("States")), kwargs, "CreateAccountStatuses")

    def resolving(original: Any) -> Any:
        def method(self: OrganizationsBackend, *args: Any, **kwargs: Any) -> Any:
            resolve(self, create)
            return original(self, *args, **kwargs)

        return method

    OrganizationsBackend.create_account = create_account  # type: ignore[method-assign]
    OrganizationsBackend.describe_create_account_status = describe_create_account_status  # type: ignore[method-assign]
    OrganizationsBackend.list_create_account_status = list_create_account_status  # type: ignore[method-assign]
    for name in ("list_accounts", "list_accounts_for_parent", "describe_account", "list_children"):
        setattr(OrganizationsBackend, name, resolving(getattr(OrganizationsBackend, name)))
