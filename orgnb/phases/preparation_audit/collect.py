"""Collect, once, everything the preparation audit judges: the management candidate, and each account to move.

Each account to move is read from inside, through its own profile (the audit never assumes roles across
organizations). Reads that the credentials may not make are recorded as unreadable, never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from orgnb.aws.capacity import AccountQuota, account_quota
from orgnb.aws.inside import NotInside, Why, look_inside
from orgnb.aws.inventory import Inventory, Organization, collect_inventory
from orgnb.aws.listing import first
from orgnb.aws.orgrefs import load_policy, org_references
from orgnb.aws.session import AwsContext
from orgnb.aws.treewalk import Account, OrganizationalUnit, walk_tree
from orgnb.display import OuTree
from orgnb.input.parameters import ExistingAccount, Parameters
from orgnb.phases.memberrole import trusted_principals

CONTROL_TOWER_PRINCIPAL = "controltower.amazonaws.com"
GROUP_KIND = {"invites": "standalone", "migrations": "member", "old_managements": "management"}


def _attempt(fn: Callable[[], Any], unreadable: list[str], label: str) -> Any:
    try:
        return fn()
    except (ClientError, BotoCoreError) as exc:
        code = exc.response["Error"]["Code"] if isinstance(exc, ClientError) else type(exc).__name__
        unreadable.append(f"{label} ({code})")
        return None


@dataclass(frozen=True)
class Census:
    """Counts of production-looking resources in one account and region (a few cheap list calls)."""

    account_id: str
    counts: dict[str, int]
    unreadable: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """All resources counted."""
        return sum(self.counts.values())


def _count(ctx: AwsContext, service: str, operation: str, key: str, **kwargs: Any) -> int:
    paginator = ctx.client(service).get_paginator(operation)
    return sum(len(page[key]) for page in paginator.paginate(**kwargs))


def resource_census(ctx: AwsContext, account_id: str) -> Census:
    """Instances, functions, databases, tables, buckets and stacks in the context's region."""
    unreadable: list[str] = []
    live_stacks = ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "ROLLBACK_COMPLETE", "IMPORT_COMPLETE"]
    readers: dict[str, Callable[[], int]] = {
        "instances": lambda: sum(
            len(r["Instances"]) for page in ctx.client("ec2").get_paginator("describe_instances").paginate() for r in page["Reservations"]
        ),
        "functions": lambda: _count(ctx, "lambda", "list_functions", "Functions"),
        "databases": lambda: _count(ctx, "rds", "describe_db_instances", "DBInstances"),
        "tables": lambda: _count(ctx, "dynamodb", "list_tables", "TableNames"),
        "buckets": lambda: len(ctx.client("s3").list_buckets()["Buckets"]),
        "stacks": lambda: _count(ctx, "cloudformation", "list_stacks", "StackSummaries", StackStatusFilter=live_stacks),
    }
    counts = {name: _attempt(read, unreadable, name) for name, read in readers.items()}
    return Census(account_id, {k: v for k, v in counts.items() if v is not None}, tuple(unreadable))


@dataclass(frozen=True)
class OrgReference:
    """A policy that names an organization, found inside an account."""

    account_id: str
    kind: str
    resource: str
    paths: tuple[str, ...]


def read_roles(ctx: AwsContext, unreadable: list[str]) -> list[dict[str, Any]]:
    """The account's IAM roles, with their trust policies ([] when they cannot be read)."""
    roles = _attempt(
        lambda: [r for p in ctx.client("iam").get_paginator("list_roles").paginate() for r in p["Roles"]], unreadable, "IAM roles"
    )
    return roles or []


