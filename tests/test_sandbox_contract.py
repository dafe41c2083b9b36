"""Contract: every operation the sandbox emulates answers in the shape botocore's model gives, on a full run.

The flows are the runbook's: migration (invite, leave, accept, delete the old organization), all features,
central root access (enable, AssumeRoot audit, delete, re-audit), member initialization (contacts, name,
primary email with its passcode) and the stack sets the transfer pre-flight reads (AutoDeployment kept). Every
parsed response of every call is checked.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import boto3

from orgnb.sandbox import Sandbox
from tests.shapes import shape_problems

EMULATED = {
    "organizations": {
        "InviteAccountToOrganization", "AcceptHandshake", "DeclineHandshake", "CancelHandshake", "DescribeHandshake",
        "ListHandshakesForOrganization", "ListHandshakesForAccount", "LeaveOrganization", "EnableAllFeatures",
    },
    "iam": {
        "EnableOrganizationsRootCredentialsManagement", "DisableOrganizationsRootCredentialsManagement",
        "EnableOrganizationsRootSessions", "DisableOrganizationsRootSessions", "ListOrganizationsFeatures",
    },
    "sts": {"AssumeRoot"},
    "cloudformation": {"CreateStackSet", "UpdateStackSet", "DescribeStackSet", "ListStackSets"},
    "account": {
        "GetContactInformation", "PutContactInformation", "GetPrimaryEmail", "StartPrimaryEmailUpdate",
        "AcceptPrimaryEmailUpdate", "PutAccountName", "GetAccountInformation",
    },
}  # fmt: skip
MGMT, STANDALONE, OLD_MGMT, MEMBER_A, MEMBER_B = "111122223333", "222233334444", "333344445555", "444455556666", "555566667777"


class Recorder:
    """Checks every parsed response against its output shape and remembers which operations answered."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()
        self.problems: list[str] = []

    def __call__(self, parsed: dict[str, Any], model: Any, http_response: Any, **_: Any) -> None:
        if http_response.status_code >= 300:
            return
        self.seen.add((model.service_model.service_name, model.name))
        self.problems += [f"{model.name}: {p}" for p in shape_problems(model.output_shape, parsed)]

    def session(self, **kwargs: Any) -> boto3.Session:
        session = boto3.Session(region_name="us-east-1", **kwargs)
        session.events.register("after-call", self)
        return session

    def client(self, profile: str, service: str) -> Any:
        return self.session(profile_name=profile).client(service)


def mailbox(sandbox: Sandbox, address: str) -> list[dict[str, str]]:
    return sandbox.admin(f"mailbox?address={urllib.parse.quote(address)}")


def paid(sandbox: Sandbox, account_id: str) -> None:
    sandbox.admin(f"accounts/{account_id}/standalone", {"payment_method": True})


