"""The sandbox's Account Management operations, quotas and brownfield estate, seen through boto3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from orgnb.sandbox import Sandbox
from tests.conftest import created_account

MEMBER_A, MEMBER_B, OLD_MGMT = "444455556666", "555566667777", "333344445555"
CONTACT = {
    "FullName": "Ops",
    "AddressLine1": "1 Example Street",
    "City": "Seattle",
    "StateOrRegion": "WA",
    "PostalCode": "98101",
    "CountryCode": "US",
    "PhoneNumber": "+1 206 555 0100",
}


def client(profile: str, service: str):
    return boto3.Session(profile_name=profile).client(service, region_name="us-east-1")


def error_of(call, *args, **kwargs) -> ClientError:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value


def test_brownfield_accounts_and_old_organization(brownfield: Sandbox) -> None:
    assert brownfield.calls() == [], "seeding leaves no calls in the log"
    org = client("old-management", "organizations")
    assert {a["Id"]: a["Name"] for a in org.list_accounts()["Accounts"]} == {
        OLD_MGMT: "Example Legacy",
        MEMBER_A: "Legacy prod",
        MEMBER_B: "Legacy data",
    }
    old_org = org.describe_organization()["Organization"]["Id"]
    assert client("old-member-b", "organizations").describe_organization()["Organization"]["Id"] == old_org
    principals = {s["ServicePrincipal"] for s in org.list_aws_service_access_for_organization()["EnabledServicePrincipals"]}
    assert principals == {
        "cloudtrail.amazonaws.com",
        "sso.amazonaws.com",
        "guardduty.amazonaws.com",
        "ram.amazonaws.com",
        "member.org.stacksets.cloudformation.amazonaws.com",
    }
    assert org.list_delegated_administrators()["DelegatedAdministrators"][0]["Id"] == MEMBER_A
    trust = client("old-member-a", "iam").get_role(RoleName="ci-deployer")["Role"]["AssumeRolePolicyDocument"]
    assert old_org in str(trust)
    err = error_of(client("management", "organizations").describe_organization)
    assert err.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"


def test_brownfield_shared_services(brownfield: Sandbox) -> None:
    """What the old organization gives its members: a RAM share, a baseline stack set (its AutoDeployment kept, as
    AWS keeps it), an Identity Center assignment."""
    ram = client("old-management", "ram")
    [share] = ram.get_resource_shares(resourceOwner="SELF")["resourceShares"]
    [principal] = ram.get_resource_share_associations(associationType="PRINCIPAL")["resourceShareAssociations"]
    assert share["name"] == "legacy-network" and ":organization/o-" in principal["associatedEntity"]
    cfn = client("old-management", "cloudformation")
    [summary] = cfn.list_stack_sets(Status="ACTIVE")["Summaries"]
    assert summary["PermissionModel"] == "SERVICE_MANAGED"
    assert summary["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert {i["Account"] for i in cfn.list_stack_instances(StackSetName="legacy-baseline")["Summaries"]} == {MEMBER_A}
    cfn.update_stack_set(
        StackSetName="legacy-baseline", UsePreviousTemplate=True, AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": True}
    )
    assert cfn.describe_stack_set(StackSetName="legacy-baseline")["StackSet"]["AutoDeployment"]["RetainStacksOnAccountRemoval"] is True
    sso = client("old-management", "sso-admin")
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    [ps] = sso.list_permission_sets_provisioned_to_account(InstanceArn=instance, AccountId=MEMBER_A)["PermissionSets"]
    [given] = sso.list_account_assignments(InstanceArn=instance, AccountId=MEMBER_A, PermissionSetArn=ps)["AccountAssignments"]
    assert given["PrincipalType"] == "GROUP"
    assert sso.list_account_assignments(InstanceArn=instance, AccountId=MEMBER_B, PermissionSetArn=ps)["AccountAssignments"] == []


def test_account_summary_serves_the_scenarios_root_facts(brownfield: Sandbox) -> None:
    assert client("management", "iam").get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 1
    summary = client("old-management", "iam").get_account_summary()["SummaryMap"]
    assert (summary["AccountMFAEnabled"], summary["AccountAccessKeysPresent"]) == (0, 0)


def test_contact_information_in_the_standalone_context(brownfield: Sandbox) -> None:
    """Every account signed up through the console has the contact its owner gave; the fresh management account's
    is its founder's, not yet the organization's planned one."""
    account = client("management", "account")
    signed_up = account.get_contact_information()["ContactInformation"]
    assert (signed_up["FullName"], signed_up["PhoneNumber"]) == ("Dana Whitfield", "+1 206 555 0147")
    for profile in ("standalone", "old-management"):
        info = client(profile, "account").get_contact_information()["ContactInformation"]
        assert info["CompanyName"] == "Example Corp" and info["PhoneNumber"].startswith("+1 ")
    account.put_contact_information(ContactInformation=CONTACT)
    assert account.get_contact_information()["ContactInformation"] == CONTACT


def test_a_created_account_gets_the_management_accounts_company_and_address(brownfield: Sandbox) -> None:
    info = client("old-member-a", "account").get_contact_information()["ContactInformation"]
    legacy = client("old-management", "account").get_contact_information()["ContactInformation"]
    assert info == {k: legacy[k] for k in ("CompanyName", "AddressLine1", "City", "StateOrRegion", "PostalCode", "CountryCode")}


def test_account_information_answers_each_accounts_own_creation_date(brownfield: Sandbox) -> None:
    now = datetime.now(UTC)
    created = {
        p: client(p, "account").get_account_information()["AccountCreatedDate"] for p in ("management", "standalone", "old-member-a")
    }
    assert now - created["management"] < timedelta(days=30) and now - created["standalone"] > timedelta(days=365)
    assert now - created["old-member-a"] > timedelta(days=3 * 365 - 1)
    joined = client("old-management", "organizations").describe_account(AccountId=MEMBER_A)["Account"]["JoinedTimestamp"]
    assert joined == created["old-member-a"], "a created account joined its organization when it was created"


def test_contact_information_is_validated(brownfield: Sandbox) -> None:
    bad = {**CONTACT, "PhoneNumber": "555", "StateOrRegion": None}
    del bad["StateOrRegion"]
    err = error_of(client("management", "account").put_contact_information, ContactInformation=bad)
    assert err.response["Error"]["Code"] == "ValidationException"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.response["reason"] == "fieldValidationFailed"
    assert {f["name"] for f in err.response["fieldList"]} == {"PhoneNumber", "StateOrRegion"}


def test_account_id_rules(brownfield: Sandbox) -> None:
    account = client("old-management", "account")
    # trusted access for account.amazonaws.com is off in the old organization
    err = error_of(account.get_account_information, AccountId=MEMBER_A)
    assert (err.response["Error"]["Code"], err.response["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDeniedException", 403)
    client("old-management", "organizations").enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    account.put_account_name(AccountId=MEMBER_A, AccountName="Renamed")
    assert account.get_account_information(AccountId=MEMBER_A)["AccountName"] == "Renamed"
    names = {a["Id"]: a["Name"] for a in client("old-management", "organizations").list_accounts()["Accounts"]}
    assert names[MEMBER_A] == "Renamed"
    assert "standalone context" in str(error_of(account.get_account_information, AccountId=OLD_MGMT))
    # a member may not act on others, nor name its own id
    assert (
        error_of(client("old-member-a", "account").get_account_information, AccountId=MEMBER_B).response["Error"]["Code"]
        == "AccessDeniedException"
    )
    # an account outside the organization
    assert error_of(account.get_account_information, AccountId="222233334444").response["Error"]["Code"] == "AccessDeniedException"
    # the alternate-contact operations follow the same rules
    assert error_of(client("old-member-a", "account").get_alternate_contact, AccountId=MEMBER_B, AlternateContactType="BILLING")


def test_account_name_rules(brownfield: Sandbox) -> None:
    account = client("management", "account")
    account.put_account_name(AccountName="Management Account")
    assert account.get_account_information()["AccountName"] == "Management Account"
    assert error_of(account.put_account_name, AccountName="a<b>").response["Error"]["Code"] == "ValidationException"


def test_account_quota_is_served_and_enforced(sandbox: Sandbox) -> None:
    quotas = client("management", "service-quotas")
    org = client("management", "organizations")
    org.create_organization(FeatureSet="ALL")
    assert quotas.get_service_quota(ServiceCode="organizations", QuotaCode="L-E619E033")["Quota"]["Value"] == 10.0
    sandbox.settings(create_account_seconds=0)  # each request ends on the first read after it
    for n in range(9):
        created_account(org, AccountName=f"a{n}", Email=f"aws+a{n}@example.com")
    err = error_of(org.create_account, AccountName="one-too-many", Email="aws+x@example.com")
    assert err.response["Error"]["Code"] == "ConstraintViolationException"
    assert err.response["Reason"] == "ACCOUNT_NUMBER_LIMIT_EXCEEDED"
    assert len(org.list_accounts()["Accounts"]) == 10


def test_primary_email_update_with_the_mailed_passcode(brownfield: Sandbox) -> None:
    import urllib.parse

    client("old-management", "organizations").enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    account = client("old-management", "account")
    assert account.get_primary_email(AccountId=MEMBER_A)["PrimaryEmail"] == "legacy-prod@example.com"
    new = "aws+legacy-prod@example.com"
    assert account.start_primary_email_update(AccountId=MEMBER_A, PrimaryEmail=new)["Status"] == "PENDING"
    otp = brownfield.admin(f"mailbox?address={urllib.parse.quote(new)}")[-1]["body"].rsplit(" ", 1)[-1]
    assert len(otp) == 6
    bad = error_of(account.accept_primary_email_update, AccountId=MEMBER_A, PrimaryEmail=new, Otp="zzzzzz" if otp != "zzzzzz" else "yyyyyy")
    assert bad.response["Error"]["Code"] == "ValidationException" and bad.response["fieldList"][0]["name"] == "Otp"
    other = error_of(account.accept_primary_email_update, AccountId=MEMBER_A, PrimaryEmail="aws+other@example.com", Otp=otp)
    assert other.response["fieldList"][0]["name"] == "PrimaryEmail"
    assert account.accept_primary_email_update(AccountId=MEMBER_A, PrimaryEmail=new, Otp=otp)["Status"] == "ACCEPTED"
    assert account.get_primary_email(AccountId=MEMBER_A)["PrimaryEmail"] == new
    emails = {a["Id"]: a["Email"] for a in client("old-management", "organizations").list_accounts()["Accounts"]}
    assert emails[MEMBER_A] == new
    assert (
        error_of(account.accept_primary_email_update, AccountId=MEMBER_A, PrimaryEmail=new, Otp=otp).response["Error"]["Code"]
        == "ResourceNotFoundException"
    )
    taken = error_of(account.start_primary_email_update, AccountId=MEMBER_B, PrimaryEmail=new)
    assert (taken.response["Error"]["Code"], taken.response["ResponseMetadata"]["HTTPStatusCode"]) == ("ConflictException", 409)
    assert "standalone context" in str(error_of(account.get_primary_email, AccountId=OLD_MGMT))


def test_primary_email_refusals(brownfield: Sandbox) -> None:
    from datetime import timedelta

    from orgnb.sandbox import account_api

    client("old-management", "organizations").enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    account = client("old-management", "account")
    assert (
        error_of(account.start_primary_email_update, AccountId=MEMBER_A, PrimaryEmail="not-an-email").response["Error"]["Code"]
        == "ValidationException"
    )
    assert (
        error_of(client("standalone", "account").get_primary_email, AccountId=MEMBER_A).response["Error"]["Code"] == "AccessDeniedException"
    )
    account.start_primary_email_update(AccountId=MEMBER_A, PrimaryEmail="aws+late@example.com")
    account_api.PENDING_EMAILS[MEMBER_A].expires -= timedelta(days=2)
    late = error_of(
        account.accept_primary_email_update,
        AccountId=MEMBER_A,
        PrimaryEmail="aws+late@example.com",
        Otp=account_api.PENDING_EMAILS[MEMBER_A].otp,
    )
    assert late.response["Error"]["Code"] == "ValidationException" and "expired" in late.response["fieldList"][0]["message"]
