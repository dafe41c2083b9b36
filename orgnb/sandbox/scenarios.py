"""Rehearsal scenarios: the accounts a sandbox starts with, each reachable through its own profile."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxAccount:
    """An account that exists when the sandbox starts, and the profile that acts inside it."""

    profile: str
    account_id: str
    name: str
    email: str


@dataclass(frozen=True)
class Scenario:
    """A named starting state for the emulated AWS estate."""

    name: str
    description: str
    accounts: tuple[SandboxAccount, ...]
    region: str = "us-east-1"

    def account(self, profile: str) -> SandboxAccount:
        """The account behind `profile`."""
        return next(a for a in self.accounts if a.profile == profile)


# The account id matches parameters/example.yaml; 111122223333 is AWS's documentation example id.
GREENFIELD = Scenario(
    name="greenfield",
    description="one fresh account (profile management), no Organization",
    accounts=(SandboxAccount("management", "111122223333", "Example Corp", "aws+management-account@example.com"),),
)

SCENARIOS: dict[str, Scenario] = {s.name: s for s in (GREENFIELD,)}
