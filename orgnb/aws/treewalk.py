"""The OU tree below a root, walked concurrently and paced: every OU with its path, every account with its OU path.

The walk calls ListOrganizationalUnitsForParent and ListAccountsForParent from the root, following every NextToken,
so each account's OU path is known without a second pass. That is the fewest calls the API allows: one page per
container and 20 children. Up to WALK_WORKERS calls are in flight; each answered page queues the next page of its
list and the first pages of the OUs it lists, OU lists first (they widen the walk; account lists only fill it).
The walk's client is paced (orgnb.aws.session, orgnb.aws.pacing): every request, retries included, first takes a
token from a client-side bucket, so the walk sends no more than its rate however many calls are in flight, and is
never throttled by its own concurrency: it waits for a slot instead of backing off after a TooManyRequestsException.
When AWS throttles anyway (other callers share the account's rate), a call retries as every client's do (standard
mode), its retries paced too.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from orgnb.aws.pacing import ORGANIZATIONS_CALLS_PER_SECOND
from orgnb.aws.session import AwsContext


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


def _account(raw: dict[str, Any], parent_id: str, path: str) -> Account:
    """An account as ListAccountsForParent lists it, placed under `parent_id` at `path`."""
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


# Calls in flight during the tree walk. botocore's connection pool holds 10 per client; a few calls at a time already
# hide most of the latency, and the pace (orgnb.aws.pacing), not the number in flight, keeps the walk within AWS's rate.
WALK_WORKERS = 8
_ACCOUNTS, _OUS = "list_accounts_for_parent", "list_organizational_units_for_parent"
_Call = tuple[str, str, str | None]  # operation, parent id, NextToken


def _page(client: Any, call: _Call, page_size: int | None) -> dict[str, Any]:
    operation, parent_id, token = call
    kwargs: dict[str, Any] = {"ParentId": parent_id}
    if token:
        kwargs["NextToken"] = token
    if page_size:
        kwargs["MaxResults"] = page_size
    return dict(getattr(client, operation)(**kwargs))


@dataclass
class _TreeWalk:
    """The walk's state: what it found by parent, and the calls ready to send (OU lists first: they widen the walk)."""

    root_id: str
    paths: dict[str, str] = field(default_factory=dict)
    ous_of: dict[str, list[OrganizationalUnit]] = field(default_factory=dict)
    accounts_of: dict[str, list[Account]] = field(default_factory=dict)
    ready: dict[str, deque[_Call]] = field(default_factory=lambda: {_OUS: deque(), _ACCOUNTS: deque()})

    def __post_init__(self) -> None:
        self.paths[self.root_id] = ""
        self.container(self.root_id)

    def container(self, parent_id: str) -> None:
        """Queue the first page of both lists of `parent_id`."""
        for operation in (_OUS, _ACCOUNTS):
            self.ready[operation].append((operation, parent_id, None))

    def next_call(self) -> _Call | None:
        """The next call to send, OU lists before account lists; None when nothing is ready."""
        queue = self.ready[_OUS] or self.ready[_ACCOUNTS]
        return queue.popleft() if queue else None

    def answered(self, call: _Call, page: dict[str, Any]) -> None:
        """Take in one page: its items, the next page of its list, and the OUs it lists as new containers."""
        operation, parent_id, _ = call
        if page.get("NextToken"):
            self.ready[operation].appendleft((operation, parent_id, page["NextToken"]))
        parent_path = self.paths[parent_id]
        if operation == _ACCOUNTS:
            self.accounts_of.setdefault(parent_id, []).extend(_account(raw, parent_id, parent_path) for raw in page["Accounts"])
            return
        for raw in page["OrganizationalUnits"]:
            self.paths[raw["Id"]] = path = f"{parent_path}/{raw['Name']}" if parent_path else raw["Name"]
            self.ous_of.setdefault(parent_id, []).append(OrganizationalUnit(raw["Id"], raw["Name"], raw["Arn"], parent_id, path))
            self.container(raw["Id"])


def walk_tree(
    ctx: AwsContext,
    root_id: str,
    page_size: int | None = None,
    workers: int = WALK_WORKERS,
    calls_per_second: float = ORGANIZATIONS_CALLS_PER_SECOND,
) -> tuple[tuple[OrganizationalUnit, ...], tuple[Account, ...]]:
    """Every OU (with its path) and account (with its OU path) below `root_id`, in breadth-first order, sending at
    most `calls_per_second` Organizations calls a second (`workers` at a time)."""
    client = ctx.client("organizations", calls_per_second=calls_per_second)
    walk = _TreeWalk(root_id)
    with ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="orgnb-walk") as pool:
        pending: dict[Future[dict[str, Any]], _Call] = {}
        try:
            while True:
                while len(pending) < max(workers, 1) and (call := walk.next_call()) is not None:
                    pending[pool.submit(_page, client, call, page_size)] = call
                if not pending:
                    break
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    walk.answered(pending.pop(future), future.result())
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return _breadth_first(root_id, walk.ous_of, walk.accounts_of)


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
