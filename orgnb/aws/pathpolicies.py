"""The SCPs and RCPs on a path in an organization: the root, each OU down, and the account.

Read through the management account: ListRoots (which policy types are enabled: only those apply, `Root.PolicyTypes`
in the Organizations API reference), ListParents and DescribeOrganizationalUnit (an account's path), or
ListOrganizationalUnitsForParent (an OU path's), then ListPoliciesForTarget with each type as Filter, and
DescribePolicy for each policy's content.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from enum import StrEnum

from orgnb.aws.inventory import read_root
from orgnb.aws.listing import first, listed
from orgnb.aws.orgrefs import load_policy
from orgnb.aws.session import AwsContext


class PolicyType(StrEnum):
    """The organization policies that limit what an account's principals and resources may do."""

    SCP = "SERVICE_CONTROL_POLICY"
    RCP = "RESOURCE_CONTROL_POLICY"

    @property
    def short(self) -> str:
        """SCP or RCP."""
        return self.name


_POLICY_TYPES = frozenset(t.value for t in PolicyType)


@dataclass(frozen=True)
class PathLevel:
    """One place on a path in an organization: `root`, `ou:<path>` (`ou:Workloads/Prod`), or `account`."""

    level: str
    target_id: str


@dataclass(frozen=True)
class PathPolicy:
    """One SCP or RCP attached at one level of a path in an organization."""

    level: str  # root, ou:<path>, account
    target_id: str
    policy_id: str
    name: str
    type: PolicyType
    content: str  # the policy document, JSON text
    aws_managed: bool

    def denial(self, action: str) -> str:
        """Whether a Deny statement names `action` (wildcards as IAM matches them): "always" when one has no
        condition, "conditionally" when each has one (AWS decides at the call), "" when none does."""
        statements = load_policy(self.content).get("Statement") or []
        found = ""
        for statement in [statements] if isinstance(statements, dict) else statements:
            if statement.get("Effect") != "Deny":
                continue
            named = ("Action" in statement and _matches(statement["Action"], action)) or (
                "NotAction" in statement and not _matches(statement["NotAction"], action)
            )
            if named and not statement.get("Condition"):
                return "always"
            found = found or ("conditionally" if named else "")
        return found


def _matches(patterns: str | list[str], action: str) -> bool:
    """IAM action matching: case-insensitive, `*` and `?` wildcards."""
    return any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in ([patterns] if isinstance(patterns, str) else patterns))


def account_path(ctx: AwsContext, account_id: str) -> tuple[PathLevel, ...]:
    """The root, each OU down to `account_id`, and the account (ListParents, DescribeOrganizationalUnit)."""
    org = ctx.client("organizations")
    upward = [first(org, "list_parents", "Parents", ChildId=account_id)]
    while upward[-1]["Type"] != "ROOT":
        upward.append(first(org, "list_parents", "Parents", ChildId=upward[-1]["Id"]))
    *ous, root = upward
    levels, path = [PathLevel("root", root["Id"])], ""
    for ou in reversed(ous):
        name = org.describe_organizational_unit(OrganizationalUnitId=ou["Id"])["OrganizationalUnit"]["Name"]
        path = f"{path}/{name}" if path else name
        levels.append(PathLevel(f"ou:{path}", ou["Id"]))
    return (*levels, PathLevel("account", account_id))


def ou_path_levels(ctx: AwsContext, root_id: str, ou_path: str | None) -> tuple[PathLevel, ...]:
    """The root and each OU of `ou_path` (`Workloads/Prod`) that exists: OUs not created yet are left out (a new OU
    starts with AWS's FullAWSAccess only)."""
    org = ctx.client("organizations")
    levels, parent, path = [PathLevel("root", root_id)], root_id, ""
    for name in [part for part in (ou_path or "").split("/") if part]:
        children = listed(org, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent)
        found = next((ou for ou in children if ou["Name"] == name), None)
        if found is None:
            break
        parent, path = found["Id"], f"{path}/{name}" if path else name
        levels.append(PathLevel(f"ou:{path}", parent))
    return tuple(levels)


def enabled_types(policy_types: tuple[str, ...]) -> tuple[PolicyType, ...]:
    """The SCP and RCP types among a root's enabled policy types."""
    return tuple(PolicyType(t) for t in policy_types if t in _POLICY_TYPES)


def policies_on(ctx: AwsContext, levels: tuple[PathLevel, ...], types: tuple[PolicyType, ...]) -> tuple[PathPolicy, ...]:
    """The policies of `types` attached at each of `levels`, root first, each policy's content read once."""
    org = ctx.client("organizations")
    contents: dict[str, str] = {}
    found = []
    for level in levels:
        for ptype in types:
            for summary in listed(org, "list_policies_for_target", "Policies", TargetId=level.target_id, Filter=ptype.value):
                if summary["Id"] not in contents:
                    contents[summary["Id"]] = org.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]
                content, managed = contents[summary["Id"]], bool(summary.get("AwsManaged"))
                found.append(PathPolicy(level.level, level.target_id, summary["Id"], summary["Name"], ptype, content, managed))
    return tuple(found)


def path_policies(ctx: AwsContext, account_id: str | None = None, ou_path: str | None = None) -> tuple[PathPolicy, ...]:
    """Through a management account's context, the SCPs and RCPs that apply on `account_id`'s path (root, each OU,
    the account), or, for an account not there yet, on `ou_path`'s (the root and the OUs that exist; None: the root)."""
    root = read_root(ctx)
    levels = account_path(ctx, account_id) if account_id else ou_path_levels(ctx, root.id, ou_path)
    return policies_on(ctx, levels, enabled_types(root.policy_types))
