"""CreateAccount in the sandbox: IN_PROGRESS in its own answer, input checked, at most 5 in flight, a daily quota,
FAILED reasons, status listing."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError

from orgnb.sandbox import Sandbox


def settings(sandbox: Sandbox, **changes: object) -> dict:
    return sandbox.settings(**changes)


@pytest.fixture
def org(sandbox: Sandbox):
    client = boto3.Session(profile_name="management").client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    return client


def create(org, n: int | str, **extra: str) -> dict:
    return org.create_account(AccountName=f"acct {n}", Email=f"aws+acct-{n}@example.com", **extra)["CreateAccountStatus"]


def describe(org, status: dict) -> dict:
    return org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]


def refusal(call, *args, **kwargs) -> tuple[str, str | None]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response["Error"]["Code"], info.value.response.get("Reason")


def test_the_answer_is_in_progress_and_a_later_read_finishes_the_request(sandbox: Sandbox, org) -> None:
    status = create(org, 1)
    assert status["State"] == "IN_PROGRESS" and status["Id"].startswith("car-") and "AccountId" not in status
    assert describe(org, status)["State"] == "IN_PROGRESS", "the default creation time is not over yet"
    assert len(org.list_accounts()["Accounts"]) == 1
    time.sleep(settings(sandbox)["create_account_seconds"] + 0.1)
    done = describe(org, status)
    assert done["State"] == "SUCCEEDED" and len(done["AccountId"]) == 12
    took = (done["CompletedTimestamp"] - done["RequestedTimestamp"]).total_seconds()
    assert took == pytest.approx(settings(sandbox)["create_account_seconds"], abs=0.01), "its creation time, not the read's"
    settings(sandbox, create_account_seconds=0)
    instant = create(org, 2)
    assert instant["State"] == "IN_PROGRESS", "never finished in its own answer, however short the creation"
    assert describe(org, instant)["State"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        ({"AccountName": "x" * 51}, "MAX_LENGTH_EXCEEDED"),
        ({"AccountName": "Café"}, "INVALID_PATTERN"),
        ({"Email": "not-an-email"}, "INVALID_PATTERN"),
        ({"Email": "a" * 60 + "@example.com"}, "MAX_LENGTH_EXCEEDED"),
        ({"RoleName": "AWSServiceRoleForX"}, "INVALID_ROLE_NAME"),
        ({"RoleName": "my role"}, "INVALID_PATTERN"),
        ({"RoleName": "r" * 65}, "MAX_LENGTH_EXCEEDED"),
        ({"IamUserAccessToBilling": "MAYBE"}, "INVALID_ENUM"),
        ({"Tags": [{"Key": "aws:owner", "Value": "x"}]}, "INVALID_SYSTEM_TAGS_PARAMETER"),
        ({"Tags": [{"Key": "team", "Value": "a"}, {"Key": "team", "Value": "b"}]}, "DUPLICATE_TAG_KEY"),
    ],
)
def test_input_that_breaks_the_model_is_refused_at_once(org, request_: dict, reason: str) -> None:
    good = {"AccountName": "Workload", "Email": "aws+workload@example.com"}
    assert refusal(org.create_account, **{**good, **request_}) == ("InvalidInputException", reason)
    assert org.list_create_account_status()["CreateAccountStatuses"] == [], "no request was made"


def test_valid_input_is_accepted(org) -> None:
    status = org.create_account(
        AccountName="W" * 50,
        Email="aws+ok@example.com",
        RoleName="Admin.Role@x",
        IamUserAccessToBilling="DENY",
        Tags=[{"Key": "k", "Value": ""}],
    )["CreateAccountStatus"]
    assert status["State"] == "IN_PROGRESS"


def test_requests_stay_in_progress_and_five_at_most_fly(sandbox: Sandbox, org) -> None:
    settings(sandbox, create_account_seconds=0.6)
    started = [create(org, n) for n in range(5)]
    assert {s["State"] for s in started} == {"IN_PROGRESS"} and all("AccountId" not in s for s in started)
    assert refusal(create, org, 5) == ("ConstraintViolationException", "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED")
    settings(sandbox, create_account_in_flight_error="ConcurrentModificationException")
    assert refusal(create, org, 5) == ("ConcurrentModificationException", None)
    assert len(org.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"]) == 5
    assert len(org.list_accounts()["Accounts"]) == 1, "nothing created yet"
    time.sleep(0.7)
    done = [describe(org, s) for s in started]
    assert {d["State"] for d in done} == {"SUCCEEDED"} and all(d["CompletedTimestamp"] >= d["RequestedTimestamp"] for d in done)
    assert len(org.list_accounts()["Accounts"]) == 6
    create(org, 6)  # a free slot again


def test_the_daily_quota_refuses_with_nothing_in_flight(sandbox: Sandbox, org) -> None:
    settings(sandbox, create_account_seconds=0, create_account_daily_quota=2, create_account_fail_next=["INTERNAL_FAILURE"])
    failed = create(org, "failed")
    assert describe(org, failed)["State"] == "FAILED"  # a request that failed created nothing: it does not count
    made = [create(org, n) for n in range(2)]
    assert [describe(org, s)["State"] for s in made] == ["SUCCEEDED", "SUCCEEDED"]
    assert org.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"] == []
    assert refusal(create, org, 2) == ("ConstraintViolationException", "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED")
    settings(sandbox, create_account_daily_quota=None)
    create(org, 2)


def test_failure_reasons(sandbox: Sandbox, org) -> None:
    settings(sandbox, create_account_seconds=0.3)
    taken = org.create_account(AccountName="dup", Email="AWS+Management-Account@example.com")["CreateAccountStatus"]
    first = create(org, "same")
    second = create(org, "same")
    settings(sandbox, create_account_fail_next=["INTERNAL_FAILURE"], account_limits={"111122223333": 3})
    injected = create(org, "x")
    over = create(org, "y")  # 1 account + 2 good requests in flight reach the limit of 3
    assert all("FailureReason" not in s for s in (taken, first, second, injected, over)), "a reason comes only with FAILED"
    time.sleep(0.4)
    reasons = {s["Id"]: s.get("FailureReason") for s in org.list_create_account_status()["CreateAccountStatuses"]}
    assert reasons[taken["Id"]] == "EMAIL_ALREADY_EXISTS"
    assert reasons[first["Id"]] is None and reasons[second["Id"]] == "CONCURRENT_ACCOUNT_MODIFICATION"
    assert reasons[injected["Id"]] == "INTERNAL_FAILURE" and reasons[over["Id"]] == "ACCOUNT_LIMIT_EXCEEDED"
    failed = org.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"]
    assert all("AccountId" not in f for f in failed) and len(failed) == 4


@pytest.mark.parametrize(
    "email", ["josé@example.com", ".dot@example.com", "o'brien@example.com", "me@exa_mple.com", "me@example.com-", "me@-example.com"]
)
def test_an_email_against_the_documented_rules_fails_the_request(sandbox: Sandbox, org, email: str) -> None:
    settings(sandbox, create_account_seconds=0)
    status = org.create_account(AccountName="Workload", Email=email)["CreateAccountStatus"]
    assert status["State"] == "IN_PROGRESS", "the model's pattern accepts it"
    ended = describe(org, status)
    assert (ended["State"], ended["FailureReason"]) == ("FAILED", "INVALID_EMAIL") and "AccountId" not in ended


def test_status_errors_and_pages(org) -> None:
    ids = [create(org, n)["Id"] for n in range(3)]
    first = org.list_create_account_status(MaxResults=2)
    assert [s["Id"] for s in first["CreateAccountStatuses"]] == ids[:2] and "NextToken" in first
    rest = org.list_create_account_status(MaxResults=2, NextToken=first["NextToken"])
    assert [s["Id"] for s in rest["CreateAccountStatuses"]] == ids[2:] and "NextToken" not in rest
    assert (
        refusal(org.describe_create_account_status, CreateAccountRequestId="car-000000000000")[0] == "CreateAccountStatusNotFoundException"
    )


def test_accounts_are_paged_twenty_at_most(sandbox: Sandbox, org) -> None:
    settings(sandbox, account_limits={"111122223333": 30}, create_account_seconds=0)  # each ends before the next starts
    for n in range(21):
        create(org, n)
    first = org.list_accounts()
    assert len(first["Accounts"]) == 20 and "NextToken" in first
    rest = org.list_accounts(NextToken=first["NextToken"])
    assert len(rest["Accounts"]) == 2 and not rest.get("NextToken")
    assert refusal(org.list_accounts, MaxResults=21) == ("InvalidInputException", "MAX_VALUE_EXCEEDED")
