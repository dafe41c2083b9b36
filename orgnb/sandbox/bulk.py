"""Bulk seeding for benchmarks: OUs and accounts written straight into an organization's records.

Creating thousands of accounts through CreateAccount would take longer than the benchmark itself; this route
writes the records moto's own CreateAccount writes (the account, the default policies attached, its membership),
without the per-account scans of the emulated request queue. Bulk accounts get no IAM (no member role): nothing
signs in to them, and moto finds the account of every request's key by scanning every account's IAM, which would
make each call of the benchmark slower with the size of the estate, as AWS is not. The account quota still
applies: raise it first (`account_limits` in the settings route), as an organization of that size must ask AWS to.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from unittest import mock

import moto.iam
from moto.organizations.models import FakeAccount, organizations_backends

from orgnb.sandbox import policyrules, registry

_MAX_OUS = 1000


class _NoIam(dict[str, Any]):
    """Stands in for moto's IAM backends while bulk accounts are made: the member role moto adds goes nowhere."""

    def __missing__(self, account_id: str) -> dict[str, Any]:
        return {"global": SimpleNamespace(create_role=lambda **_: None)}


def _shape(backend: Any) -> dict[str, dict[str, int]]:
    """Every container (root and OUs) with how many child OUs and accounts it holds, read from the records."""
    root_id = backend.org.root_id
    containers = {ou.id: {"ous": 0, "accounts": 0} for ou in backend.ou}  # moto keeps the root among the OUs
    for ou in backend.ou:
        if ou.id != root_id:
            containers[ou.parent_id]["ous"] += 1
    for account in backend.accounts:
        containers[account.parent_id]["accounts"] += 1
    return containers


def seed_tree(management_id: str, ous: int, accounts: int, prefix: str = "Bulk") -> dict[str, Any]:
    """Add `ous` OUs under the root of `management_id`'s organization and spread `accounts` new accounts over them
    (round robin; under the root when `ous` is 0). Returns the new OU ids and the tree's shape, container by container."""
    backend = registry.org_backend(management_id)
    if backend is None or backend.org is None or registry.management_of(management_id) != management_id:
        raise ValueError(f"{management_id} manages no organization: create one first")
    if not 0 <= ous <= _MAX_OUS or accounts < 0:
        raise ValueError(f"ous must be 0-{_MAX_OUS} and accounts 0 or more")
    limit = registry.account_limit(management_id)
    if len(backend.accounts) + accounts > limit:
        raise ValueError(f"{accounts} more accounts would pass the quota of {limit}: raise account_limits first")
    root_id = backend.org.root_id
    new_ous = [
        backend.create_organizational_unit(ParentId=root_id, Name=f"{prefix} {i:04d}")["OrganizationalUnit"]["Id"] for i in range(ous)
    ]
    enabled = policyrules.enabled_types(backend)  # AWS's defaults, for the types enabled (see policyrules)
    policies = [backend.get_policy_by_id(policy_id) for kind, policy_id in policyrules.DEFAULT_POLICIES.items() if kind in enabled]
    with mock.patch.object(moto.iam, "iam_backends", _NoIam()):
        made = [
            FakeAccount(backend.org, AccountName=f"{prefix} account {i:05d}", Email=f"{prefix.lower()}+{i:05d}@example.com")
            for i in range(accounts)
        ]
    for i, account in enumerate(made):
        account.parent_id = new_ous[i % len(new_ous)] if new_ous else root_id
        backend.accounts.append(account)
        for policy in policies:
            account.attached_policies.append(policy)
            policy.attachments.append(account)
        organizations_backends.master_accounts[account.id] = (management_id, backend.partition)
    return {"ous": new_ous, "accounts": accounts, "shape": _shape(backend)}
