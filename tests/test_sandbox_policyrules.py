"""Policy rules in the sandbox: AttachPolicy's refusals and the EC2 declarative policy type, over HTTP with boto3."""

from __future__ import annotations

import json

from orgnb.sandbox import Sandbox
from tests.test_sandbox_organizations import code_of, org

DENY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}]})
DECLARATIVE = json.dumps({"ec2_attributes": {"image_block_public_access": {"state": {"@@assign": "block_new_sharing"}}}})


def names_on(target: str, policy_type: str) -> list[str]:
    return sorted(p["Name"] for p in org("management").list_policies_for_target(TargetId=target, Filter=policy_type)["Policies"])


def test_default_policies_follow_their_type_as_aws_attaches_them(sandbox: Sandbox) -> None:
    mgmt = org("management")
    mgmt.create_organization(FeatureSet="ALL")
    root = mgmt.list_roots()["Roots"][0]
    assert [t["Type"] for t in root["PolicyTypes"] if t["Status"] == "ENABLED"] == ["SERVICE_CONTROL_POLICY"], "SCPs come enabled"
    ou = mgmt.create_organizational_unit(ParentId=root["Id"], Name="Workloads")["OrganizationalUnit"]["Id"]
    assert names_on(ou, "SERVICE_CONTROL_POLICY") == ["FullAWSAccess"]
    assert names_on(ou, "RESOURCE_CONTROL_POLICY") == [], "RCPs are not enabled yet"
    mgmt.enable_policy_type(RootId=root["Id"], PolicyType="RESOURCE_CONTROL_POLICY")
    assert names_on(ou, "RESOURCE_CONTROL_POLICY") == names_on(root["Id"], "RESOURCE_CONTROL_POLICY") == ["RCPFullAWSAccess"]
    mgmt.disable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    assert names_on(ou, "SERVICE_CONTROL_POLICY") == names_on(root["Id"], "SERVICE_CONTROL_POLICY") == []
    later = mgmt.create_organizational_unit(ParentId=root["Id"], Name="Later")["OrganizationalUnit"]["Id"]
    assert names_on(later, "SERVICE_CONTROL_POLICY") == [] and names_on(later, "RESOURCE_CONTROL_POLICY") == ["RCPFullAWSAccess"]
    mgmt.enable_policy_type(RootId=root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
    assert names_on(later, "SERVICE_CONTROL_POLICY") == ["FullAWSAccess"]


def test_a_consolidated_billing_organization_has_no_policy_type_and_no_default_attached(sandbox: Sandbox) -> None:
    mgmt = org("management")
    mgmt.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    root = mgmt.list_roots()["Roots"][0]
    assert root["PolicyTypes"] == []
    assert [p["Name"] for p in mgmt.list_policies_for_target(TargetId=root["Id"], Filter="SERVICE_CONTROL_POLICY")["Policies"]] == []


def test_attach_policy_needs_its_type_enabled_refuses_a_duplicate_and_stops_at_five_per_target(sandbox: Sandbox) -> None:
    mgmt = org("management")
    mgmt.create_organization(FeatureSet="ALL")
    root = mgmt.list_roots()["Roots"][0]["Id"]
    tls = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]})
    rcp = mgmt.create_policy(Name="tls", Description="d", Type="RESOURCE_CONTROL_POLICY", Content=tls)["Policy"]["PolicySummary"]["Id"]
    assert code_of(mgmt.attach_policy, PolicyId=rcp, TargetId=root) == ("PolicyTypeNotEnabledException", None)
    ids = [
        mgmt.create_policy(Name=f"deny-{i}", Description="d", Type="SERVICE_CONTROL_POLICY", Content=DENY)["Policy"]["PolicySummary"]["Id"]
        for i in range(5)
    ]
    mgmt.attach_policy(PolicyId=ids[0], TargetId=root)
    assert code_of(mgmt.attach_policy, PolicyId=ids[0], TargetId=root) == ("DuplicatePolicyAttachmentException", None)
    for policy_id in ids[1:4]:
        mgmt.attach_policy(PolicyId=policy_id, TargetId=root)
    assert len(names_on(root, "SERVICE_CONTROL_POLICY")) == 5, "FullAWSAccess and four of ours"
    assert code_of(mgmt.attach_policy, PolicyId=ids[4], TargetId=root) == ("ConstraintViolationException", "POLICY_NUMBER_LIMIT_EXCEEDED")


