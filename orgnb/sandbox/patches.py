"""Where moto's behaviour differs from AWS in ways the runbook can see, fix it (installed once, idempotent).

- CreateOrganization: moto names the management account "master" with email master@example.com; AWS keeps the
  account's own name and root email, which the sandbox's registry supplies.
- GetAccountSummary: moto hard-codes root MFA off and no root access keys; the registry holds each account's facts.
- AWS managed policies: moto loads all of them into every account (slow) or none (its default); AWS always has
  them. The sandbox loads the few the runbook attaches (AdministratorAccess for OrganizationAccountAccessRole...).
- Account Management (account_api), Organizations membership and handshakes (org_api, handshakes, membership),
  CreateAccount and CloseAccount (creation, closure), Organizations' account quota (quotas), and a stack set's
  AutoDeployment (stacksets).
- Organization rules: what needs all features, delegated administrators, MoveAccount's parents (orgrules);
  AttachPolicy's refusals and the EC2 declarative policy type (policyrules).
- Authorization: SCPs refuse what they deny (scp, checked by the server through authz) and refuse to attach what
  the sandbox cannot evaluate; AssumeRole honours the role's trust policy (trust).
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AccountSummary, AWSManagedPolicy, IAMBackend
from moto.organizations.models import OrganizationsBackend
from moto.settings import load_iam_aws_managed_policies

from orgnb.sandbox import (
    account_api,
    closure,
    creation,
    iam_api,
    org_api,
    orgrules,
    policyrules,
    quotas,
    registry,
    scp,
    stacksets,
    trust,
)

_installed = False


def _create_organization(original: Any) -> Any:
    def create_organization(self: OrganizationsBackend, region: str, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = original(self, region, **kwargs)
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
        summary: AccountSummary = original(self)
        entry = registry.REGISTRY.get(self.account_id)
        if entry is not None:
            summary._account_mfa_enabled = int(bool(entry.root.mfa_devices))
            summary._account_access_keys_present = int(bool(entry.root.access_keys))
        return summary

    return get_account_summary


ESSENTIAL_MANAGED_POLICIES = ("AdministratorAccess", "ReadOnlyAccess", "SecurityAudit", "ViewOnlyAccess")
_ESSENTIAL_DATA: dict[str, Any] = {}


def _init_aws_policies(original: Any) -> Any:
    def init_aws_policies(self: IAMBackend) -> list[Any]:
        if load_iam_aws_managed_policies():
            return list(original(self))
        if not _ESSENTIAL_DATA:
            everything = json.loads(aws_managed_policies_data)
            _ESSENTIAL_DATA.update({name: everything[name] for name in ESSENTIAL_MANAGED_POLICIES if name in everything})
        return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data) for name, data in _ESSENTIAL_DATA.items()]

    return init_aws_policies


def install() -> None:
    """Apply every patch once."""
    global _installed
    if _installed:
        return
    OrganizationsBackend.create_organization = _create_organization(OrganizationsBackend.create_organization)  # type: ignore[method-assign]
    IAMBackend.get_account_summary = _get_account_summary(IAMBackend.get_account_summary)  # type: ignore[method-assign]
    IAMBackend._init_aws_policies = _init_aws_policies(IAMBackend._init_aws_policies)  # type: ignore[method-assign]  # noqa: SLF001
    account_api.install()
    policyrules.install()  # before org_api, whose caller checks then come first
    org_api.install()
    iam_api.install()
    quotas.install()
    creation.install()
    closure.install()
    stacksets.install()
    scp.install()
    trust.install()
    orgrules.install()
    _installed = True
