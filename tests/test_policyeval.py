"""The policy evaluator: IAM's matching, condition and precedence rules on documents, without HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orgnb.aws.policyeval import (
    Effect,
    Request,
    ScpRefusal,
    arn_match,
    condition_holds,
    evaluate,
    glob_match,
    org_context,
    parse,
    principal_context,
    scp_refusal,
    unsupported,
)

ORG_PATH = ("o-abc123/r-ab12/ou-ab12-11111111/",)
CONTEXT = {
    "aws:principalarn": "arn:aws:iam::444455556666:role/ops/deployer",
    "aws:principalaccount": "444455556666",
    "aws:principalorgpaths": ORG_PATH,
    "aws:securetransport": "true",
}


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def decide(document: dict[str, Any], action: str = "iam:GetRole", resource: str | None = "arn:aws:iam::1:role/x", **kw: Any) -> Any:
    return evaluate(document, Request(action, resource, kw.pop("context", CONTEXT), **kw))


@pytest.mark.parametrize(
    ("pattern", "value", "ignore_case", "expected"),
    [
        ("iam:*", "iam:GetRole", False, True),
        ("iam:get*", "iam:GetRole", True, True),
        ("iam:get*", "iam:GetRole", False, False),
        ("iam:Get?ole", "iam:GetRole", False, True),
        ("iam:Get?ole", "iam:GetRRole", False, False),
        ("s3:*Object", "s3:GetObject", False, True),
        ("a.b", "axb", False, False),
    ],
)
def test_wildcards(pattern: str, value: str, ignore_case: bool, expected: bool) -> None:
    assert glob_match(pattern, value, ignore_case) is expected


def test_arns_match_part_by_part() -> None:
    assert arn_match("arn:aws:iam::*:role/ops/*", "arn:aws:iam::444455556666:role/ops/deployer")
    assert not arn_match("arn:aws:iam::*:role/dev/*", "arn:aws:iam::444455556666:role/ops/deployer")
    assert not arn_match("arn:aws:iam::*:root", "arn:aws:sts::444455556666:root"), "the service part differs"


def test_actions_are_case_insensitive_and_notaction_inverts() -> None:
    allow = doc({"Effect": "Allow", "Action": "IAM:get*", "Resource": "*"})
    assert decide(allow) is Effect.ALLOW
    assert decide(allow, action="iam:DeleteRole") is None
    everything_but = doc({"Effect": "Deny", "NotAction": ["iam:Get*", "sts:*"], "Resource": "*"})
    assert decide(everything_but) is None
    assert decide(everything_but, action="organizations:LeaveOrganization") is Effect.DENY


def test_explicit_deny_wins_over_allow() -> None:
    both = doc({"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:GetRole", "Resource": "*"})
    assert decide(both) is Effect.DENY
    assert decide(both, action="iam:ListRoles") is Effect.ALLOW


def test_resources_and_notresources() -> None:
    roles = doc({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:iam::*:role/*"})
    assert decide(roles) is Effect.ALLOW
    assert decide(roles, resource="arn:aws:iam::1:user/x") is None
    not_roles = doc({"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:iam::*:role/*"})
    assert decide(not_roles) is None
    assert decide(not_roles, resource="arn:aws:s3:::bucket") is Effect.DENY


def test_an_unnamed_resource_counts_for_deny_and_not_for_allow() -> None:
    specific = {"Action": "*", "Resource": "arn:aws:iam::*:role/x"}
    assert decide(doc({"Effect": "Deny", **specific}), resource=None) is Effect.DENY
    assert decide(doc({"Effect": "Allow", **specific}), resource=None) is None
    assert decide(doc({"Effect": "Allow", "Action": "*", "Resource": "*"}), resource=None) is Effect.ALLOW
    assert decide(doc({"Effect": "Deny", "Action": "*", "NotResource": "arn:aws:s3:::x"}), resource=None) is Effect.DENY


@pytest.mark.parametrize(
    ("operator", "key", "wanted", "expected"),
    [
        ("StringEquals", "aws:PrincipalAccount", "444455556666", True),
        ("StringEquals", "aws:PrincipalAccount", ["111122223333", "444455556666"], True),
        ("StringNotEquals", "aws:PrincipalAccount", "444455556666", False),
        ("StringEqualsIgnoreCase", "aws:PrincipalArn", "ARN:AWS:IAM::444455556666:ROLE/OPS/DEPLOYER", True),
        ("StringNotEqualsIgnoreCase", "aws:PrincipalArn", "ARN:AWS:IAM::444455556666:ROLE/OPS/DEPLOYER", False),
        ("StringLike", "aws:PrincipalArn", "*:role/ops/*", True),
        ("StringNotLike", "aws:PrincipalArn", "*:role/ops/*", False),
        ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/ops/*", True),
        ("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::444455556666:role/ops/deployer", True),
        ("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/dev/*", True),
        ("ArnNotEquals", "aws:PrincipalArn", "arn:aws:iam::444455556666:role/ops/deployer", False),
        ("Bool", "aws:SecureTransport", "True", True),
        ("Bool", "aws:SecureTransport", False, False),
        ("Null", "aws:AssumedRoot", "true", True),
        ("Null", "aws:PrincipalAccount", "true", False),
        ("Null", "aws:PrincipalAccount", "false", True),
        ("StringEquals", "AWS:PRINCIPALACCOUNT", "444455556666", True),
    ],
)
def test_operators_on_present_keys(operator: str, key: str, wanted: Any, expected: bool) -> None:
    assert condition_holds(operator, key, wanted, CONTEXT) is expected


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", False),
        ("StringNotEquals", True),
        ("ArnNotLike", True),
        ("Bool", False),
        ("StringEqualsIfExists", True),
        ("StringNotEqualsIfExists", True),
        ("BoolIfExists", True),
        ("ForAnyValue:StringLike", False),
        ("ForAllValues:StringLike", True),
    ],
)
def test_operators_on_an_absent_key(operator: str, expected: bool) -> None:
    assert condition_holds(operator, "aws:AssumedRoot", "true", CONTEXT) is expected


def test_multivalued_keys_and_set_operators() -> None:
    paths = {"aws:principalorgpaths": ("o-abc123/r-ab12/ou-a/", "o-abc123/r-ab12/ou-b/")}
    assert condition_holds("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", "o-abc123/*/ou-b/", paths)
    assert not condition_holds("ForAllValues:StringLike", "aws:PrincipalOrgPaths", "o-abc123/*/ou-b/", paths)
    assert condition_holds("ForAllValues:StringLike", "aws:PrincipalOrgPaths", ["*/ou-a/", "*/ou-b/"], paths)
    assert condition_holds("ForAnyValue:StringNotLike", "aws:PrincipalOrgPaths", "*/ou-a/", paths)
    assert not condition_holds("ForAllValues:StringNotLike", "aws:PrincipalOrgPaths", "*/ou-a/", paths)
    assert condition_holds("StringLike", "aws:PrincipalOrgPaths", "*/ou-b/", paths), "no qualifier: any value"
    assert not condition_holds("StringNotLike", "aws:PrincipalOrgPaths", "*/ou-b/", paths), "negated: no value may match"


def test_conditions_and_across_keys_and_operators() -> None:
    deny = doc(
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:PrincipalAccount": "444455556666"},
                "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/break-glass"},
            },
        }
    )
    assert decide(deny) is Effect.DENY
    glass = {**CONTEXT, "aws:principalarn": "arn:aws:iam::444455556666:role/break-glass"}
    assert decide(deny, context=glass) is None


def test_principals_of_trust_policies() -> None:
    trust = doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333344445555:root"}, "Action": "sts:AssumeRole"})
    allowed = frozenset({"333344445555", "arn:aws:iam::333344445555:root"})
    assert decide(trust, action="sts:AssumeRole", principals=allowed) is Effect.ALLOW
    assert decide(trust, action="sts:AssumeRole", principals=frozenset({"111122223333"})) is None
    service = doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert decide(service, action="sts:AssumeRole", principals=allowed) is None
    anyone = doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    assert decide(anyone, action="sts:AssumeRole", principals=frozenset()) is Effect.ALLOW


def test_a_single_statement_object_is_a_statement_list() -> None:
    assert decide({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}) is Effect.DENY


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (doc({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}), "IpAddress"),
        (doc({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceIp": "x"}}}), "aws:SourceIp"),
        (
            doc({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01"}}}),
            "DateGreaterThan",
        ),
        (
            doc({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}}}),
            "PrincipalTag",
        ),
        (doc({"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::${aws:username}"}), "policy variable"),
        (doc({"Effect": "Deny", "NotPrincipal": {"AWS": "x"}, "Action": "*", "Resource": "*"}), "element NotPrincipal"),
        (doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*"}), "element Principal"),
        (doc({"Effect": "Maybe", "Action": "*", "Resource": "*"}), "Effect"),
        (doc({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Null": {"aws:AssumedRoot": ["true"]}}}), None),
        (doc({"Effect": "Deny", "Action": "*", "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:PrincipalOrgPaths": "x"}}}), None),
    ],
)
def test_unsupported_names_what_the_evaluator_cannot_evaluate(document: dict[str, Any], problem: str | None) -> None:
    found = unsupported(json.dumps(document))
    assert any(problem in p for p in found) if problem else found == [], found


def test_trust_policy_principals_are_checked_for_wildcards() -> None:
    partial = doc({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:role/x"}, "Action": "sts:AssumeRole"})
    assert unsupported(json.dumps(partial), principal=True) == ["wildcard in principal arn:aws:iam::*:role/x"]
    assert unsupported(json.dumps(doc({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"})), principal=True) == []


def test_documents_that_are_not_policies() -> None:
    assert unsupported("not json") == ["a document that is not a JSON policy object"]
    with pytest.raises(ValueError):
        parse("[1]")


ALLOW_ALL = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
DENY_LEAVE = doc({"Sid": "DenyLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"})


def test_scps_refuse_on_any_deny_of_the_path_and_on_a_level_without_an_allow() -> None:
    leave = Request("organizations:LeaveOrganization", None, CONTEXT)
    root, ou, account = [("FullAWSAccess", ALLOW_ALL)], [("FullAWSAccess", ALLOW_ALL)], [("FullAWSAccess", ALLOW_ALL)]
    assert scp_refusal([root, ou, account], leave) is None
    assert scp_refusal([root, [*ou, ("deny-leave", DENY_LEAVE)], account], leave) == ScpRefusal(1, "deny-leave", "DenyLeave")
    unnamed = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, {"Effect": "Deny", "Action": "organizations:*", "Resource": "*"})
    assert scp_refusal([root, ou, [("mixed", unnamed)]], leave) == ScpRefusal(2, "mixed", "Statement[1]")
    refused = scp_refusal([root, [], account], leave)
    assert refused == ScpRefusal(1) and refused is not None and not refused.explicit, "no SCP at the OU allows"
    assert scp_refusal([[("deny-leave", DENY_LEAVE)], [], account], leave) == ScpRefusal(0, "deny-leave", "DenyLeave"), "a deny wins"


def test_the_keys_a_principal_brings() -> None:
    session = principal_context("arn:aws:iam::444455556666:root", "444455556666", "Account", "444455556666", assumed_root=True)
    assert session["aws:assumedroot"] == "true" and session["aws:principalarn"] == "arn:aws:iam::444455556666:root"
    role = principal_context("arn:aws:iam::444455556666:role/x", "444455556666", "AssumedRole", "AROAX:orgnb")
    assert "aws:assumedroot" not in role and "aws:username" not in role and role["aws:securetransport"] == "true"
    assert org_context("o-abc123", ORG_PATH[0]) == {"aws:principalorgid": "o-abc123", "aws:principalorgpaths": ORG_PATH}
