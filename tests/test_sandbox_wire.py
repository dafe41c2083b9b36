"""The sandbox on the wire: each protocol's Content-Type, AWS-shaped errors for what nothing serves (never an HTML
page), every request in the call log, and the Support API as AWS answers an account's support plan."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import ClientError

from orgnb.sandbox import Sandbox

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
MANAGEMENT = "111122223333"
JSON_11 = "application/x-amz-json-1.1"
UNKNOWN = "UnknownOperationException"


def client(service: str, profile: str = "management") -> Any:
    return boto3.Session(profile_name=profile).client(service, region_name="us-east-1", config=NO_RETRY)


def raw_answer(service: str, call: Any) -> dict[str, Any]:
    """Make `call` with a client of `service`; the status, Content-Type and body the sandbox sent."""
    aws = client(service)
    seen: dict[str, Any] = {}

    def keep(http_response: Any, **_: Any) -> None:
        seen.update(status=http_response.status_code, type=http_response.headers.get("Content-Type"), body=http_response.content)

    aws.meta.events.register("after-call", keep)
    try:
        call(aws)
    except ClientError as error:
        seen["code"] = error.response["Error"]["Code"]
    return seen


@pytest.mark.parametrize(
    ("service", "call", "content_type"),
    [
        ("organizations", lambda c: c.list_roots(), "application/x-amz-json-1.1"),
        ("organizations", lambda c: c.list_aws_service_access_for_organization(), "application/x-amz-json-1.1"),
        ("organizations", lambda c: c.describe_account(AccountId="999999999999"), "application/x-amz-json-1.1"),
        ("kms", lambda c: c.list_keys(), "application/x-amz-json-1.1"),
        ("sso-admin", lambda c: c.list_instances(), "application/x-amz-json-1.1"),
        ("dynamodb", lambda c: c.list_tables(), "application/x-amz-json-1.0"),
        ("iam", lambda c: c.list_roles(), "text/xml"),
        ("sts", lambda c: c.get_caller_identity(), "text/xml"),
        ("cloudformation", lambda c: c.list_stacks(), "text/xml"),
        ("account", lambda c: c.get_contact_information(), "application/json"),
    ],
)
def test_every_answer_carries_its_protocols_content_type(brownfield: Sandbox, service: str, call: Any, content_type: str) -> None:
    assert raw_answer(service, call)["type"] == content_type


@pytest.mark.parametrize(
    ("service", "call", "operation", "code", "status", "content_type"),
    [
        ("organizations", lambda c: c.describe_resource_policy(), "DescribeResourcePolicy", UNKNOWN, 400, JSON_11),
        (
            "iam",
            lambda c: c.get_organizations_access_report(JobId="j" * 36),
            "GetOrganizationsAccessReport",
            "InvalidAction",
            400,
            "text/xml",
        ),
        ("account", lambda c: c.list_regions(), "ListRegions", UNKNOWN, 404, "application/json"),
    ],
)
def test_an_operation_nothing_serves_answers_a_typed_error_and_is_logged(
    brownfield: Sandbox, service: str, call: Any, operation: str, code: str, status: int, content_type: str
) -> None:
    seen = raw_answer(service, call)
    assert (seen["code"], seen["status"], seen["type"]) == (code, status, content_type)
    assert b"<html" not in seen["body"].lower()
    assert [(c.operation, c.status) for c in brownfield.calls() if c.operation == operation] == [(operation, status)]


def test_a_raw_json_request_for_an_unknown_target_gets_a_json_error(brownfield: Sandbox) -> None:
    credentials = boto3.Session(profile_name="management").get_credentials().get_frozen_credentials()
    request = AWSRequest(
        "POST",
        brownfield.url + "/",
        data=b"{}",
        headers={"X-Amz-Target": "AWSOrganizationsV20161128.NoSuchOperation", "Content-Type": "application/x-amz-json-1.1"},
    )
    SigV4Auth(credentials, "organizations", "us-east-1").add_auth(request)
    sent = urllib.request.Request(request.url, data=request.body, headers=dict(request.headers), method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(sent)  # noqa: S310 - the sandbox on loopback
    assert (info.value.code, info.value.headers["Content-Type"]) == (400, "application/x-amz-json-1.1")
    assert json.loads(info.value.read())["__type"] == "UnknownOperationException"
    assert [(c.service, c.operation, c.status) for c in brownfield.calls()] == [("organizations", "NoSuchOperation", 400)]


def test_a_request_the_sandbox_fails_on_is_an_internal_failure_and_is_logged(brownfield: Sandbox) -> None:
    with pytest.raises(ClientError) as info:
        client("health").describe_events()  # no moto backend: the sandbox's dispatch raises
    assert info.value.response["Error"]["Code"] == "InternalFailure"
    assert [(c.service, c.operation, c.status) for c in brownfield.calls()] == [("health", "DescribeEvents", 500)]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.describe_severity_levels(),
        lambda c: c.describe_cases(),
        lambda c: c.describe_services(),
        lambda c: c.describe_trusted_advisor_checks(language="en"),
    ],
)
def test_the_support_api_refuses_an_account_on_basic_support(brownfield: Sandbox, call: Any) -> None:
    seen = raw_answer("support", call)
    assert (seen["code"], seen["status"], seen["type"]) == ("SubscriptionRequiredException", 400, "application/x-amz-json-1.1")
    assert json.loads(seen["body"])["message"] == "AWS Premium Support Subscription is required to use this service."
    assert [c.status for c in brownfield.calls() if c.service == "support"] == [400]


def test_business_support_lists_its_severity_levels(brownfield: Sandbox) -> None:
    brownfield.settings(support_plans={MANAGEMENT: "business"})
    levels = client("support").describe_severity_levels()["severityLevels"]
    assert [level["code"] for level in levels] == ["low", "normal", "high", "urgent"]
    brownfield.settings(support_plans={MANAGEMENT: "enterprise"})
    assert client("support").describe_severity_levels()["severityLevels"][-1] == {"code": "critical", "name": "Critical"}
    with pytest.raises(ClientError) as info:
        client("support").describe_services()  # moto does not serve it
    assert info.value.response["Error"]["Code"] == "UnknownOperationException"


def test_a_support_plan_is_one_accounts(brownfield: Sandbox) -> None:
    brownfield.settings(support_plans={"444455556666": "business"})
    with pytest.raises(ClientError) as info:
        client("support").describe_severity_levels()
    assert info.value.response["Error"]["Code"] == "SubscriptionRequiredException"


def test_an_unknown_support_plan_is_refused(brownfield: Sandbox) -> None:
    with pytest.raises(urllib.error.HTTPError) as info:
        brownfield.settings(support_plans={MANAGEMENT: "gold"})
    assert info.value.code == 400
