"""Centralized root access in the sandbox: IAM organization features, AssumeRoot, the root credential store."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError

from orgnb.sandbox import Sandbox
from tests.conftest import created_account

OLD_MGMT, MEMBER_A, MEMBER_B = "333344445555", "444455556666", "555566667777"
TASK = "arn:aws:iam::aws:policy/root-task/"


def client(profile: str, service: str):
    return boto3.Session(profile_name=profile).client(service, region_name="us-east-1")


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response["Error"]["Code"]


def root_session(target: str, task: str, duration: int = 900, profile: str = "old-management") -> boto3.Session:
    creds = client(profile, "sts").assume_root(TargetPrincipal=target, TaskPolicyArn={"arn": TASK + task}, DurationSeconds=duration)[
        "Credentials"
    ]
    assert creds["AccessKeyId"].startswith("ASIA")
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


@pytest.fixture
def central(brownfield: Sandbox) -> Sandbox:
    client("old-management", "organizations").enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    client("old-management", "iam").enable_organizations_root_credentials_management()
    return brownfield


def test_feature_operations_and_their_preconditions(brownfield: Sandbox) -> None:
    iam = client("old-management", "iam")
    assert code_of(client("management", "iam").list_organizations_features) == "OrganizationNotFoundException"
    assert code_of(client("old-member-b", "iam").list_organizations_features) == "AccountNotManagementOrDelegatedAdministratorException"
    assert code_of(iam.enable_organizations_root_sessions) == "ServiceAccessNotEnabledException"
    client("old-management", "organizations").enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    assert iam.enable_organizations_root_sessions()["EnabledFeatures"] == ["RootSessions"]
    assert iam.enable_organizations_root_credentials_management()["EnabledFeatures"] == ["RootCredentialsManagement", "RootSessions"]
    assert iam.enable_organizations_root_sessions()["EnabledFeatures"] == ["RootCredentialsManagement", "RootSessions"], "idempotent"
    assert iam.disable_organizations_root_sessions()["EnabledFeatures"] == ["RootCredentialsManagement"]
    assert iam.list_organizations_features()["OrganizationId"].startswith("o-")
    client("old-management", "organizations").register_delegated_administrator(AccountId=MEMBER_B, ServicePrincipal="iam.amazonaws.com")
    assert client("old-member-b", "iam").list_organizations_features()["EnabledFeatures"] == ["RootCredentialsManagement"]
    assert code_of(client("old-member-b", "iam").enable_organizations_root_sessions) == "CallerIsNotManagementAccountException"


def test_all_features_are_required(sandbox: Sandbox) -> None:
    client("management", "organizations").create_organization(FeatureSet="CONSOLIDATED_BILLING")
    assert code_of(client("management", "iam").list_organizations_features) == "OrganizationNotInAllFeaturesModeException"


def test_audit_and_delete_member_root_credentials(central: Sandbox) -> None:
    audit = root_session(MEMBER_A, "IAMAuditRootUserCredentials").client("iam")
    assert audit.get_login_profile()["LoginProfile"]["UserName"] == MEMBER_A
    keys = audit.list_access_keys()["AccessKeyMetadata"]
    mfa = audit.list_mfa_devices()["MFADevices"]
    certs = audit.list_signing_certificates()["Certificates"]
    assert (len(keys), len(mfa), len(certs)) == (1, 1, 1)
    assert code_of(audit.delete_login_profile) == "AccessDenied", "outside the audit task policy"
    assert code_of(audit.create_user, UserName="intruder") == "AccessDenied"
    assert code_of(audit.get_login_profile, UserName="someone") == "AccessDenied"
    delete = root_session(MEMBER_A, "IAMDeleteRootUserCredentials").client("iam")
    delete.delete_login_profile()
    delete.delete_access_key(AccessKeyId=keys[0]["AccessKeyId"])
    delete.deactivate_mfa_device(SerialNumber=mfa[0]["SerialNumber"])
    delete.delete_signing_certificate(CertificateId=certs[0]["CertificateId"])
    assert code_of(delete.delete_access_key, AccessKeyId=keys[0]["AccessKeyId"]) == "NoSuchEntity"
    again = root_session(MEMBER_A, "IAMAuditRootUserCredentials").client("iam")
    assert code_of(again.get_login_profile) == "NoSuchEntity"
    assert again.list_access_keys()["AccessKeyMetadata"] == [] and again.list_mfa_devices()["MFADevices"] == []
    summary = client("old-member-a", "iam").get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (0, 0)
    recover = root_session(MEMBER_A, "IAMCreateRootUserPassword").client("iam")
    recover.create_login_profile()
    assert code_of(recover.create_login_profile) == "EntityAlreadyExists"


def test_root_session_identity_and_expiry(central: Sandbox) -> None:
    creds = client("old-management", "sts").assume_root(
        TargetPrincipal=MEMBER_A, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"}, DurationSeconds=8
    )["Credentials"]  # 8 s: long enough to be used once on a busy machine
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )
    expiration = creds["Expiration"].timestamp()
    assert session.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{MEMBER_A}:root"
    time.sleep(max(0.0, expiration + 1.1 - time.time()))  # Expiration may be cut to the second; the sandbox uses the same clock
    assert code_of(session.client("iam").list_access_keys) == "ExpiredToken"


def test_assume_root_refusals(central: Sandbox) -> None:
    sts = client("old-management", "sts")
    arn = {"arn": TASK + "IAMAuditRootUserCredentials"}
    assert code_of(sts.assume_root, TargetPrincipal=MEMBER_A, TaskPolicyArn=arn, DurationSeconds=901) == "ValidationError"
    assert code_of(sts.assume_root, TargetPrincipal="not-an-account", TaskPolicyArn=arn) == "ValidationError"
    assert code_of(sts.assume_root, TargetPrincipal=MEMBER_A, TaskPolicyArn={"arn": TASK + "AdministratorAccess"}) == "ValidationError"
    assert code_of(sts.assume_root, TargetPrincipal=OLD_MGMT, TaskPolicyArn=arn) == "AccessDenied", "not the management account itself"
    assert code_of(sts.assume_root, TargetPrincipal="222233334444", TaskPolicyArn=arn) == "AccessDenied", "not outside the organization"
    assert code_of(sts.assume_root, TargetPrincipal=MEMBER_A, TaskPolicyArn={"arn": TASK + "S3UnlockBucketPolicy"}) == "AccessDenied", (
        "root sessions off"
    )
    member_sts = client("old-member-b", "sts")
    assert code_of(member_sts.assume_root, TargetPrincipal=MEMBER_A, TaskPolicyArn=arn) == "AccessDenied"
    rooted = root_session(MEMBER_A, "IAMAuditRootUserCredentials").client("sts")
    assert code_of(rooted.assume_root, TargetPrincipal=MEMBER_B, TaskPolicyArn=arn) == "AccessDenied"


def test_accounts_created_under_central_management_have_no_root_password(central: Sandbox) -> None:
    org = client("old-management", "organizations")
    created = created_account(org, AccountName="fresh", Email="fresh@example.com")
    audit = root_session(created, "IAMAuditRootUserCredentials").client("iam")
    assert code_of(audit.get_login_profile) == "NoSuchEntity"


def test_password_must_be_omitted_in_a_root_session(central: Sandbox) -> None:
    delete = root_session(MEMBER_A, "IAMDeleteRootUserCredentials").client("iam")
    delete.delete_login_profile()
    recover = root_session(MEMBER_A, "IAMCreateRootUserPassword").client("iam")
    assert code_of(recover.create_login_profile, Password="Secret-Passw0rd!") == "ValidationError"


def test_expired_credentials_are_refused_at_once_saying_so(central: Sandbox) -> None:
    from orgnb.aws.guards import check_reachable
    from orgnb.aws.session import AwsContext
    from orgnb.errors import PreflightRefused

    ctx = AwsContext(root_session(MEMBER_A, "IAMAuditRootUserCredentials", duration=1), "us-east-1")
    time.sleep(1.1)
    with pytest.raises(PreflightRefused, match=r"have expired \(ExpiredToken\)"):
        check_reachable(ctx)


def denied(call, *args, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_the_audit_task_reads_the_account_summary_and_the_delete_task_does_not(central: Sandbox) -> None:
    audit = root_session(MEMBER_A, "IAMAuditRootUserCredentials").client("iam")
    assert audit.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 1
    delete = root_session(MEMBER_A, "IAMDeleteRootUserCredentials").client("iam")
    assert denied(delete.get_account_summary) == ("AccessDenied", 403)


def test_s3_and_sqs_root_sessions_stay_within_their_task_policy(central: Sandbox) -> None:
    client("old-management", "iam").enable_organizations_root_sessions()
    bucket = "legacy-prod-artifacts"  # old-member-a's, with a bucket policy
    queue = client("old-member-a", "sqs").create_queue(QueueName="locked")["QueueUrl"]
    s3 = root_session(MEMBER_A, "S3UnlockBucketPolicy").client("s3")
    assert bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert "aws:PrincipalOrgID" in s3.get_bucket_policy(Bucket=bucket)["Policy"]
    s3.delete_bucket_policy(Bucket=bucket)
    assert denied(s3.delete_bucket, Bucket=bucket) == ("AccessDenied", 403)
    assert denied(s3.put_object, Bucket=bucket, Key="k", Body=b"x") == ("AccessDenied", 403)
    assert denied(root_session(MEMBER_A, "S3UnlockBucketPolicy").client("iam").list_access_keys) == ("AccessDenied", 403)
    client("old-member-a", "s3").head_bucket(Bucket=bucket)  # still there
    sqs = root_session(MEMBER_A, "SQSUnlockQueuePolicy").client("sqs")
    assert sqs.get_queue_url(QueueName="locked")["QueueUrl"] == queue
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"DelaySeconds": "0"})
    assert denied(sqs.delete_queue, QueueUrl=queue) == ("AccessDenied", 403)
    assert denied(sqs.send_message, QueueUrl=queue, MessageBody="x") == ("AccessDenied", 403)
    assert client("old-member-a", "sqs").list_queues()["QueueUrls"] == [queue]


def test_assume_root_needs_trusted_access_for_iam(central: Sandbox) -> None:
    sts = client("old-management", "sts")
    arn = {"arn": TASK + "IAMAuditRootUserCredentials"}
    sts.assume_root(TargetPrincipal=MEMBER_A, TaskPolicyArn=arn)
    client("old-management", "organizations").disable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    assert code_of(sts.assume_root, TargetPrincipal=MEMBER_A, TaskPolicyArn=arn) == "AccessDenied"
