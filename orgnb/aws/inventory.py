"""Read-only inventory of the caller and its Organization: root, OU tree with paths, accounts.

The tree is walked from the root with ListOrganizationalUnitsForParent and ListAccountsForParent, following
every NextToken, so each account's OU path is known without a second pass. That is the fewest calls the API
allows: one page per container and 20 children. The walk runs them concurrently (WALK_WORKERS at a time, with
botocore's adaptive retry, whose client-side rate limiter slows every thread down together if AWS throttles):
each page, once answered, sends the next page of its container and the first pages of the OUs it lists.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

import pandas as pd
from botocore.exceptions import ClientError

from orgnb.aws.accountfacts import AccountFacts, read_account_facts
from orgnb.aws.session import AwsContext


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
class OrganizationalUnit:
    """An OU with its path from the root (`Workloads/Prod`)."""

    id: str
    name: str
    arn: str
    parent_id: str
    path: str


@dataclass(frozen=True)
class Account:
    """A member or management account, with the OU path it sits in ('' for the root)."""

    id: str
    arn: str
    name: str
    email: str
    state: str
    joined_method: str
    joined_at: datetime | None
    parent_id: str
    ou_path: str


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


def _account(raw: dict[str, Any], parent_id: str, path: str) -> Account:
    return Account(
        id=raw["Id"],
        arn=raw["Arn"],
        name=raw["Name"],
        email=raw["Email"],
        state=raw.get("State") or raw.get("Status", ""),
        joined_method=raw.get("JoinedMethod", ""),
        joined_at=raw.get("JoinedTimestamp"),
        parent_id=parent_id,
        ou_path=path,
    )


# Calls in flight during the tree walk. botocore's connection pool holds 10 per client; Organizations throttles an
# account's request rate (TooManyRequestsException), and a few calls at a time already hide most of the latency.
WALK_WORKERS = 8
_ACCOUNTS, _OUS = "list_accounts_for_parent", "list_organizational_units_for_parent"


def _page(client: Any, operation: str, parent_id: str, token: str | None, page_size: int | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"ParentId": parent_id}
    if token:
        kwargs["NextToken"] = token
    if page_size:
        kwargs["MaxResults"] = page_size
    return dict(getattr(client, operation)(**kwargs))


def walk_tree(
    ctx: AwsContext, root_id: str, page_size: int | None = None, workers: int = WALK_WORKERS
) -> tuple[tuple[OrganizationalUnit, ...], tuple[Account, ...]]:
    """Every OU (with its path) and account (with its OU path) below `root_id`, in breadth-first order."""
    client = ctx.client("organizations", adaptive=workers > 1)
    paths = {root_id: ""}
    ous_of: dict[str, list[OrganizationalUnit]] = {}
    accounts_of: dict[str, list[Account]] = {}
    with ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="orgnb-walk") as pool:
        pending: dict[Future[dict[str, Any]], tuple[str, str]] = {}

        def send(operation: str, parent_id: str, token: str | None = None) -> None:
            pending[pool.submit(_page, client, operation, parent_id, token, page_size)] = (operation, parent_id)

        send(_ACCOUNTS, root_id)
        send(_OUS, root_id)
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    operation, parent_id = pending.pop(future)
                    page = future.result()
                    if page.get("NextToken"):
                        send(operation, parent_id, page["NextToken"])
                    if operation == _ACCOUNTS:
                        accounts_of.setdefault(parent_id, []).extend(_account(raw, parent_id, paths[parent_id]) for raw in page["Accounts"])
                        continue
                    for raw in page["OrganizationalUnits"]:
                        parent_path = paths[parent_id]
                        paths[raw["Id"]] = path = f"{parent_path}/{raw['Name']}" if parent_path else raw["Name"]
                        ous_of.setdefault(parent_id, []).append(OrganizationalUnit(raw["Id"], raw["Name"], raw["Arn"], parent_id, path))
                        send(_ACCOUNTS, raw["Id"])
                        send(_OUS, raw["Id"])
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return _breadth_first(root_id, ous_of, accounts_of)


def _breadth_first(
    root_id: str, ous_of: dict[str, list[OrganizationalUnit]], accounts_of: dict[str, list[Account]]
) -> tuple[tuple[OrganizationalUnit, ...], tuple[Account, ...]]:
    """The walk's findings in the order a one-call-at-a-time breadth-first walk lists them (pages keep their order)."""
    ous: list[OrganizationalUnit] = []
    accounts: list[Account] = []
    queue = [root_id]
    while queue:
        parent_id = queue.pop(0)
        accounts.extend(accounts_of.get(parent_id, []))
        children = ous_of.get(parent_id, [])
        ous.extend(children)
        queue.extend(ou.id for ou in children)
    return tuple(ous), tuple(accounts)


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


def collect_inventory(ctx: AwsContext, page_size: int | None = None) -> Inventory:
    """Read the caller, its own account's facts, its Organization and (from the management account) the tree."""
    caller = caller_identity(ctx)
    facts = read_account_facts(ctx, caller.account_id)
    org = describe_organization(ctx)
    if org is None or org.management_account_id != caller.account_id:
        return Inventory(caller=caller, organization=org, caller_facts=facts)
    root = read_root(ctx, page_size)
    ous, accounts = walk_tree(ctx, root.id, page_size)
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
