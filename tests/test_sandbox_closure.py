"""CloseAccount in the sandbox: PENDING_CLOSURE, then SUSPENDED, in State and Status alike; the refusals, the 30-day
quota; a closed account neither leaves nor is removed."""

from __future__ import annotations

import boto3
import pytest

from orgnb.sandbox import Sandbox
from tests.test_sandbox_organizations import MEMBER_A, MEMBER_B, OLD_MGMT, allow_leaving, code_of, org

ACCOUNT = "old-member-b"


def described(account_id: str) -> tuple[str, str]:
    account = org("old-management").describe_account(AccountId=account_id)["Account"]
    return account["State"], account["Status"]


def listed(account_id: str) -> tuple[str, str]:
    account = next(a for a in org("old-management").list_accounts()["Accounts"] if a["Id"] == account_id)
    return account["State"], account["Status"]


@pytest.fixture(autouse=True)
def slow_closures(brownfield: Sandbox) -> None:
    """Closures stay PENDING_CLOSURE until a test ends them: a busy machine must not see one finish early."""
    brownfield.settings(close_account_seconds=3600)


def wait_closed(sandbox: Sandbox) -> None:
    """Let every closure's time run out (the sandbox finishes a closure on the first read after it)."""
    sandbox.settings(close_account_seconds=0)


def test_a_closed_account_is_pending_closure_then_suspended(brownfield: Sandbox) -> None:
    old = org("old-management")
    old.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    account = boto3.Session(profile_name="old-management").client("account", region_name="us-east-1")
    old.close_account(AccountId=MEMBER_B)
    assert described(MEMBER_B) == listed(MEMBER_B) == ("PENDING_CLOSURE", "PENDING_CLOSURE")
    assert account.get_account_information(AccountId=MEMBER_B)["AccountState"] == "ACTIVE"  # AccountState has no PENDING_CLOSURE
    assert code_of(old.close_account, AccountId=MEMBER_B)[0] == "ConflictException"
    wait_closed(brownfield)
    assert described(MEMBER_B) == listed(MEMBER_B) == ("SUSPENDED", "SUSPENDED")
    assert account.get_account_information(AccountId=MEMBER_B)["AccountState"] == "SUSPENDED"
    assert code_of(old.close_account, AccountId=MEMBER_B)[0] == "AccountAlreadyClosedException"
    assert MEMBER_B in {a["Id"] for a in old.list_accounts()["Accounts"]}, "it stays in the organization"
    assert code_of(old.delete_organization)[0] == "OrganizationNotEmptyException"


def test_close_account_refusals(brownfield: Sandbox) -> None:
    old = org("old-management")
    assert code_of(old.close_account, AccountId=OLD_MGMT) == ("ConstraintViolationException", "CANNOT_CLOSE_MANAGEMENT_ACCOUNT")
    assert code_of(old.close_account, AccountId="999999999999")[0] == "AccountNotFoundException"
    assert code_of(org("old-member-a").close_account, AccountId=MEMBER_B)[0] == "AccessDeniedException"
    assert code_of(org("standalone").close_account, AccountId=MEMBER_B)[0] == "AWSOrganizationsNotInUseException"
    assert described(MEMBER_B) == ("ACTIVE", "ACTIVE"), "nothing was closed"


def test_closures_in_flight_and_the_thirty_day_quota_are_settings(brownfield: Sandbox) -> None:
    old = org("old-management")
    brownfield.settings(close_account_in_flight=1)
    old.close_account(AccountId=MEMBER_B)
    assert code_of(old.close_account, AccountId=MEMBER_A) == ("ConstraintViolationException", "CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED")
    brownfield.settings(close_account_in_flight=None, close_account_quota=1)
    assert code_of(old.close_account, AccountId=MEMBER_A) == ("ConstraintViolationException", "CLOSE_ACCOUNT_QUOTA_EXCEEDED")
    wait_closed(brownfield)
    assert code_of(old.close_account, AccountId=MEMBER_A)[1] == "CLOSE_ACCOUNT_QUOTA_EXCEEDED", "SUSPENDED still counts for 30 days"
    assert described(MEMBER_A) == ("ACTIVE", "ACTIVE")


def test_the_documented_quota_is_250_closures_in_a_small_organization(brownfield: Sandbox) -> None:
    brownfield.settings(account_limits={OLD_MGMT: 400}, close_account_seconds=0)
    brownfield.admin("seed", {"management_account_id": OLD_MGMT, "accounts": 300})
    old = org("old-management")
    bulk = [a["Id"] for page in old.get_paginator("list_accounts").paginate() for a in page["Accounts"] if a["Name"].startswith("Bulk")]
    for account_id in bulk[:250]:
        old.close_account(AccountId=account_id)
    assert code_of(old.close_account, AccountId=bulk[250]) == ("ConstraintViolationException", "CLOSE_ACCOUNT_QUOTA_EXCEEDED")


@pytest.mark.parametrize("state", ["PENDING_CLOSURE", "SUSPENDED"])
def test_a_closed_account_neither_leaves_nor_is_removed(brownfield: Sandbox, state: str) -> None:
    allow_leaving()
    brownfield.admin(f"accounts/{MEMBER_B}/standalone", {"payment_method": True})  # only the closure stands in the way
    old = org("old-management")
    old.close_account(AccountId=MEMBER_B)
    if state == "SUSPENDED":
        wait_closed(brownfield)
    assert described(MEMBER_B)[0] == state
    refused = ("ConstraintViolationException", "ACCOUNT_CANNOT_LEAVE_ORGANIZATION")
    assert code_of(org(ACCOUNT).leave_organization) == refused
    assert code_of(old.remove_account_from_organization, AccountId=MEMBER_B) == refused
    assert MEMBER_B in {a["Id"] for a in old.list_accounts()["Accounts"]}
