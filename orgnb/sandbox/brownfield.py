"""The brownfield estate, built through the sandbox's own API as an operator would have built it over the years."""

from __future__ import annotations

import json
import time
from datetime import UTC, timedelta
from typing import Any, NamedTuple

IMAGE_ID = "ami-0abcdef1234567890"  # the sandbox does not load moto's default image catalogue (slow, unused)
OLD_SCP = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
DATA_SCP = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": ["s3:DeleteBucket", "dynamodb:DeleteTable"], "Resource": "*"}],
}
BASELINE_TEMPLATE = {"Resources": {"Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "security-alerts"}}}}


class OldOrganization(NamedTuple):
    """What later seeding steps need to know of the old organization."""

    id: str
    arn: str
    production_ou: str


def _org_condition(org_id: str) -> dict[str, Any]:
    return {"StringEquals": {"aws:PrincipalOrgID": org_id}}


def seed_old_organization(builder: Any) -> OldOrganization:
    """The old organization: members with their stable ids, an OU, an SCP, trusted services, a delegated admin."""
    org = builder.client("old-management", "organizations")
    created = org.create_organization(FeatureSet="ALL")["Organization"]
    root = org.list_roots()["Roots"][0]["Id"]
    with builder.fixed_account_ids([builder.scenario.account(p).account_id for p in builder.scenario.members]):
        for profile in builder.scenario.members:
            member = builder.scenario.account(profile)
            _wait_for(org, org.create_account(AccountName=member.name, Email=member.email)["CreateAccountStatus"]["Id"])
    _age_members(builder)
    production = org.create_organizational_unit(ParentId=root, Name="Production")["OrganizationalUnit"]["Id"]
    org.move_account(AccountId=builder.scenario.account("old-member-a").account_id, SourceParentId=root, DestinationParentId=production)
    # GuardDuty's trusted access first: AWS refuses a delegated administrator for a service without it
    for principal in ("cloudtrail.amazonaws.com", "sso.amazonaws.com", "guardduty.amazonaws.com"):
        org.enable_aws_service_access(ServicePrincipal=principal)
    policy = org.create_policy(
        Name="deny-leave", Description="members may not leave", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(OLD_SCP)
    )
    org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=root)
    org.register_delegated_administrator(
        AccountId=builder.scenario.account("old-member-a").account_id, ServicePrincipal="guardduty.amazonaws.com"
    )
    return OldOrganization(str(created["Id"]), str(created["Arn"]), str(production))


def _wait_for(org: Any, request_id: str) -> None:
    """Poll a CreateAccount request until it ends, as an operator would (it ends at once while seeding)."""
    while org.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]["State"] == "IN_PROGRESS":
        time.sleep(0.01)


def _age_members(builder: Any) -> None:
    """The old members were created long ago, as the scenario says (long past the wait before a created account may
    leave): in Organizations and in the registry alike. The old organization dates from an hour before its first member
    (the management account's JoinedTimestamp; no two accounts share one, as moto pages ListAccounts by it)."""
    from moto.core.utils import utcnow
    from moto.organizations.models import organizations_backends

    from orgnb.sandbox import registry

    management = builder.scenario.account("old-management").account_id
    backend = organizations_backends[management]["aws"]
    by_id = {a.id: a for a in backend.accounts}
    for n, profile in enumerate(builder.scenario.members):
        member = builder.scenario.account(profile)
        by_id[member.account_id].create_time = utcnow() - timedelta(days=member.created_days_ago, minutes=n)
        registry.record(member.account_id).created_at = by_id[member.account_id].create_time.replace(tzinfo=UTC)
    by_id[management].create_time = min(a.create_time for a in backend.accounts) - timedelta(hours=1)  # its JoinedTimestamp