def migration_flow(rec: Recorder, sandbox: Sandbox) -> None:
    org = rec.client("management", "organizations")
    org.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    standalone = org.invite_account_to_organization(Target={"Id": STANDALONE, "Type": "ACCOUNT"}, Notes="join us")["Handshake"]
    rec.client("standalone", "organizations").list_handshakes_for_account()
    rec.client("standalone", "organizations").describe_handshake(HandshakeId=standalone["Id"])
    rec.client("standalone", "organizations").accept_handshake(HandshakeId=standalone["Id"])
    declined = org.invite_account_to_organization(Target={"Id": "legacy-data@example.com", "Type": "EMAIL"})["Handshake"]
    rec.client("old-member-b", "organizations").decline_handshake(HandshakeId=declined["Id"])
    old = rec.client("old-management", "organizations")
    old.deregister_delegated_administrator(AccountId=MEMBER_A, ServicePrincipal="guardduty.amazonaws.com")
    deny_leave = next(p["Id"] for p in old.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"] if p["Name"] == "deny-leave")
    old.detach_policy(PolicyId=deny_leave, TargetId=old.list_roots()["Roots"][0]["Id"])  # its members may leave now
    paid(sandbox, MEMBER_B)
    for member in ("old-member-a", "old-member-b"):
        handshake = org.invite_account_to_organization(
            Target={"Id": {"old-member-a": MEMBER_A, "old-member-b": MEMBER_B}[member], "Type": "ACCOUNT"}
        )
        rec.client(member, "organizations").leave_organization()
        rec.client(member, "organizations").accept_handshake(HandshakeId=handshake["Handshake"]["Id"])
    old.delete_organization()
    cancelled = org.invite_account_to_organization(Target={"Id": OLD_MGMT, "Type": "ACCOUNT"})["Handshake"]
    org.cancel_handshake(HandshakeId=cancelled["Id"])
    org.list_handshakes_for_organization()
    parent = org.enable_all_features()["Handshake"]
    for member in ("standalone", "old-member-a", "old-member-b"):
        client = rec.client(member, "organizations")
        child = client.list_handshakes_for_account(Filter={"ActionType": "ENABLE_ALL_FEATURES"})["Handshakes"][0]
        client.accept_handshake(HandshakeId=child["Id"])
    approve = org.list_handshakes_for_account(Filter={"ActionType": "APPROVE_ALL_FEATURES"})["Handshakes"][0]
    org.accept_handshake(HandshakeId=approve["Id"])
    assert org.describe_handshake(HandshakeId=parent["Id"])["Handshake"]["State"] == "ACCEPTED"
    org.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")  # trusted access needs all features


def root_flow(rec: Recorder) -> None:
    rec.client("management", "organizations").enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    iam = rec.client("management", "iam")
    iam.enable_organizations_root_credentials_management()
    iam.enable_organizations_root_sessions()
    iam.disable_organizations_root_sessions()
    iam.list_organizations_features()
    sts = rec.client("management", "sts")
    for task in ("IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials"):
        creds = sts.assume_root(
            TargetPrincipal=MEMBER_A, TaskPolicyArn={"arn": f"arn:aws:iam::aws:policy/root-task/{task}"}, DurationSeconds=900
        )["Credentials"]
        root = rec.session(
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"]
        )
        root.client("iam").list_access_keys()
    iam.disable_organizations_root_credentials_management()


def member_initialization_flow(rec: Recorder, sandbox: Sandbox) -> None:
    account = rec.client("management", "account")
    contact = {
        "FullName": "Ops",
        "AddressLine1": "1 Example St",
        "City": "Seattle",
        "StateOrRegion": "WA",
        "PostalCode": "98101",
        "CountryCode": "US",
        "PhoneNumber": "+1 206 555 0100",
    }
    account.put_contact_information(ContactInformation=contact)
    account.get_contact_information()
    account.put_contact_information(AccountId=MEMBER_A, ContactInformation=contact)
    account.get_contact_information(AccountId=MEMBER_A)
    account.put_account_name(AccountId=MEMBER_A, AccountName="Legacy prod")
    account.get_account_information(AccountId=MEMBER_A)
    account.get_account_information()
    account.get_primary_email(AccountId=MEMBER_A)
    new = "aws+legacy-prod@example.com"
    account.start_primary_email_update(AccountId=MEMBER_A, PrimaryEmail=new)
    otp = mailbox(sandbox, new)[-1]["body"].rsplit(" ", 1)[-1]
    account.accept_primary_email_update(AccountId=MEMBER_A, PrimaryEmail=new, Otp=otp)


def stack_set_flow(rec: Recorder) -> None:
    cfn = rec.client("old-management", "cloudformation")
    template = '{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}'
    auto = {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    cfn.create_stack_set(StackSetName="contract", TemplateBody=template, PermissionModel="SERVICE_MANAGED", AutoDeployment=auto)
    cfn.update_stack_set(StackSetName="contract", UsePreviousTemplate=True, AutoDeployment={**auto, "RetainStacksOnAccountRemoval": True})
    assert cfn.describe_stack_set(StackSetName="contract")["StackSet"]["AutoDeployment"]["RetainStacksOnAccountRemoval"] is True
    assert {s["StackSetName"] for s in cfn.list_stack_sets()["Summaries"]} == {"legacy-baseline", "contract"}


def test_every_emulated_operation_answers_in_its_shape(brownfield: Sandbox) -> None:
    rec = Recorder()
    stack_set_flow(rec)
    migration_flow(rec, brownfield)
    root_flow(rec)
    member_initialization_flow(rec, brownfield)
    assert rec.problems == []
    for service, operations in EMULATED.items():
        answered = {op for svc, op in rec.seen if svc == service}
        assert operations <= answered, f"{service}: not exercised: {sorted(operations - answered)}"
    assert sum(len(ops) for ops in EMULATED.values()) == 26


def test_the_validator_catches_shape_errors() -> None:
    model = boto3.client("organizations", region_name="us-east-1").meta.service_model.operation_model("DescribeHandshake").output_shape
    assert sorted(shape_problems(model, {"Handshake": {"State": "PENDING", "Parties": [{"Id": "x"}]}})) == [
        "$.Handshake.Parties[0].Type: required member missing",
        "$.Handshake.State: 'PENDING' is not one of HandshakeState's values",
    ]
    assert shape_problems(model, {"Handshake": {"Id": 7}}) == ["$.Handshake.Id: expected string, got int"]
    assert shape_problems(model, {"Surprise": 1}) == ["$.Surprise: not a member of DescribeHandshakeResponse"]
