"""Phase 07's reads: the organization's SCPs, RCPs and AI opt-out policies with their targets, and its delegated
administrators (ListPolicies, DescribePolicy, ListTargetsForPolicy, ListDelegatedAdministrators,
ListDelegatedServicesForAccount)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from orgnb.aws.inventory import Inventory
from orgnb.aws.listing import listed
from orgnb.aws.session import AwsContext
from orgnb.input.guardrails import KIT_PREFIX, MANAGED_TAG, PolicyKind
from orgnb.input.parameters import Parameters


@dataclass(frozen=True)
class LivePolicy:
    """A policy the organization has: its id, name, type, document, and the targets it is attached to (ids)."""

    id: str
    name: str
    kind: PolicyKind
    aws_managed: bool
    document: Any
    targets: frozenset[str]
    description: str = ""
    managed: bool = False  # created by phase 07 (its MANAGED_TAG, or an orgnb- name)


@dataclass(frozen=True, kw_only=True)
class GuardrailsInventory(Inventory):
    """The inventory plus the organization's policies of the types phase 07 manages, and its delegated administrators."""

    policies: tuple[LivePolicy, ...]
    delegated: frozenset[tuple[str, str]]  # (service principal, account id)
    # moved-in members whose OrganizationAccountAccessRole the management account cannot assume yet: phase 06 still
    # creates or re-points it through the account's own profile
    role_unreachable: frozenset[str] = frozenset()

    def policy(self, name: str) -> LivePolicy | None:
        """The organization's policy called `name`, if any."""
        return next((p for p in self.policies if p.name == name), None)

    def target_id(self, target: str) -> str | None:
        """The id of a target as the parameters name it (root, an OU path, an account id); None when it does not exist."""
        if target == "root":
            return self.root.id if self.root else None
        if target.isdigit():
            return target if any(a.id == target for a in self.accounts) else None
        ou = self.ou_by_path().get(target)
        return ou.id if ou else None

    def target_name(self, target_id: str) -> str:
        """How the parameters would name a target id."""
        if self.root is not None and target_id == self.root.id:
            return "root"
        return next((o.path for o in self.ous if o.id == target_id), target_id)


def _tagged(client: Any, policy_id: str) -> bool:
    """True when the policy carries phase 07's MANAGED_TAG (ListTagsForResource)."""
    return any(t["Key"] == MANAGED_TAG for t in listed(client, "list_tags_for_resource", "Tags", ResourceId=policy_id))


def _document(client: Any, policy_id: str) -> Any:
    content = client.describe_policy(PolicyId=policy_id)["Policy"]["Content"]
    try:
        return json.loads(content)
    except ValueError:
        return content


def read_guardrails(ctx: AwsContext, params: Parameters, inventory: Inventory) -> GuardrailsInventory:
    """The inventory plus every policy of the managed types (with content and targets), the delegated administrators,
    and the moved-in members the management account cannot reach through their OrganizationAccountAccessRole yet."""
    orgs = ctx.client("organizations")
    policies = []
    for kind in PolicyKind:
        try:
            summaries = listed(orgs, "list_policies", "Policies", Filter=kind.value)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("PolicyTypeNotEnabledException", "AWSOrganizationsNotInUseException"):
                continue
            raise
        for s in summaries:
            targets = listed(orgs, "list_targets_for_policy", "Targets", PolicyId=s["Id"])
            doc = _document(orgs, s["Id"])
            found = frozenset(t["TargetId"] for t in targets)
            managed = not s.get("AwsManaged") and (s["Name"].startswith(KIT_PREFIX) or _tagged(orgs, s["Id"]))
            policies.append(LivePolicy(s["Id"], s["Name"], kind, bool(s.get("AwsManaged")), doc, found, s.get("Description", ""), managed))
    delegated = set()
    if inventory.organization is not None and inventory.organization.feature_set == "ALL":
        for admin in listed(orgs, "list_delegated_administrators", "DelegatedAdministrators"):
            for service in listed(orgs, "list_delegated_services_for_account", "DelegatedServices", AccountId=admin["Id"]):
                delegated.add((service["ServicePrincipal"], admin["Id"]))
    active = {a.id for a in inventory.members() if a.state == "ACTIVE"}
    unreachable = frozenset(
        s.account_id for _, s in params.existing_accounts() if s.account_id in active and not _reachable(ctx, s.account_id)
    )
    return inventory.extended(GuardrailsInventory, policies=tuple(policies), delegated=frozenset(delegated), role_unreachable=unreachable)


def _reachable(ctx: AwsContext, account_id: str) -> bool:
    """True when the management account can assume the member's OrganizationAccountAccessRole (sts:AssumeRole)."""
    try:
        ctx.inside(account_id)
    except ClientError:
        return False
    return True
