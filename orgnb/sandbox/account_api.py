"""AWS Account Management operations moto lacks, and the organization rules for the ones it has.

Implemented: GetContactInformation, PutContactInformation, PutAccountName, GetAccountInformation; the existing
alternate-contact operations gain the AccountId rules. Spec: the Account Management API reference and botocore's
`account` model.

AccountId rules, checked in this order: absent → the caller's own account (standalone context, works without
trusted access); present and equal to the management account's own id → AccessDenied; caller not the management
account (or the delegated administrator for account.amazonaws.com) → AccessDenied; organization not in all-features
mode or trusted access for account.amazonaws.com off → AccessDenied; target not a member → AccessDenied.
GetAccountInformation answers the account's own creation date (AccountCreatedDate: "The date and time the account
was created"), kept in the registry.
Choices AWS does not document: GetAccountInformation reports PENDING_CLOSURE accounts as ACTIVE; a primary-email OTP
is 6 letters and digits, lives 24 hours, and a new StartPrimaryEmailUpdate replaces the pending one.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from moto.account import urls as account_urls
from moto.account.responses import AccountResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.sts.models import sts_backends

from orgnb.sandbox import closure, mailbox, registry, state
from orgnb.sandbox.exceptions import AccountAccessDenied, AccountConflict, AccountResourceNotFound, AccountValidation

SERVICE_PRINCIPAL = "account.amazonaws.com"
NEW_PATHS = (
    "getContactInformation",
    "putContactInformation",
    "putAccountName",
    "getAccountInformation",
    "getPrimaryEmail",
    "startPrimaryEmailUpdate",
    "acceptPrimaryEmailUpdate",
)
OTP_LIFETIME = timedelta(hours=24)  # AWS does not document it: long enough for an operator to read the mail
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
_MGMT_SELF = "The management account can only be managed using the standalone context from the management account."

# ContactInformation members: (wire name, min, max, required); PhoneNumber and CountryCode have patterns too.
_CONTACT_FIELDS = (
    ("FullName", 1, 50, True),
    ("AddressLine1", 1, 60, True),
    ("AddressLine2", 1, 60, False),
    ("AddressLine3", 1, 60, False),
    ("City", 1, 50, True),
    ("StateOrRegion", 1, 50, False),
    ("DistrictOrCounty", 1, 50, False),
    ("PostalCode", 1, 20, True),
    ("CountryCode", 2, 2, True),
    ("PhoneNumber", 1, 20, True),
    ("CompanyName", 1, 50, False),
    ("WebsiteUrl", 1, 256, False),
)
_STATE_REQUIRED = {"US", "CA", "GB", "DE", "JP", "IN", "BR"}
_PHONE = re.compile(r"^[+][\s0-9()-]+$")
_ACCOUNT_NAME = re.compile(r"^[ -;=?-~]+$")


def _caller_arn(resp: AccountResponse) -> str:
    return sts_backends[resp.current_account]["aws"].get_caller_identity(resp.get_access_key(), resp.region)[1]


def _is_delegated_admin(backend: Any, account_id: str) -> bool:
    return any(a.account.id == account_id and SERVICE_PRINCIPAL in a.services for a in backend.admins)


def target_account(resp: AccountResponse, operation: str) -> str:
    """The account the request acts on, after the AccountId rules."""
    caller = resp.current_account
    requested = resp._get_param("AccountId")
    if not requested:
        return caller
    denied = AccountAccessDenied(_caller_arn(resp), operation)
    backend = registry.org_backend(caller)
    is_mgmt = backend is not None and backend.org.master_account_id == caller
    if is_mgmt and requested == caller:
        raise AccountAccessDenied(_caller_arn(resp), operation, _MGMT_SELF)
    if backend is None or not (is_mgmt or _is_delegated_admin(backend, caller)):
        raise denied
    trusted = any(s.get("ServicePrincipal") == SERVICE_PRINCIPAL for s in backend.services)
    if backend.org.feature_set != "ALL" or not trusted:
        raise denied
    if requested == backend.org.master_account_id or requested not in {a.id for a in backend.accounts}:
        raise denied
    return str(requested)


def contact_problems(info: dict[str, Any]) -> list[tuple[str, str]]:
    """Every ContactInformation constraint `info` breaks, as (field, message)."""
    problems = []
    for name, low, high, required in _CONTACT_FIELDS:
        value = info.get(name)
        if value is None:
            if required:
                problems.append((name, "Member must not be null"))
        elif not low <= len(str(value)) <= high:
            problems.append((name, f"Member must have length between {low} and {high}"))
    if info.get("PhoneNumber") and not _PHONE.match(info["PhoneNumber"]):
        problems.append(("PhoneNumber", "Member must satisfy regular expression pattern: [+][\\s0-9()-]+"))
    if info.get("CountryCode") in _STATE_REQUIRED and not info.get("StateOrRegion"):
        problems.append(("StateOrRegion", f"StateOrRegion is required for country code {info['CountryCode']}"))
    unknown = sorted(set(info) - {f[0] for f in _CONTACT_FIELDS})
    problems += [(name, "Unknown member") for name in unknown]
    return problems


def get_contact_information(self: AccountResponse) -> ActionResult:
    """GetContactInformation."""
    info = registry.snapshot_contact(target_account(self, "GetContactInformation"))
    if not info:
        raise AccountResourceNotFound("No contact information found for the account.")
    return ActionResult({"ContactInformation": info})


def put_contact_information(self: AccountResponse) -> EmptyResult:
    """PutContactInformation."""
    account_id = target_account(self, "PutContactInformation")
    info = self._get_param("ContactInformation") or {}
    problems = contact_problems(info)
    if problems:
        raise AccountValidation(problems)
    registry.record(account_id).contact_information = dict(info)
    return EmptyResult()


def put_account_name(self: AccountResponse) -> EmptyResult:
    """PutAccountName."""
    account_id = target_account(self, "PutAccountName")
    name = self._get_param("AccountName") or ""
    if not 1 <= len(name) <= 50 or not _ACCOUNT_NAME.match(name):
        raise AccountValidation([("AccountName", "Member must have length between 1 and 50 and match [ -;=?-~]+")])
    registry.set_name(account_id, name)
    return EmptyResult()


def get_account_information(self: AccountResponse) -> ActionResult:
    """GetAccountInformation."""
    entry = registry.record(target_account(self, "GetAccountInformation"))
    state = {"SUSPENDED": "SUSPENDED", "CLOSED": "CLOSED"}.get(closure.state_of(entry.account_id), "ACTIVE")
    return ActionResult(
        {"AccountId": entry.account_id, "AccountName": entry.name, "AccountCreatedDate": entry.created_at, "AccountState": state}
    )


@dataclass
class PendingEmail:
    """A primary email update waiting for its one-time passcode."""

    email: str
    otp: str
    expires: datetime


PENDING_EMAILS: dict[str, PendingEmail] = state.store({})


def _required_target(self: AccountResponse, operation: str) -> str:
    if not self._get_param("AccountId"):
        raise AccountValidation([("AccountId", "Member must not be null")])
    return target_account(self, operation)


def get_primary_email(self: AccountResponse) -> ActionResult:
    """GetPrimaryEmail (organization mode only)."""
    return ActionResult({"PrimaryEmail": registry.record(_required_target(self, "GetPrimaryEmail")).email})


def start_primary_email_update(self: AccountResponse) -> ActionResult:
    """StartPrimaryEmailUpdate: a passcode goes to the new address (the sandbox mailbox)."""
    account_id = _required_target(self, "StartPrimaryEmailUpdate")
    email = self._get_param("PrimaryEmail") or ""
    if not 5 <= len(email) <= 64 or not _EMAIL.match(email):
        raise AccountValidation([("PrimaryEmail", "Member must be a valid email address of 5 to 64 characters")])
    owner = registry.by_email(email)
    if owner is not None and owner.account_id != account_id:
        raise AccountConflict("The email address is already in use by another account.")
    otp = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))
    PENDING_EMAILS[account_id] = PendingEmail(email, otp, utcnow() + OTP_LIFETIME)
    mailbox.send(email, "Verify your new AWS account email address", f"Your verification code for account {account_id} is {otp}")
    return ActionResult({"Status": "PENDING"})


def accept_primary_email_update(self: AccountResponse) -> ActionResult:
    """AcceptPrimaryEmailUpdate: the passcode and the address must match the pending update."""
    account_id = _required_target(self, "AcceptPrimaryEmailUpdate")
    pending = PENDING_EMAILS.get(account_id)
    if pending is None:
        raise AccountResourceNotFound("No pending primary email update was found for the account.")
    if utcnow() > pending.expires:
        raise AccountValidation([("Otp", "The code has expired: start the update again")])
    email, otp = self._get_param("PrimaryEmail") or "", self._get_param("Otp") or ""
    if email.lower() != pending.email.lower():
        raise AccountValidation([("PrimaryEmail", "Does not match the address of the pending update")])
    if otp != pending.otp:
        raise AccountValidation([("Otp", "The code is not valid")])
    owner = registry.by_email(email)
    if owner is not None and owner.account_id != account_id:
        raise AccountConflict("The email address is already in use by another account.")
    registry.set_email(account_id, pending.email)
    del PENDING_EMAILS[account_id]
    return ActionResult({"Status": "ACCEPTED"})


def _with_rules(original: Callable[[AccountResponse], Any], operation: str) -> Callable[[AccountResponse], Any]:
    def handler(self: AccountResponse) -> Any:
        target_account(self, operation)
        return original(self)

    handler.__name__ = original.__name__
    return handler


def install() -> None:
    """Register the new operations and routes, and put the AccountId rules on the existing ones."""
    for path in NEW_PATHS:
        account_urls.url_paths["{0}/" + path + "$"] = AccountResponse.dispatch
    # operations moto lacks, added to its response class (attributes mypy cannot see)
    AccountResponse.get_contact_information = get_contact_information  # type: ignore[attr-defined]
    AccountResponse.put_contact_information = put_contact_information  # type: ignore[attr-defined]
    AccountResponse.put_account_name = put_account_name  # type: ignore[attr-defined]
    AccountResponse.get_account_information = get_account_information  # type: ignore[attr-defined]
    AccountResponse.get_primary_email = get_primary_email  # type: ignore[attr-defined]
    AccountResponse.start_primary_email_update = start_primary_email_update  # type: ignore[attr-defined]
    AccountResponse.accept_primary_email_update = accept_primary_email_update  # type: ignore[attr-defined]
    for name, operation in (
        ("put_alternate_contact", "PutAlternateContact"),
        ("get_alternate_contact", "GetAlternateContact"),
        ("delete_alternate_contact", "DeleteAlternateContact"),
    ):
        setattr(AccountResponse, name, _with_rules(getattr(AccountResponse, name), operation))
