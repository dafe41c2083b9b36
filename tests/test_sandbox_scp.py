"""Service control policies in the sandbox: every principal of a member account is refused what its SCPs refuse.

Every call goes through boto3 over HTTP with the acting account's own profile; the old organization of the
brownfield scenario carries the SCP `deny-leave` on its root.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from orgnb.sandbox import Sandbox, scp
from tests.conftest import created_account

MGMT, OLD_MGMT, MEMBER_A, MEMBER_B = "111122223333", "333344445555", "444455556666", "555566667777"
OPERATOR = "arn:aws:iam::{}:user/orgnb-operator"
EXPLICIT = "with an explicit deny in a service control policy"
AUDIT = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"


def client(profile: str, service: str, region: str = "us-east-1") -> Any:
    return boto3.Session(profile_name=profile).client(service, region_name=region)


def refused(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The error of a call that must fail, with its Reason (Organizations) and HTTP status."""
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    response = info.value.response
    return {**response["Error"], "Reason": response.get("Reason"), "Status": response["ResponseMetadata"]["HTTPStatusCode"]}


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def attach_scp(management: str, target: str, content: str, name: str = "guard") -> str:
    org = client(management, "organizations")
    policy_id = org.create_policy(Name=name, Description=name, Type="SERVICE_CONTROL_POLICY", Content=content)["Policy"]
    org.attach_policy(PolicyId=policy_id["PolicySummary"]["Id"], TargetId=target)
    return str(policy_id["PolicySummary"]["Id"])


def old_root() -> str:
    return str(client("old-management", "organizations").list_roots()["Roots"][0]["Id"])


def deny_leave_id() -> str:
    policies = client("old-management", "organizations").list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    return next(p["Id"] for p in policies if p["Name"] == "deny-leave")


def test_an_scp_deny_refuses_leaving_before_any_precondition(brownfield: Sandbox) -> None:
    error = refused(client("old-member-b", "organizations").leave_organization)
    assert error["Code"] == "AccessDeniedException" and error["Status"] == 403
    assert error["Message"] == (
        f"User: {OPERATOR.format(MEMBER_B)} is not authorized to perform: organizations:LeaveOrganization on resource: * {EXPLICIT}"
    )
    assert [(c.account, c.status) for c in brownfield.calls() if c.operation == "LeaveOrganization"] == [(MEMBER_B, 403)]
    client("old-management", "organizations").detach_policy(PolicyId=deny_leave_id(), TargetId=old_root())
    error = refused(client("old-member-b", "organizations").leave_organization)
    assert (error["Code"], error["Reason"]) == ("ConstraintViolationException", "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED")


def test_a_level_without_an_allow_refuses_its_members(brownfield: Sandbox) -> None:
    org = client("old-management", "organizations")
    production = org.list_parents(ChildId=MEMBER_A)["Parents"][0]["Id"]
    attach_scp("old-management", production, policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}), "s3-only")
    org.detach_policy(PolicyId="p-FullAWSAccess", TargetId=production)  # AWS keeps at least one SCP on every target
    error = refused(client("old-member-a", "iam").list_roles)
    assert error["Code"] == "AccessDenied" and error["Status"] == 403
    assert error["Message"].endswith("because no service control policy allows the iam:ListRoles action")
    assert client("old-member-b", "iam").list_roles()["Roles"], "old-member-b sits under the root, not under Production"
    assert client("old-management", "iam").list_roles()["Roles"]


def test_the_management_account_is_never_restricted(brownfield: Sandbox) -> None:
    attach_scp("old-management", old_root(), policy({"Effect": "Deny", "Action": "*", "Resource": "*"}))
    assert client("old-management", "organizations").list_accounts()["Accounts"]
    assert client("old-management", "iam").list_roles()["Roles"]
    assert refused(client("old-member-b", "iam").list_roles)["Code"] == "AccessDenied"
    assert client("old-member-b", "sts").get_caller_identity()["Account"] == MEMBER_B, "GetCallerIdentity needs no permission"


