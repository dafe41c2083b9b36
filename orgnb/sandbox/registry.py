"""The sandbox's account registry: facts about each emulated account that moto does not keep.

Scenario accounts are registered when the sandbox is seeded; accounts made later by CreateAccount are registered
on first use from moto's Organizations state, with the management account's company name and address cloned into
their contact information, as Organizations does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.organizations.models import FakeAccount, OrganizationsBackend, organizations_backends

from orgnb.sandbox import state
from orgnb.sandbox.limits import DEFAULT_ACCOUNT_QUOTA

# Contact fields Organizations copies from the management account into accounts it creates.
_CLONED_CONTACT_FIELDS = (
    "CompanyName",
    "AddressLine1",
    "AddressLine2",
    "AddressLine3",
    "City",
    "StateOrRegion",
    "PostalCode",
    "CountryCode",
)


@dataclass
class RootCredentials:
    """A root user's credentials, as IAM shows them in a root session (IAM's root-user credentials, read in an AssumeRoot session)."""

    login_profile: datetime | None = None
    access_keys: list[dict[str, Any]] = field(default_factory=list)  # {AccessKeyId, Status, CreateDate}
    mfa_devices: list[dict[str, Any]] = field(default_factory=list)  # {SerialNumber, EnableDate}
    certificates: list[dict[str, Any]] = field(default_factory=list)  # {CertificateId, CertificateBody, Status, UploadDate}

    @property
    def present(self) -> bool:
        """True while any credential is left."""
        return bool(self.login_profile or self.access_keys or self.mfa_devices or self.certificates)


@dataclass
class AccountRecord:
    """What the sandbox knows about one account beyond moto's models."""

    account_id: str
    name: str
    email: str
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    contact_information: dict[str, str] | None = None
    root: RootCredentials = field(default_factory=RootCredentials)
    # what a standalone account needs before it may leave an organization (console sign-up steps)
    payment_method: bool = True
    phone_verified: bool = True
    eula_accepted: bool = True
    left_at: datetime | None = None
    joined_at: datetime | None = None  # when it last joined an organization by invitation


REGISTRY: dict[str, AccountRecord] = state.store({})
# Organizations' account quota by management account; AWS's default applies to the rest.
DEFAULT_ACCOUNT_LIMIT = DEFAULT_ACCOUNT_QUOTA
ACCOUNT_LIMITS: dict[str, int] = state.store({})


def _account_limits(value: Any) -> dict[str, int]:
    """The admin route's `account_limits` ({management account id: quota}, or null): added to those set before."""
    return {management_id: int(limit) for management_id, limit in (value or {}).items()}


state.knob(state.Knob("account_limits", _account_limits, ACCOUNT_LIMITS.update, lambda: dict(ACCOUNT_LIMITS)))


def account_limit(management_id: str | None) -> int:
    """The account quota of the organization managed by `management_id`."""
    return ACCOUNT_LIMITS.get(management_id or "", DEFAULT_ACCOUNT_LIMIT)


def management_of(account_id: str) -> str | None:
    """The management account of the organization `account_id` belongs to (itself when it manages one)."""
    own = organizations_backends[account_id]["aws"]
    if own.org is not None:
        return account_id
    membership = organizations_backends.master_accounts.get(account_id)
    return membership[0] if membership else None


def org_backend(account_id: str) -> OrganizationsBackend | None:
    """The Organizations backend holding the organization of `account_id`, if any."""
    mgmt = management_of(account_id)
    return organizations_backends[mgmt]["aws"] if mgmt else None


def containers(backend: OrganizationsBackend, node: Any) -> list[Any]:
    """The root and the OUs above an account (or OU) of `backend`'s organization, root first."""
    by_id: dict[str | None, Any] = {ou.id: ou for ou in backend.ou}  # moto keeps the root among the OUs; its parent_id is None
    chain, parent = [], by_id.get(node.parent_id)
    while parent is not None:
        chain.append(parent)
        parent = by_id.get(parent.parent_id)
    return chain[::-1]


def fake_account(account_id: str) -> FakeAccount | None:
    """moto's Organizations record of `account_id`, if it belongs to an organization."""
    backend = org_backend(account_id)
    if backend is None:
        return None
    return next((a for a in backend.accounts if a.id == account_id), None)


def record(account_id: str) -> AccountRecord:
    """The registry entry for `account_id`, made from Organizations' data for accounts created in the sandbox."""
    if account_id in REGISTRY:
        return REGISTRY[account_id]
    member = fake_account(account_id)
    entry = AccountRecord(account_id, member.name if member else account_id, member.email if member else f"{account_id}@example.com")
    if member is not None and member.joined_method == "CREATED":
        entry.created_at = member.create_time.replace(tzinfo=UTC)  # moto's times are naive UTC
        # "the information required of standalone accounts is not automatically collected" for created accounts
        entry.payment_method = entry.phone_verified = entry.eula_accepted = False
    org = org_backend(account_id)
    central = org is not None and "RootCredentialsManagement" in getattr(org.org, "root_features", set())
    if not central:  # with central root credentials management, new accounts get no root password
        entry.root.login_profile = entry.created_at
    mgmt = management_of(account_id)
    if member is not None and mgmt and mgmt in REGISTRY and REGISTRY[mgmt].contact_information:
        source = REGISTRY[mgmt].contact_information or {}
        entry.contact_information = {k: v for k, v in source.items() if k in _CLONED_CONTACT_FIELDS} or None
    REGISTRY[account_id] = entry
    return entry


def by_email(email: str) -> AccountRecord | None:
    """The registered account whose root email is `email` (case-insensitive)."""
    return next((r for r in REGISTRY.values() if r.email.lower() == email.lower()), None)


def set_name(account_id: str, name: str) -> None:
    """Rename an account everywhere it shows (registry and Organizations)."""
    record(account_id).name = name
    member = fake_account(account_id)
    if member is not None:
        member.name = name


def set_email(account_id: str, email: str) -> None:
    """Change an account's root email everywhere it shows (registry and Organizations)."""
    record(account_id).email = email
    member = fake_account(account_id)
    if member is not None:
        member.email = email


def snapshot_contact(account_id: str) -> dict[str, Any] | None:
    """A copy of the account's contact information."""
    return copy.deepcopy(record(account_id).contact_information)