def test_an_ec2_declarative_policy_is_created_attached_and_its_syntax_checked(sandbox: Sandbox) -> None:
    mgmt = org("management")
    mgmt.create_organization(FeatureSet="ALL")
    root = mgmt.list_roots()["Roots"][0]["Id"]
    mgmt.enable_policy_type(RootId=root, PolicyType="DECLARATIVE_POLICY_EC2")
    bad = json.dumps({"Version": "2012-10-17", "Statement": []})
    create = {"Name": "ec2-baseline", "Description": "d", "Type": "DECLARATIVE_POLICY_EC2"}
    assert code_of(mgmt.create_policy, Content=bad, **create) == ("MalformedPolicyDocumentException", None)
    summary = mgmt.create_policy(Content=DECLARATIVE, **create)["Policy"]["PolicySummary"]
    assert "/declarative_policy_ec2/" in summary["Arn"] and summary["Type"] == "DECLARATIVE_POLICY_EC2"
    mgmt.attach_policy(PolicyId=summary["Id"], TargetId=root)
    listed = mgmt.list_policies_for_target(TargetId=root, Filter="DECLARATIVE_POLICY_EC2")["Policies"]
    assert [p["Name"] for p in listed] == ["ec2-baseline"]
    assert code_of(mgmt.update_policy, PolicyId=summary["Id"], Content=bad) == ("MalformedPolicyDocumentException", None)
    assert json.loads(mgmt.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]) == json.loads(DECLARATIVE)


def test_detach_policy_refuses_what_is_not_attached_and_a_targets_last_scp(sandbox: Sandbox) -> None:
    mgmt = org("management")
    mgmt.create_organization(FeatureSet="ALL")
    root = mgmt.list_roots()["Roots"][0]["Id"]
    ou = mgmt.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    deny = mgmt.create_policy(Name="deny", Description="d", Type="SERVICE_CONTROL_POLICY", Content=DENY)["Policy"]["PolicySummary"]["Id"]
    assert code_of(mgmt.detach_policy, PolicyId=deny, TargetId=ou) == ("PolicyNotAttachedException", None)
    assert code_of(mgmt.detach_policy, PolicyId="p-FullAWSAccess", TargetId=ou) == (
        "ConstraintViolationException",
        "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
    )
    mgmt.attach_policy(PolicyId=deny, TargetId=ou)
    mgmt.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou)
    assert names_on(ou, "SERVICE_CONTROL_POLICY") == ["deny"]


def test_ai_opt_out_policies_stop_at_five_per_target(sandbox: Sandbox) -> None:
    mgmt = org("management")
    mgmt.create_organization(FeatureSet="ALL")
    root = mgmt.list_roots()["Roots"][0]["Id"]
    mgmt.enable_policy_type(RootId=root, PolicyType="AISERVICES_OPT_OUT_POLICY")
    opt_out = json.dumps({"services": {"default": {"opt_out_policy": {"@@assign": "optOut"}}}})
    for i in range(6):
        made = mgmt.create_policy(Name=f"ai-{i}", Description="d", Type="AISERVICES_OPT_OUT_POLICY", Content=opt_out)
        attach = {"PolicyId": made["Policy"]["PolicySummary"]["Id"], "TargetId": root}
        if i < 5:
            mgmt.attach_policy(**attach)
    assert code_of(mgmt.attach_policy, **attach) == ("ConstraintViolationException", "POLICY_NUMBER_LIMIT_EXCEEDED")
