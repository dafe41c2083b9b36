"""Rehearsal scenarios: the accounts a sandbox starts with, each reachable through its own profile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SandboxAccount:
    """An account that exists when the sandbox starts, the profile that acts inside it, and its root facts."""

    profile: str
    account_id: str
    name: str
    email: str
    root_mfa: bool = True
    root_access_keys: bool = False
    root_password: bool = True
    root_certificate: bool = False
    payment_method: bool = True
    contact_information: dict[str, str] | None = None  # what its owner gave at sign-up (None: created by CreateAccount)
    created_days_ago: int = 0


@dataclass(frozen=True)
class Scenario:
    """A named starting state for the emulated AWS estate; `seed` builds what goes beyond bare accounts."""

    name: str
    description: str
    accounts: tuple[SandboxAccount, ...]
    region: str = "us-east-1"
    seed: Callable[[Any], None] | None = None
    # accounts created inside an organization during seeding, by profile (members of an old organization)
    members: dict[str, str] = field(default_factory=dict)

    def account(self, profile: str) -> SandboxAccount:
        """The account behind `profile`."""
        return next(a for a in self.accounts if a.profile == profile)


_LEGACY_ADDRESS = {
    "FullName": "Legacy Ops",
    "CompanyName": "Example Corp",
    "AddressLine1": "1 Example Street",
    "City": "Seattle",
    "StateOrRegion": "WA",
    "PostalCode": "98101",
    "CountryCode": "US",
    "PhoneNumber": "+1 206 555 0100",
}

# Whoever signed an account up gave a contact (the console asks for one); the management account's is the person
# who opened it, which phase 02 replaces with the organization's planned primary contact.
_FOUNDER = {
    "FullName": "Dana Whitfield",
    "CompanyName": "Example Corp",
    "AddressLine1": "1 Example Street",
    "AddressLine2": "Floor 4",
    "City": "Seattle",
    "StateOrRegion": "WA",
    "PostalCode": "98101",
    "CountryCode": "US",
    "PhoneNumber": "+1 206 555 0147",
}
_GADGET_DEVELOPER = {
    "FullName": "Sam Okafor",
    "CompanyName": "Example Corp",
    "AddressLine1": "200 Harbor Way",
    "City": "Tacoma",
    "StateOrRegion": "WA",
    "PostalCode": "98402",
    "CountryCode": "US",
    "PhoneNumber": "+1 253 555 0119",
}

# The management account id matches parameters/example.yaml; 111122223333 is AWS's documentation example id.
MANAGEMENT = SandboxAccount(
    "management", "111122223333", "Example Corp", "aws+management-account@example.com", contact_information=_FOUNDER, created_days_ago=3
)

GREENFIELD = Scenario(
    name="greenfield",
    description="one fresh account (profile management), no Organization",
    accounts=(MANAGEMENT,),
)


def _seed_brownfield(builder: Any) -> None:
    from orgnb.sandbox.brownfield import seed

    seed(builder)


BROWNFIELD = Scenario(
    name="brownfield",
    description=(
        "a fresh management account; a standalone account; an old organization whose management account runs "
        "production, with members old-member-a (role trusting the old org) and old-member-b (no payment method)"
    ),
    accounts=(
        MANAGEMENT,
        SandboxAccount(
            "standalone",
            "222233334444",
            "Gadget sandbox",
            "gadget-dev@example.com",
            contact_information=_GADGET_DEVELOPER,
            created_days_ago=400,
        ),
        SandboxAccount(
            "old-management",
            "333344445555",
            "Example Legacy",
            "legacy-aws@example.com",
            root_mfa=False,
            contact_information=_LEGACY_ADDRESS,
            created_days_ago=6 * 365,
        ),
        SandboxAccount(
            "old-member-a",
            "444455556666",
            "Legacy prod",
            "legacy-prod@example.com",
            root_access_keys=True,
            root_certificate=True,
            created_days_ago=3 * 365,
        ),
        SandboxAccount(
            "old-member-b", "555566667777", "Legacy data", "legacy-data@example.com", payment_method=False, created_days_ago=3 * 365
        ),
    ),
    seed=_seed_brownfield,
    members={"old-member-a": "old-management", "old-member-b": "old-management"},
)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (GREENFIELD, BROWNFIELD)}
