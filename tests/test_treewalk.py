"""The paced tree walk against a sandbox that throttles Organizations as AWS does (a token bucket per account)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orgnb.aws.inventory import read_root
from orgnb.aws.session import make_context
from orgnb.aws.treewalk import walk_tree
from orgnb.sandbox import Sandbox

MANAGEMENT = "111122223333"
LIMIT = 40.0  # Organizations calls a second the sandbox serves, holding a second of them, as AWS's published buckets do


@pytest.fixture
def seeded(sandbox: Sandbox) -> Iterator[Sandbox]:
    """40 OUs under the root with two accounts each: a walk of 83 calls, twice what the limit lets through at once."""
    make_context("management", "us-east-1").client("organizations").create_organization(FeatureSet="ALL")
    sandbox.settings(account_limits={MANAGEMENT: 100})
    sandbox.admin("seed", {"management_account_id": MANAGEMENT, "ous": 40, "accounts": 80})
    yield sandbox
    sandbox.admin("faults", {})


def walk_throttled(sandbox: Sandbox, calls_per_second: float) -> tuple[int, int]:
    """Walk the tree at `calls_per_second` under the limit: accounts found and calls the sandbox throttled."""
    ctx = make_context("management", "us-east-1")
    root = read_root(ctx)
    sandbox.admin("faults", {"rate_limit": {"organizations:*": [LIMIT, LIMIT]}})
    ous, accounts = walk_tree(ctx, root.id, calls_per_second=calls_per_second)
    served = sandbox.admin("faults")
    assert len(ous) == 40
    return len(accounts), sum(served["rate_limited"].values())


def test_a_walk_paced_at_the_limit_is_never_throttled(seeded: Sandbox) -> None:
    found, throttled = walk_throttled(seeded, calls_per_second=LIMIT)
    assert found == 81  # the management account and the eighty seeded
    assert throttled == 0


@pytest.mark.soak  # botocore's back-off after each throttle makes it slow
def test_the_same_walk_unpaced_is_throttled_and_still_completes(seeded: Sandbox) -> None:
    found, throttled = walk_throttled(seeded, calls_per_second=1000)
    assert found == 81  # botocore's retries carried it through
    assert throttled > 0  # the limit bites: the paced walk above owes its zero to its pace