def seed_org_references(builder: Any, org_id: str) -> None:
    """Policies that name the old organization: a CI role's trust, a bucket policy, a KMS key policy."""
    iam = builder.client("old-member-a", "iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": _org_condition(org_id)}],
    }
    iam.create_role(RoleName="ci-deployer", AssumeRolePolicyDocument=json.dumps(trust))
    s3 = builder.client("old-member-a", "s3")
    s3.create_bucket(Bucket="legacy-prod-artifacts")
    bucket_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::legacy-prod-artifacts/*",
                "Condition": _org_condition(org_id),
            }
        ],
    }
    s3.put_bucket_policy(Bucket="legacy-prod-artifacts", Policy=json.dumps(bucket_policy))
    kms = builder.client("old-management", "kms")
    mgmt = builder.scenario.account("old-management").account_id
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{mgmt}:root"}, "Action": "kms:*", "Resource": "*"},
            {
                "Sid": "org-decrypt",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": _org_condition(org_id),
            },
        ],
    }
    kms.create_key(Description="legacy backups", Policy=json.dumps(key_policy))


def seed_production(builder: Any) -> None:
    """Workloads in the old management account: an instance, a function, a table, a bucket, a stack."""
    profile = "old-management"
    builder.client(profile, "ec2").run_instances(ImageId=IMAGE_ID, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    iam = builder.client(profile, "iam")
    lambda_trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    role_arn = iam.create_role(RoleName="orders-api", AssumeRolePolicyDocument=json.dumps(lambda_trust))["Role"]["Arn"]
    builder.client(profile, "lambda").create_function(
        FunctionName="orders-api", Runtime="python3.12", Role=role_arn, Handler="app.handler", Code={"ZipFile": builder.zipped_handler()}
    )
    builder.client(profile, "dynamodb").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    builder.client(profile, "s3").create_bucket(Bucket="legacy-orders-exports")
    template = {"Resources": {"Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "orders-alerts"}}}}
    builder.client(profile, "cloudformation").create_stack(StackName="orders-monitoring", TemplateBody=json.dumps(template))


def seed_shared_services(builder: Any, old: OldOrganization) -> None:
    """What the old organization gives its members, and a transfer takes away: a subnet shared with the whole
    organization through RAM, a baseline stack set on the Production OU (its stacks deleted from an account that
    leaves), an Identity Center assignment in old-member-a, and a guardrail SCP on old-member-b alone."""
    member_a = builder.scenario.account("old-member-a").account_id
    org = builder.client("old-management", "organizations")
    # what `aws ram enable-sharing-with-aws-organization` and the StackSets console's "Activate trusted access" turn on
    for principal in ("ram.amazonaws.com", "member.org.stacksets.cloudformation.amazonaws.com"):
        org.enable_aws_service_access(ServicePrincipal=principal)
    _share_subnet(builder, old.arn)
    builder.client("old-management", "cloudformation").create_stack_set(
        StackSetName="legacy-baseline",
        TemplateBody=json.dumps(BASELINE_TEMPLATE),
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
    )
    builder.client("old-management", "cloudformation").create_stack_instances(
        StackSetName="legacy-baseline", DeploymentTargets={"OrganizationalUnitIds": [old.production_ou]}, Regions=[builder.scenario.region]
    )
    _assign_identity_center(builder, member_a)
    guardrail = org.create_policy(
        Name="protect-data", Description="keep the legacy data", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(DATA_SCP)
    )
    org.attach_policy(PolicyId=guardrail["Policy"]["PolicySummary"]["Id"], TargetId=builder.scenario.account("old-member-b").account_id)


def _share_subnet(builder: Any, org_arn: str) -> None:
    ec2 = builder.client("old-management", "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetArn"]
    ram = builder.client("old-management", "ram")
    ram.enable_sharing_with_aws_organization()
    ram.create_resource_share(name="legacy-network", resourceArns=[subnet], principals=[org_arn], allowExternalPrincipals=False)


def _assign_identity_center(builder: Any, account_id: str) -> None:
    sso = builder.client("old-management", "sso-admin")
    instance = sso.list_instances()["Instances"][0]
    permission_set = sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name="LegacyOperator")["PermissionSet"]
    group = builder.client("old-management", "identitystore").create_group(
        IdentityStoreId=instance["IdentityStoreId"], DisplayName="legacy-operators"
    )
    target = {"InstanceArn": instance["InstanceArn"], "PermissionSetArn": permission_set["PermissionSetArn"], "TargetId": account_id}
    sso.create_account_assignment(**target, TargetType="AWS_ACCOUNT", PrincipalType="GROUP", PrincipalId=group["GroupId"])
    # AWS provisions the permission set with the assignment; moto lists it as provisioned only after this call
    sso.provision_permission_set(**target, TargetType="AWS_ACCOUNT")


def seed(builder: Any) -> None:
    """Everything beyond bare accounts in the brownfield scenario."""
    old = seed_old_organization(builder)
    seed_org_references(builder, old.id)
    seed_production(builder)
    seed_shared_services(builder, old)
