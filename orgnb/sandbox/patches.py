"""Where moto's behaviour differs from AWS in ways the runbook can see, fix it (installed once, idempotent).

- CreateOrganization: moto names the management account "master" with email master@example.com; AWS keeps the
  account's own name and root email. The sandbox's account registry supplies them.
"""

from __future__ import annotations

from typing import Any

from moto.organizations.models import OrganizationsBackend

from orgnb.sandbox.scenarios import SandboxAccount

# Accounts the running sandbox knows (id -> account); filled when a scenario is seeded.
REGISTRY: dict[str, SandboxAccount] = {}
_installed = False


def _create_organization(original: Any) -> Any:
    def create_organization(self: OrganizationsBackend, region: str, **kwargs: Any) -> dict[str, Any]:
        result = original(self, region, **kwargs)
        known = REGISTRY.get(self.account_id)
        if known and self.org is not None:
            self.org.master_account_email = known.email
            for account in self.accounts:
                if account.id == self.account_id:
                    account.name, account.email = known.name, known.email
            result = self.org.describe()
        return result

    return create_organization


def install() -> None:
    """Apply every patch once."""
    global _installed
    if _installed:
        return
    OrganizationsBackend.create_organization = _create_organization(OrganizationsBackend.create_organization)  # type: ignore[method-assign]
    _installed = True
