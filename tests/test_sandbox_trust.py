"""STS AssumeRole in the sandbox: the role must exist and its trust policy must allow the caller, as in AWS."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from orgnb.sandbox import Sandbox

MGMT, STANDALONE, OLD_MGMT, MEMBER_A, MEMBER_B = "111122223333", "222233334444", "333344445555", "444455556666", "555566667777"
ACCESS_ROLE = f"arn:aws:iam::{MEMBER_A}:role/OrganizationAccountAccessRole"
CI_ROLE = f"arn:aws:iam::{MEMBER_A}:role/ci-deployer"  # trusts any principal of the old organization


def client(profile: str, service: str) -> Any:
    return boto3.Session(profile_name=profile).client(service, region_name="us-east-1")


def assume(role_arn: str, profile: str = "old-management", session: boto3.Session | None = None, **kwargs: Any) -> boto3.Session:
    sts = session.client("sts") if session else client(profile, "sts")
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="rehearsal", **kwargs)["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def denied(role_arn: str, profile: str = "management", **kwargs: Any) -> str:
    """AssumeRole must fail with AccessDenied (403); its message."""
    with pytest.raises(ClientError) as info:
        client(profile, "sts").assume_role(RoleArn=role_arn, RoleSessionName="rehearsal", **kwargs)
    response = info.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDenied", 403)
    return str(response["Error"]["Message"])


def trust(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def make_role(name: str, document: str, profile: str = "old-member-a") -> str:
    return str(client(profile, "iam").create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"])


def test_the_member_role_trusts_only_the_old_management_account(brownfield: Sandbox) -> None:
    assert denied(ACCESS_ROLE) == (
        f"User: arn:aws:iam::{MGMT}:user/orgnb-operator is not authorized to perform: sts:AssumeRole on resource: {ACCESS_ROLE}"
    )
    inside = assume(ACCESS_ROLE).client("sts").get_caller_identity()
    assert inside["Arn"] == f"arn:aws:sts::{MEMBER_A}:assumed-role/OrganizationAccountAccessRole/rehearsal"
    assert [(c.account, c.status) for c in brownfield.calls() if c.operation == "AssumeRole"] == [(MGMT, 403), (OLD_MGMT, 200)]


def test_roles_and_accounts_that_do_not_exist(brownfield: Sandbox) -> None:
    missing = f"arn:aws:iam::{MEMBER_A}:role/no-such-role"
    assert denied(missing, "old-management").endswith(f"on resource: {missing}")
    assert denied("arn:aws:iam::999999999999:role/OrganizationAccountAccessRole", "old-management")
    assert denied(f"arn:aws:iam::{MEMBER_A}:role/elsewhere/OrganizationAccountAccessRole", "old-management"), "the path is part of the ARN"


def test_an_organization_condition_admits_its_members_only(brownfield: Sandbox) -> None:
    assert assume(CI_ROLE, "old-member-b").client("sts").get_caller_identity()["Account"] == MEMBER_A
    assert assume(CI_ROLE, "old-management")
    denied(CI_ROLE, "management")
    denied(CI_ROLE, "standalone")


def test_external_id(brownfield: Sandbox) -> None:
    condition = {"StringEquals": {"sts:ExternalId": "ticket-42"}}
    role = make_role("vendor", trust({"Effect": "Allow", "Principal": {"AWS": MGMT}, "Action": "sts:AssumeRole", "Condition": condition}))
    denied(role)
    denied(role, ExternalId="ticket-41")
    assert assume(role, "management", ExternalId="ticket-42")


def test_explicit_deny_and_principal_conditions(brownfield: Sandbox) -> None:
    allow = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": STANDALONE}},
    }
    only_operators = {**allow, "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/orgnb-operator"}}}
    role = make_role("open-but", trust(allow, deny))
    assert assume(role, "management")
    denied(role, "standalone")
    operators = make_role("operators", trust(only_operators))
    assert assume(operators, "management")
    with pytest.raises(ClientError) as info:
        assume(operators, session=assume(ACCESS_ROLE))
    assert info.value.response["Error"]["Code"] == "AccessDenied", "a role session is no orgnb-operator user"


def test_users_roles_and_their_sessions_as_principals(brownfield: Sandbox) -> None:
    chained = make_role("chained", trust({"Effect": "Allow", "Principal": {"AWS": ACCESS_ROLE}, "Action": "sts:AssumeRole"}))
    admin = assume(ACCESS_ROLE)
    assert assume(chained, session=admin).client("sts").get_caller_identity()["Arn"].endswith("assumed-role/chained/rehearsal")
    denied(chained, "old-member-a")
    user = make_role(
        "one-user", trust({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MGMT}:user/orgnb-operator"}, "Action": "*"})
    )
    assert assume(user, "management")
    denied(user, "old-member-b")


def test_service_principals_never_match_and_unevaluable_trust_refuses(brownfield: Sandbox) -> None:
    denied(f"arn:aws:iam::{OLD_MGMT}:role/orders-api", "old-management")
    condition = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    role = make_role(
        "by-network", trust({"Effect": "Allow", "Principal": {"AWS": MGMT}, "Action": "sts:AssumeRole", "Condition": condition})
    )
    assert (
        "orgnb sandbox cannot evaluate the role's trust policy: it uses condition key aws:SourceIp; condition operator IpAddress"
        in denied(role)
    )
