from __future__ import annotations

import boto3
import botocore.session
import pytest

from orgnb.errors import ParameterError, SandboxError
from orgnb.sandbox import Sandbox, calllog
from orgnb.sandbox.calllog import operation_of


def test_profile_acts_in_the_scenario_account(sandbox: Sandbox) -> None:
    ident = boto3.Session(profile_name="management").client("sts").get_caller_identity()
    assert ident["Account"] == "111122223333"
    assert ident["Arn"].endswith(":user/orgnb-operator")


def test_profiles_are_marked_as_sandbox(sandbox: Sandbox) -> None:
    config = sandbox.config_file.read_text()
    assert f"orgnb_sandbox = {sandbox.instance_id}" in config
    assert f"endpoint_url = {sandbox.url}" in config
    assert oct(sandbox.credentials_file.stat().st_mode & 0o777) == "0o600"


def test_admin_route_answers_the_instance_id(sandbox: Sandbox) -> None:
    info = sandbox.admin("instance")
    assert info == {"instance_id": sandbox.instance_id, "scenario": "greenfield", "profiles": {"management": "111122223333"}}


def test_call_log_records_account_operation_and_kind(sandbox: Sandbox) -> None:
    session = boto3.Session(profile_name="management")
    org = session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    org.describe_organization()
    session.client("account").put_alternate_contact(
        AlternateContactType="BILLING", Name="Ana", Title="CFO", EmailAddress="billing@example.com", PhoneNumber="+1 555 0100"
    )
    seen = [(c.account, c.service, c.operation, c.write) for c in sandbox.calls()]
    assert seen == [
        ("111122223333", "organizations", "CreateOrganization", True),
        ("111122223333", "organizations", "DescribeOrganization", False),
        ("111122223333", "account", "PutAlternateContact", True),
    ]
    assert [c.operation for c in sandbox.calls(writes_only=True)] == ["CreateOrganization", "PutAlternateContact"]
    assert [c["operation"] for c in sandbox.admin("calls?writes=1")] == ["CreateOrganization", "PutAlternateContact"]


def test_organization_keeps_the_accounts_own_name_and_email(sandbox: Sandbox) -> None:
    org = boto3.Session(profile_name="management").client("organizations")
    assert org.create_organization(FeatureSet="ALL")["Organization"]["MasterAccountEmail"] == "aws+management-account@example.com"
    accounts = org.list_accounts()["Accounts"]
    assert [(a["Id"], a["Name"], a["Email"]) for a in accounts] == [("111122223333", "Example Corp", "aws+management-account@example.com")]


def test_reset_returns_to_the_scenario(sandbox: Sandbox) -> None:
    boto3.Session(profile_name="management").client("organizations").create_organization(FeatureSet="ALL")
    sandbox.reset()
    assert sandbox.calls() == []
    org = boto3.Session(profile_name="management").client("organizations")
    with pytest.raises(org.exceptions.AWSOrganizationsNotInUseException):
        org.describe_organization()


def test_one_sandbox_per_process(sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError, match="already running"):
        Sandbox().start()


def test_unknown_scenario() -> None:
    with pytest.raises(ParameterError, match="greenfield"):
        Sandbox("nowhere")


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "service", "expected"),
    [
        ("POST", "/", {"X-Amz-Target": "AWSOrganizationsV20161128.ListRoots"}, b"{}", "organizations", "ListRoots"),
        (
            "POST",
            "/",
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            b"Action=GetCallerIdentity&Version=2011-06-15",
            "sts",
            "GetCallerIdentity",
        ),
        ("POST", "/getContactInformation", {}, b"{}", "account", "GetContactInformation"),
        ("POST", "/putAccountName", {}, b"{}", "account", "PutAccountName"),
        ("GET", "/unknown/route", {}, b"", "account", "GET /unknown/route"),
        ("GET", "/some-bucket?policy", {}, b"", "s3", "GetBucketPolicy"),
        ("PUT", "/some-bucket?policy", {}, b"{}", "s3", "PutBucketPolicy"),
        ("GET", "/some-bucket/key.txt", {}, b"", "s3", "GetObject"),
    ],
)
def test_operation_of(method: str, path: str, headers: dict[str, str], body: bytes, service: str, expected: str) -> None:
    path, _, query = path.partition("?")
    assert operation_of(method, path, headers, body, service, query) == expected


def test_services_signed_under_another_name_are_found_without_the_scan() -> None:
    session = botocore.session.get_session()
    for signing_name, service in calllog.SIGNED_AS.items():
        assert session.get_service_model(service).signing_name == signing_name
        model = calllog.service_model(signing_name)
        assert model is not None and model.service_name == service
