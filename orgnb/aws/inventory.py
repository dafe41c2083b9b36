"""Read-only inventory of the caller and its Organization: root, OU tree with paths (orgnb.aws.treewalk), accounts.

Everything a phase plans from is read once into an `Inventory`; a phase that reads more extends it with its own class.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

import pandas as pd
from botocore.exceptions import ClientError

from orgnb.aws.accountfacts import AccountFacts, read_account_facts
from orgnb.aws.pacing import ORGANIZATIONS_CALLS_PER_SECOND
from orgnb.aws.session import AwsContext
from orgnb.aws.treewalk import Account, OrganizationalUnit, walk_tree


@dataclass(frozen=True)
class CallerIdentity:
    """Who the credentials belong to."""

    account_id: str
    arn: str
    user_id: str

    @property
    def is_root(self) -> bool:
        """True when the caller is an account's root user."""
        return self.arn.endswith(":root")


@dataclass(frozen=True)
class Organization:
    """The Organization the caller belongs to."""

    id: str
    arn: str
    feature_set: str
    management_account_id: str
    management_account_email: str


@dataclass(frozen=True)
class Root:
    """The Organization's root (the top of the OU tree)."""

    id: str
    name: str
    arn: str
    policy_types: tuple[str, ...]


@dataclass(frozen=True)
class HandshakeRecord:
    """A handshake the organization sent (invitation, all-features request or approval)."""

    id: str
    action: str
    state: str
    target: str
    parent_id: str
    requested_at: datetime | None
    expires_at: datetime | None
    notes: str = ""  # what the sender wrote in the invitation (its NOTES resource)

    @property
    def pending(self) -> bool:
        """True while it waits for someone."""
        return self.state in ("REQUESTED", "OPEN")


@dataclass(frozen=True)
class CreateRequest:
    """A CreateAccount request and how it ended (or that it is still running)."""

    id: str
    account_name: str
    state: str
    account_id: str
    failure_reason: str
    requested_at: datetime | None


Extended = TypeVar("Extended", bound="Inventory")


@dataclass(frozen=True)
class Inventory:
    """Everything a phase reads before it plans, collected once."""

    caller: CallerIdentity
    organization: Organization | None
    root: Root | None = None
    ous: tuple[OrganizationalUnit, ...] = ()
    accounts: tuple[Account, ...] = ()
    trusted_services: frozenset[str] = field(default_factory=frozenset)
    caller_facts: AccountFacts | None = None
    handshakes: tuple[HandshakeRecord, ...] = ()
    create_requests: tuple[CreateRequest, ...] = ()

    def extended(self, kind: type[Extended], **reads: Any) -> Extended:
        """This inventory as `kind`, a phase's own subclass, with what that phase read beyond it."""
        return kind(**{f.name: getattr(self, f.name) for f in fields(Inventory)}, **reads)

    def all_features_request(self) -> HandshakeRecord | None:
        """The pending ENABLE_ALL_FEATURES request of the organization, if any."""
        return next((h for h in self.handshakes if h.action == "ENABLE_ALL_FEATURES" and not h.parent_id and h.pending), None)

    @property
    def is_management(self) -> bool:
        """True when the caller is the management account of its Organization."""
        return self.organization is not None and self.organization.management_account_id == self.caller.account_id

    def ou_by_path(self) -> dict[str, OrganizationalUnit]:
        """OUs keyed by path."""
        return {ou.path: ou for ou in self.ous}

    def members(self) -> list[Account]:
        """The organization's accounts other than the management account, by name."""
        mgmt = self.organization.management_account_id if self.organization else ""
        return sorted((a for a in self.accounts if a.id != mgmt), key=lambda a: (a.name, a.id))

    def account_by_email(self, email: str) -> Account | None:
        """The account whose root email matches `email` (case-insensitive)."""
        return next((a for a in self.accounts if a.email.lower() == email.lower()), None)

    def organization_frame(self) -> pd.DataFrame:
        """The Organization and its root as a one-row table (empty when there is none)."""
        if self.organization is None:
            return pd.DataFrame(columns=["organization", "feature_set", "management_account", "root", "trusted_services"])
        org = self.organization
        return pd.DataFrame(
            [
                {
                    "organization": org.id,
                    "feature_set": org.feature_set,
                    "management_account": org.management_account_id,
                    "root": self.root.id if self.root else "",
                    "trusted_services": ", ".join(sorted(self.trusted_services)),
                }
            ]
        )

    def ous_frame(self) -> pd.DataFrame:
        """The OU tree as a table sorted by path."""
        rows = [{"path": ou.path, "id": ou.id, "parent": ou.parent_id} for ou in sorted(self.ous, key=lambda o: o.path)]
        return pd.DataFrame(rows, columns=["path", "id", "parent"])

    def accounts_frame(self) -> pd.DataFrame:
        """The accounts as a table sorted by OU path and name."""
        rows = [
            {"id": a.id, "name": a.name, "email": a.email, "state": a.state, "ou_path": a.ou_path or "/", "joined": a.joined_method}
            for a in sorted(self.accounts, key=lambda a: (a.ou_path, a.name))
        ]
        return pd.DataFrame(rows, columns=["id", "name", "email", "state", "ou_path", "joined"])


