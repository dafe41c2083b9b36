"""CreateAccount in the sandbox: IN_PROGRESS for a while, at most 5 in flight, FAILED reasons, status listing."""

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


def create(org, n: int | str) -> dict:
    return org.create_account(AccountName=f"acct {n}", Email=f"aws+acct-{n}@example.com")["CreateAccountStatus"]


def test_instant_by_default(org) -> None:
    status = create(org, 1)
    assert status["State"] == "SUCCEEDED" and status["Id"].startswith("car-") and len(status["AccountId"]) == 12
    assert (
        org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]["AccountId"] == status["AccountId"]
    )


def test_requests_stay_in_progress_and_five_at_most_fly(sandbox: Sandbox, org) -> None:
    settings(sandbox, create_account_seconds=0.6)
    started = [create(org, n) for n in range(5)]
    assert {s["State"] for s in started} == {"IN_PROGRESS"} and all("AccountId" not in s for s in started)
    with pytest.raises(ClientError) as info:
        create(org, 5)
    assert (info.value.response["Error"]["Code"], info.value.response["Reason"]) == (
        "ConstraintViolationException",
        "ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED",
    )
    assert len(org.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"]) == 5
    assert len(org.list_accounts()["Accounts"]) == 1, "nothing created yet"
    time.sleep(0.7)
    done = [org.describe_create_account_status(CreateAccountRequestId=s["Id"])["CreateAccountStatus"] for s in started]
    assert {d["State"] for d in done} == {"SUCCEEDED"} and all(d["CompletedTimestamp"] >= d["RequestedTimestamp"] for d in done)
    assert len(org.list_accounts()["Accounts"]) == 6
    create(org, 6)  # a free slot again


def test_failure_reasons(sandbox: Sandbox, org) -> None:
    settings(sandbox, create_account_seconds=0.3)
    taken = org.create_account(AccountName="dup", Email="AWS+Management-Account@example.com")["CreateAccountStatus"]
    first = create(org, "same")
    second = create(org, "same")
    settings(sandbox, create_account_fail_next=["INTERNAL_FAILURE"], account_limits={"111122223333": 3})
    injected = create(org, "x")
    over = create(org, "y")  # 1 account + 2 good requests in flight reach the limit of 3
    time.sleep(0.4)
    reasons = {s["Id"]: s.get("FailureReason") for s in org.list_create_account_status()["CreateAccountStatuses"]}
    assert reasons[taken["Id"]] == "EMAIL_ALREADY_EXISTS"
    assert reasons[first["Id"]] is None and reasons[second["Id"]] == "CONCURRENT_ACCOUNT_MODIFICATION"
    assert reasons[injected["Id"]] == "INTERNAL_FAILURE" and reasons[over["Id"]] == "ACCOUNT_LIMIT_EXCEEDED"
    failed = org.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"]
    assert all("AccountId" not in f for f in failed) and len(failed) == 4


def test_status_errors_and_pages(org) -> None:
    ids = [create(org, n)["Id"] for n in range(3)]
    first = org.list_create_account_status(MaxResults=2)
    assert [s["Id"] for s in first["CreateAccountStatuses"]] == ids[:2] and "NextToken" in first
    rest = org.list_create_account_status(MaxResults=2, NextToken=first["NextToken"])
    assert [s["Id"] for s in rest["CreateAccountStatuses"]] == ids[2:] and "NextToken" not in rest
    with pytest.raises(ClientError) as info:
        org.describe_create_account_status(CreateAccountRequestId="car-000000000000")
    assert info.value.response["Error"]["Code"] == "CreateAccountStatusNotFoundException"


def test_accounts_are_paged_twenty_at_most(sandbox: Sandbox, org) -> None:
    settings(sandbox, account_limits={"111122223333": 30})
    for n in range(21):
        create(org, n)
    first = org.list_accounts()
    assert len(first["Accounts"]) == 20 and "NextToken" in first
    rest = org.list_accounts(NextToken=first["NextToken"])
    assert len(rest["Accounts"]) == 2 and not rest.get("NextToken")
    with pytest.raises(ClientError) as info:
        org.list_accounts(MaxResults=21)
    assert info.value.response["Reason"] == "MAX_VALUE_EXCEEDED"