def find_org_references(
    ctx: AwsContext, account_id: str, org_ids: set[str], unreadable: list[str], roles: list[dict[str, Any]]
) -> list[OrgReference]:
    """IAM role trust policies (of `roles`), S3 bucket policies and KMS key policies in the account that name `org_ids`."""
    found: list[OrgReference] = []
    for role in roles:
        paths = org_references(role["AssumeRolePolicyDocument"], org_ids)
        if paths:
            found.append(OrgReference(account_id, "iam-role-trust", role["Arn"], tuple(paths)))
    s3 = ctx.client("s3")
    for bucket in (_attempt(s3.list_buckets, unreadable, "S3 buckets") or {}).get("Buckets", []):
        try:
            policy = s3.get_bucket_policy(Bucket=bucket["Name"])["Policy"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchBucketPolicy":
                unreadable.append(f"bucket policy of {bucket['Name']} ({exc.response['Error']['Code']})")
            continue
        paths = org_references(policy, org_ids)
        if paths:
            found.append(OrgReference(account_id, "s3-bucket-policy", f"arn:aws:s3:::{bucket['Name']}", tuple(paths)))
    kms = ctx.client("kms")
    keys = _attempt(lambda: [k for p in kms.get_paginator("list_keys").paginate() for k in p["Keys"]], unreadable, "KMS keys") or []
    for key in keys:
        answer = _attempt(partial(kms.get_key_policy, KeyId=key["KeyId"], PolicyName="default"), unreadable, "KMS key policy")
        policy = answer["Policy"] if answer else None
        paths = org_references(load_policy(policy), org_ids) if policy else []
        if paths:
            found.append(OrgReference(account_id, "kms-key-policy", key["KeyArn"], tuple(paths)))
    return found


@dataclass(frozen=True)
class OrgFeatures:
    """What an organization uses beyond consolidated billing, read from its management account."""

    org_id: str
    feature_set: str
    service_principals: tuple[str, ...]
    policy_types: tuple[str, ...]
    policies: tuple[tuple[str, str, str, tuple[str, ...]], ...]  # (id, name, type, targets)
    delegated_admins: tuple[tuple[str, tuple[str, ...]], ...]  # (account id, service principals)
    ous: tuple[OrganizationalUnit, ...] = ()
    accounts: tuple[Account, ...] = ()


def _policies(org: Any, policy_types: tuple[str, ...]) -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    out = []
    for ptype in policy_types:
        for page in org.get_paginator("list_policies").paginate(Filter=ptype):
            for pol in page["Policies"]:
                if pol.get("AwsManaged"):
                    continue
                targets = [
                    t["TargetId"] for p in org.get_paginator("list_targets_for_policy").paginate(PolicyId=pol["Id"]) for t in p["Targets"]
                ]
                out.append((pol["Id"], pol["Name"], ptype, tuple(targets)))
    return tuple(out)


def read_org_features(ctx: AwsContext, organization: Organization, calls_per_second: float) -> OrgFeatures:
    """Service access, policy types and policies, delegated administrators and the tree of an organization (walked at
    `calls_per_second` at most)."""
    org = ctx.client("organizations")
    root = first(org, "list_roots", "Roots")
    policy_types = tuple(p["Type"] for p in root.get("PolicyTypes", []) if p.get("Status") == "ENABLED")
    principals = tuple(
        s["ServicePrincipal"]
        for p in org.get_paginator("list_aws_service_access_for_organization").paginate()
        for s in p["EnabledServicePrincipals"]
    )
    admins = []
    for page in org.get_paginator("list_delegated_administrators").paginate():
        for admin in page["DelegatedAdministrators"]:
            services = [
                s["ServicePrincipal"]
                for p in org.get_paginator("list_delegated_services_for_account").paginate(AccountId=admin["Id"])
                for s in p["DelegatedServices"]
            ]
            admins.append((admin["Id"], tuple(services)))
    ous, accounts = walk_tree(ctx, root["Id"], calls_per_second=calls_per_second)
    return OrgFeatures(
        organization.id,
        organization.feature_set,
        tuple(sorted(principals)),
        policy_types,
        _policies(org, policy_types),
        tuple(admins),
        ous,
        accounts,
    )


@dataclass(frozen=True)
class MovingAccount:
    """An account the parameters bring in, as seen from inside it (when its profile works)."""

    field: str
    group: str
    account_id: str
    profile: str | None
    seen_as: str | None = None  # the account the profile actually acts in
    organization: Organization | None = None
    features: OrgFeatures | None = None
    census: Census | None = None
    references: tuple[OrgReference, ...] = ()
    role_trusts: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (role name, the principals its trust policy lets in)
    unreadable: tuple[str, ...] = ()
    error: str = ""

    @property
    def kind(self) -> str:
        """standalone, member, management, or unknown (not readable)."""
        if self.seen_as is None or self.error:
            return "unknown"
        if self.organization is None:
            return "standalone"
        return "management" if self.organization.management_account_id == self.account_id else "member"


def inspect_moving_account(base: AwsContext, group: str, field: str, existing: ExistingAccount, calls_per_second: float) -> MovingAccount:
    """Read one account to move from inside, through its own profile (an organization it manages walked at
    `calls_per_second` at most)."""
    common: dict[str, Any] = {"field": field, "group": group, "account_id": existing.account_id, "profile": existing.profile}
    try:
        inside = look_inside(base, existing.account_id, existing.profile)
    except NotInside as exc:
        words = {Why.NO_PROFILE: "no profile given: the audit cannot look inside", Why.UNREADABLE: f"cannot read the account: {exc.cause}"}
        return MovingAccount(**common, seen_as=exc.seen_as, error=words.get(exc.why, exc.cause))
    ctx, seen_as, org = inside.ctx, inside.caller.account_id, inside.organization
    unreadable: list[str] = []
    is_mgmt = org is not None and org.management_account_id == seen_as
    features = (
        _attempt(lambda: read_org_features(ctx, org, calls_per_second), unreadable, "organization features")
        if org is not None and is_mgmt
        else None
    )
    census = resource_census(ctx, seen_as) if group == "old_managements" or is_mgmt else None
    roles = read_roles(ctx, unreadable)
    references = find_org_references(ctx, seen_as, {org.id}, unreadable, roles) if org else []
    trusts = tuple((r["RoleName"], trusted_principals(r["AssumeRolePolicyDocument"])) for r in roles)
    return MovingAccount(
        **common,
        seen_as=seen_as,
        organization=org,
        features=features,
        census=census,
        references=tuple(references),
        role_trusts=trusts,
        unreadable=tuple(unreadable),
    )


@dataclass(frozen=True)
class AuditInventory:
    """Everything the checks read, collected once."""

    params: Parameters
    inventory: Inventory
    census: Census
    account_quota: AccountQuota
    control_tower_signals: tuple[str, ...]
    moving: tuple[MovingAccount, ...] = field(default_factory=tuple)
    control_tower_unreadable: tuple[str, ...] = ()

    def moving_frame(self) -> pd.DataFrame:
        """The accounts to move: declared group, kind seen from inside, organization, resources."""
        rows = [
            {
                "field": m.field,
                "account": m.account_id,
                "declared": GROUP_KIND[m.group],
                "seen": m.kind,
                "organization": m.organization.id if m.organization else "",
                "members": len(m.features.accounts) - 1 if m.features else "",
                "resources": m.census.total if m.census else "",
                "org_references": len(m.references),
                "note": m.error,
            }
            for m in self.moving
        ]
        return pd.DataFrame(
            rows, columns=["field", "account", "declared", "seen", "organization", "members", "resources", "org_references", "note"]
        )

    def census_frame(self) -> pd.DataFrame:
        """Resource counts of the management candidate and of old management accounts."""
        censuses = [("management candidate", self.census)] + [(m.field, m.census) for m in self.moving if m.census]
        rows = [{"account": c.account_id, "role": role, **c.counts, "total": c.total} for role, c in censuses]
        return pd.DataFrame(rows)

    def accounts_frame(self) -> pd.DataFrame:
        """Every account the audit saw: the candidate's organization and the old organizations' members."""
        rows = [
            {"organization": "candidate", "id": a.id, "name": a.name, "email": a.email, "ou_path": a.ou_path or "/"}
            for a in self.inventory.accounts
        ]
        for m in self.moving:
            if m.features:
                rows += [
                    {"organization": m.features.org_id, "id": a.id, "name": a.name, "email": a.email, "ou_path": a.ou_path or "/"}
                    for a in m.features.accounts
                ]
        return pd.DataFrame(rows, columns=["organization", "id", "name", "email", "ou_path"])

    def trees(self) -> list[OuTree]:
        """The OU tree of the candidate's organization (if any) and of each old organization."""
        out = []
        if self.inventory.is_management and self.inventory.organization:
            out.append(OuTree(f"{self.inventory.organization.id} (candidate)", self.inventory.ous, self.inventory.accounts))
        out += [
            OuTree(f"{m.features.org_id} (managed by {m.account_id})", m.features.ous, m.features.accounts)
            for m in self.moving
            if m.features
        ]
        return out

    def email_plan_frame(self) -> pd.DataFrame:
        """Every planned root email, and the account that already uses it (if any)."""
        owners = {a.email.lower(): a.id for a in self.inventory.accounts}
        rows = [{"field": f, "email": e, "length": len(e), "in_use_by": owners.get(e.lower(), "")} for f, e in self.params.planned_emails()]
        return pd.DataFrame(rows, columns=["field", "email", "length", "in_use_by"])

    def references_frame(self) -> pd.DataFrame:
        """Policies that name an old organization (phase 05 rewrites them)."""
        rows = [
            {"account": r.account_id, "kind": r.kind, "resource": r.resource, "where": ", ".join(r.paths)}
            for m in self.moving
            for r in m.references
        ]
        return pd.DataFrame(rows, columns=["account", "kind", "resource", "where"])


def control_tower_signals(ctx: AwsContext, inventory: Inventory) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Evidence that Control Tower manages or has managed the candidate's organization, and what could not be read."""
    signals: list[str] = []
    unreadable: list[str] = []
    if CONTROL_TOWER_PRINCIPAL in inventory.trusted_services:
        signals.append(f"trusted access for {CONTROL_TOWER_PRINCIPAL}")
    iam = ctx.client("iam")
    roles = _attempt(
        lambda: [r["RoleName"] for p in iam.get_paginator("list_roles").paginate() for r in p["Roles"]], unreadable, "IAM roles"
    )
    signals += [f"role {name}" for name in roles or [] if name.startswith("AWSControlTower")]
    return tuple(signals), tuple(unreadable)


def collect_audit(ctx: AwsContext, params: Parameters) -> AuditInventory:
    """Read the management candidate and every account to move (read-only)."""
    pace = params.organization.organizations_calls_per_second
    inventory = collect_inventory(ctx, calls_per_second=pace)
    quota = account_quota(ctx)
    moving = tuple(
        inspect_moving_account(ctx, field.split("[")[0], field, existing, pace) for field, existing in params.existing_accounts()
    )
    signals, unreadable = control_tower_signals(ctx, inventory)
    census = resource_census(ctx, inventory.caller.account_id)
    return AuditInventory(params, inventory, census, quota, signals, moving, unreadable)