def test_no_scp_applies_while_the_policy_type_is_disabled(brownfield: Sandbox) -> None:
    client("old-management", "organizations").disable_policy_type(RootId=old_root(), PolicyType="SERVICE_CONTROL_POLICY")
    assert refused(client("old-member-b", "organizations").leave_organization)["Reason"] == "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED"


def test_resources_and_regions_in_scps(brownfield: Sandbox) -> None:
    keep_role = {"Effect": "Deny", "Action": "iam:DeleteRole", "Resource": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}
    regions = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}}
    attach_scp("old-management", MEMBER_A, policy(keep_role, regions))
    iam = client("old-member-a", "iam")
    error = refused(iam.delete_role, RoleName="OrganizationAccountAccessRole")
    assert f"iam:DeleteRole on resource: arn:aws:iam::{MEMBER_A}:role/OrganizationAccountAccessRole {EXPLICIT}" in error["Message"]
    iam.create_role(RoleName="scratch", AssumeRolePolicyDocument=policy())
    iam.delete_role(RoleName="scratch")
    assert refused(client("old-member-a", "sqs", "eu-west-1").list_queues)["Code"] in ("AccessDenied", "AccessDeniedException")
    assert "QueueUrls" not in client("old-member-a", "sqs").list_queues()


def test_s3_requests_are_authorized_as_their_iam_actions_on_their_buckets(brownfield: Sandbox) -> None:
    bucket = {"Effect": "Deny", "Action": "s3:GetBucketPolicy", "Resource": "arn:aws:s3:::legacy-prod-artifacts"}
    attach_scp("old-management", MEMBER_A, policy(bucket, {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"}))
    s3 = client("old-member-a", "s3")
    assert "s3:ListAllMyBuckets on resource: *" in refused(s3.list_buckets)["Message"]
    error = refused(s3.get_bucket_policy, Bucket="legacy-prod-artifacts")
    assert (error["Code"], error["Status"]) == ("AccessDenied", 403)
    s3.create_bucket(Bucket="scratch-exports")
    assert refused(s3.get_bucket_policy, Bucket="scratch-exports")["Code"] == "NoSuchBucketPolicy"


def test_scp_conditions_see_the_role_behind_a_session(brownfield: Sandbox) -> None:
    only_admins = {
        "Effect": "Deny",
        "Action": "iam:CreateRole",
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}},
    }
    attach_scp("old-management", old_root(), policy(only_admins))
    assert refused(client("old-member-a", "iam").create_role, RoleName="x1", AssumeRolePolicyDocument=policy())["Code"] == "AccessDenied"
    creds = client("old-management", "sts").assume_role(
        RoleArn=f"arn:aws:iam::{MEMBER_A}:role/OrganizationAccountAccessRole", RoleSessionName="admin"
    )["Credentials"]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
    assert session.client("iam").create_role(RoleName="x1", AssumeRolePolicyDocument=policy())["Role"]["RoleName"] == "x1"
    error = refused(session.client("organizations").leave_organization)
    assert error["Message"].startswith(f"User: arn:aws:sts::{MEMBER_A}:assumed-role/OrganizationAccountAccessRole/admin is not authorized")


def _root_audit(member: str) -> Any:
    creds = client("management", "sts").assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": AUDIT})["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    ).client("iam")


@pytest.fixture
def root_member(brownfield: Sandbox) -> str:
    """A member of a new organization under centralized root access, with SCPs enabled: its account id."""
    org = client("management", "organizations")
    org.create_organization(FeatureSet="ALL")
    member = created_account(org, AccountName="workload", Email="workload@example.com")
    org.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    client("management", "iam").enable_organizations_root_credentials_management()
    return str(member)  # CreateOrganization with all features enables SCPs


