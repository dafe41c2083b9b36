"""Where moto's behaviour differs from AWS in ways the runbook can see, fix it (installed once, idempotent).

- CreateOrganization: moto names the management account "master" with email master@example.com; AWS keeps the
  account's own name and root email, which the sandbox's registry supplies.
- GetAccountSummary: moto hard-codes root MFA off and no root access keys; the registry holds each account's facts.
- Account Management (account_api), Organizations membership and handshakes (org_api, handshakes), and
  Organizations' account quota (quotas).
"""

from __future__ import annotations

from typing import Any

from moto.iam.models import AccountSummary, IAMBackend
from moto.organizations.models import OrganizationsBackend

from orgnb.sandbox import account_api, creation, iam_api, org_api, quotas, registry

_installed = False


def _create_organization(original: Any) -> Any:
    def create_organization(self: OrganizationsBackend, region: str, **kwargs: Any) -> dict[str, Any]:
        result = original(self, region, **kwargs)
        known = registry.REGISTRY.get(self.account_id)
        if known and self.org is not None:
            self.org.master_account_email = known.email
            for account in self.accounts:
                if account.id == self.account_id:
                    account.name, account.email = known.name, known.email
            result = self.org.describe()
        return result

    return create_organization


def _get_account_summary(original: Any) -> Any:
    def get_account_summary(self: IAMBackend) -> AccountSummary:
        summary = original(self)
        entry = registry.REGISTRY.get(self.account_id)
        if entry is not None:
            summary._account_mfa_enabled = int(bool(entry.root.mfa_devices))
            summary._account_access_keys_present = int(bool(entry.root.access_keys))
        return summary

    return get_account_summary


def install() -> None:
    """Apply every patch once."""
    global _installed
    if _installed:
        return
    OrganizationsBackend.create_organization = _create_organization(OrganizationsBackend.create_organization)  # type: ignore[method-assign]
    IAMBackend.get_account_summary = _get_account_summary(IAMBackend.get_account_summary)  # type: ignore[method-assign]
    account_api.install()
    org_api.install()
    iam_api.install()
    quotas.install()
    creation.install()
    _installed = True