def _pages(ctx: AwsContext, operation: str, key: str, page_size: int | None, **kwargs: Any) -> list[dict[str, Any]]:
    paginator = ctx.client("organizations").get_paginator(operation)
    config = {"PageSize": page_size} if page_size else {}
    return [item for page in paginator.paginate(**kwargs, PaginationConfig=config) for item in page[key]]


def caller_identity(ctx: AwsContext) -> CallerIdentity:
    """Who the context's credentials belong to (sts:GetCallerIdentity)."""
    ident = ctx.client("sts").get_caller_identity()
    return CallerIdentity(account_id=ident["Account"], arn=ident["Arn"], user_id=ident["UserId"])


def describe_organization(ctx: AwsContext) -> Organization | None:
    """The caller's Organization, or None when the account belongs to none."""
    try:
        org = ctx.client("organizations").describe_organization()["Organization"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "AWSOrganizationsNotInUseException":
            return None
        raise
    return Organization(
        id=org["Id"],
        arn=org["Arn"],
        feature_set=org["FeatureSet"],
        management_account_id=org["MasterAccountId"],
        management_account_email=org.get("MasterAccountEmail", ""),
    )


def read_root(ctx: AwsContext, page_size: int | None = None) -> Root:
    """The organization's root (ListRoots)."""
    raw = _pages(ctx, "list_roots", "Roots", page_size)[0]
    return Root(
        id=raw["Id"],
        name=raw["Name"],
        arn=raw["Arn"],
        policy_types=tuple(p["Type"] for p in raw.get("PolicyTypes", []) if p.get("Status") == "ENABLED"),
    )


def _handshake(raw: dict[str, Any]) -> HandshakeRecord:
    parties = [p["Id"] for p in raw.get("Parties", []) if p.get("Type") != "ORGANIZATION"]
    resources = {r.get("Type"): r.get("Value", "") for r in raw.get("Resources", [])}
    return HandshakeRecord(
        raw["Id"],
        raw["Action"],
        raw["State"],
        ", ".join(parties),
        resources.get("PARENT_HANDSHAKE", ""),
        raw.get("RequestedTimestamp"),
        raw.get("ExpirationTimestamp"),
        resources.get("NOTES", ""),
    )


def _create_request(raw: dict[str, Any]) -> CreateRequest:
    return CreateRequest(
        raw["Id"],
        raw.get("AccountName", ""),
        raw["State"],
        raw.get("AccountId", ""),
        raw.get("FailureReason", ""),
        raw.get("RequestedTimestamp"),
    )


def collect_inventory(ctx: AwsContext, page_size: int | None = None, calls_per_second: float = ORGANIZATIONS_CALLS_PER_SECOND) -> Inventory:
    """Read the caller, its own account's facts, its Organization and (from the management account) the tree, walked
    at `calls_per_second` at most."""
    caller = caller_identity(ctx)
    facts = read_account_facts(ctx, caller.account_id)
    org = describe_organization(ctx)
    if org is None or org.management_account_id != caller.account_id:
        return Inventory(caller=caller, organization=org, caller_facts=facts)
    root = read_root(ctx, page_size)
    ous, accounts = walk_tree(ctx, root.id, page_size, calls_per_second=calls_per_second)
    services = _pages(ctx, "list_aws_service_access_for_organization", "EnabledServicePrincipals", page_size)
    handshakes = _pages(ctx, "list_handshakes_for_organization", "Handshakes", page_size)
    requests = _pages(ctx, "list_create_account_status", "CreateAccountStatuses", page_size)
    return Inventory(
        caller=caller,
        organization=org,
        root=root,
        ous=ous,
        accounts=accounts,
        trusted_services=frozenset(s["ServicePrincipal"] for s in services),
        caller_facts=facts,
        handshakes=tuple(_handshake(h) for h in handshakes),
        create_requests=tuple(_create_request(r) for r in requests),
    )