def test_scps_reach_assume_root_sessions(root_member: str) -> None:
    audit = ["iam:GetLoginProfile", "iam:ListAccessKeys", "iam:ListMFADevices", "iam:ListSigningCertificates"]
    no_root_audit = {"Effect": "Deny", "Action": audit, "Resource": "*", "Condition": {"Bool": {"aws:AssumedRoot": "true"}}}
    policy_id = attach_scp("management", root_member, policy(no_root_audit))
    root = f"arn:aws:iam::{root_member}:root"
    error = refused(_root_audit(root_member).list_access_keys)
    assert error["Message"] == f"User: {root} is not authorized to perform: iam:ListAccessKeys on resource: {root} {EXPLICIT}"
    exempt = {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": {"Null": {"aws:AssumedRoot": "true"}}}
    client("management", "organizations").update_policy(PolicyId=policy_id, Content=policy(exempt))
    assert _root_audit(root_member).list_access_keys()["AccessKeyMetadata"] == []


def test_assume_root_is_judged_by_the_target_members_scps_unless_the_setting_is_off(brownfield: Sandbox, root_member: str) -> None:
    no_sessions = {"Sid": "NoRootSessions", "Effect": "Deny", "Action": "sts:AssumeRoot", "Resource": "*"}
    attach_scp("management", root_member, policy(no_sessions))
    error = refused(client("management", "sts").assume_root, TargetPrincipal=root_member, TaskPolicyArn={"arn": AUDIT})
    caller = client("management", "sts").get_caller_identity()["Arn"]
    assert (error["Code"], error["Status"]) == ("AccessDenied", 403)
    target = f"arn:aws:iam::{root_member}:root"
    assert error["Message"] == f"User: {caller} is not authorized to perform: sts:AssumeRoot on resource: {target} {EXPLICIT}"
    assert brownfield.settings(assume_root_checks_target_scps=False)["assume_root_checks_target_scps"] is False
    assert _root_audit(root_member).list_access_keys()["AccessKeyMetadata"] == []


def test_the_principal_type_of_root_sessions_is_a_setting(brownfield: Sandbox, root_member: str) -> None:
    accounts_only = {"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalType": "Account"}}}
    attach_scp("management", root_member, policy(accounts_only))
    assert refused(_root_audit(root_member).list_access_keys)["Code"] == "AccessDenied", "Account by default"
    assert brownfield.settings(assumed_root_principal_type="AssumedRole")["assumed_root_principal_type"] == "AssumedRole"
    assert _root_audit(root_member).list_access_keys()["AccessKeyMetadata"] == []


@pytest.mark.parametrize(
    ("condition", "named"),
    [
        ({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, "IpAddress"),
        ({"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, "DateGreaterThan"),
    ],
)
def test_an_scp_the_sandbox_cannot_evaluate_is_refused_at_attach(brownfield: Sandbox, condition: dict[str, Any], named: str) -> None:
    org = client("old-management", "organizations")
    content = policy({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": condition})
    created = org.create_policy(Name="odd", Description="odd", Type="SERVICE_CONTROL_POLICY", Content=content)["Policy"]["PolicySummary"]
    error = refused(org.attach_policy, PolicyId=created["Id"], TargetId=MEMBER_A)
    assert (error["Code"], error["Reason"]) == ("InvalidInputException", "INVALID_RESOURCE_POLICY_JSON")
    assert named in error["Message"] and "orgnb sandbox cannot evaluate" in error["Message"]
    assert org.list_targets_for_policy(PolicyId=created["Id"])["Targets"] == []
    assert named in refused(org.update_policy, PolicyId=deny_leave_id(), Content=content)["Message"], "attached: refused"
    assert org.update_policy(PolicyId=created["Id"], Content=content)["Policy"]["Content"] == content, "not attached: not refused"


def test_denial_answers_for_a_principal_without_a_request(brownfield: Sandbox) -> None:
    action = "organizations:LeaveOrganization"
    assert EXPLICIT in (scp.denial(MEMBER_B, OPERATOR.format(MEMBER_B), action) or "")
    assert scp.denial(OLD_MGMT, OPERATOR.format(OLD_MGMT), action) is None, "the management account"
    assert scp.denial(MGMT, OPERATOR.format(MGMT), action) is None, "no organization"
    service_role = f"arn:aws:iam::{MEMBER_B}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty"
    assert scp.denial(MEMBER_B, service_role, action) is None, "service-linked roles are never restricted"
