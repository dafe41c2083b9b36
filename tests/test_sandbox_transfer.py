"""Direct transfer between organizations in the sandbox: a member of another organization accepts an invitation and
moves in one step, never standalone; and the refusals (delegated administrator, closed, too young, too soon)."""

from __future__ import annotations

import boto3
import pytest

from orgnb.sandbox import Sandbox
from tests.conftest import created_account
from tests.test_sandbox_organizations import MEMBER_A, MEMBER_B, MGMT, OLD_MGMT, STANDALONE, code_of, invite, org


@pytest.fixture
def new_org(brownfield: Sandbox) -> Sandbox:
    org("management").create_organization(FeatureSet="ALL")
    return brownfield


def old_members() -> set[str]:
    return {a["Id"] for a in org("old-management").list_accounts()["Accounts"]}


def inside_created(account_id: str) -> boto3.Session:
    """A session in an account old-management created (through the role AWS made there)."""
    creds = (
        boto3.Session(profile_name="old-management")
        .client("sts", region_name="us-east-1")
        .assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="test")["Credentials"]
    )
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"]
    )


def test_a_member_moves_directly_without_a_payment_method(new_org: Sandbox) -> None:
    h = invite(MEMBER_B)
    accepted = org("old-member-b").accept_handshake(HandshakeId=h["Id"])["Handshake"]
    assert accepted["State"] == "ACCEPTED"
    assert org("old-member-b").describe_organization()["Organization"]["MasterAccountId"] == MGMT
    assert MEMBER_B not in old_members()
    new = org("management")
    joined = next(a for a in new.list_accounts()["Accounts"] if a["Id"] == MEMBER_B)
    assert joined["JoinedMethod"] == "INVITED" and joined["Status"] == "ACTIVE"
    root = new.list_roots()["Roots"][0]["Id"]
    assert new.list_parents(ChildId=MEMBER_B)["Parents"] == [{"Id": root, "Type": "ROOT"}]
    old = org("old-management")
    full_access = {t["TargetId"] for t in old.list_targets_for_policy(PolicyId="p-FullAWSAccess")["Targets"]}
    assert MEMBER_B not in full_access and MEMBER_B in {
        t["TargetId"] for t in new.list_targets_for_policy(PolicyId="p-FullAWSAccess")["Targets"]
    }


def test_a_delegated_administrator_moves_only_once_deregistered(new_org: Sandbox) -> None:
    h = invite(MEMBER_A)
    refused = ("ConstraintViolationException", "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG")
    assert code_of(org("old-member-a").accept_handshake, HandshakeId=h["Id"]) == refused
    assert MEMBER_A in old_members()  # nothing moved
    org("old-management").deregister_delegated_administrator(AccountId=MEMBER_A, ServicePrincipal="guardduty.amazonaws.com")
    org("old-member-a").accept_handshake(HandshakeId=h["Id"])
    assert MEMBER_A not in old_members()
    old = org("old-management")
    production = old.list_organizational_units_for_parent(ParentId=old.list_roots()["Roots"][0]["Id"])["OrganizationalUnits"][0]["Id"]
    assert old.list_accounts_for_parent(ParentId=production)["Accounts"] == []


def test_the_delegated_administrator_rule_is_a_setting(new_org: Sandbox) -> None:
    new_org.settings(transfer_refuses_delegated_admin=False)
    org("old-member-a").accept_handshake(HandshakeId=invite(MEMBER_A)["Id"])
    assert org("old-management").list_delegated_administrators()["DelegatedAdministrators"] == []


def test_a_young_or_closed_created_account_cannot_move(new_org: Sandbox) -> None:
    old = org("old-management")
    young = created_account(old, AccountName="young", Email="young@example.com")
    closed = created_account(old, AccountName="closed", Email="closed@example.com")
    young_org = inside_created(young).client("organizations", region_name="us-east-1")
    closed_org = inside_created(closed).client("organizations", region_name="us-east-1")
    old.close_account(AccountId=closed)
    to_young = invite(young)["Id"]
    assert code_of(young_org.accept_handshake, HandshakeId=to_young) == ("ConstraintViolationException", "WAIT_PERIOD_ACTIVE")
    assert code_of(closed_org.accept_handshake, HandshakeId=invite(closed)["Id"]) == (
        "ConstraintViolationException",
        "ACCOUNT_CANNOT_LEAVE_ORGANIZATION",
    )
    new_org.settings(created_account_wait_days=0)  # its creation is its last membership change: the interval applies too
    assert code_of(young_org.accept_handshake, HandshakeId=to_young)[1] == "ORGANIZATION_MEMBERSHIP_CHANGE_RATE_LIMIT_EXCEEDED"
    new_org.settings(membership_change_interval_seconds=0)
    young_org.accept_handshake(HandshakeId=to_young)
    assert young not in old_members()


def test_a_second_move_too_soon_is_refused(new_org: Sandbox) -> None:
    org("standalone").accept_handshake(HandshakeId=invite(STANDALONE)["Id"])
    back = org("old-management").invite_account_to_organization(Target={"Id": STANDALONE, "Type": "ACCOUNT"})["Handshake"]
    assert code_of(org("standalone").accept_handshake, HandshakeId=back["Id"]) == (
        "HandshakeConstraintViolationException",
        "ORGANIZATION_MEMBERSHIP_CHANGE_RATE_LIMIT_EXCEEDED",
    )
    new_org.settings(membership_change_interval_seconds=0)
    org("standalone").accept_handshake(HandshakeId=back["Id"])
    assert org("standalone").describe_organization()["Organization"]["MasterAccountId"] == OLD_MGMT


def test_the_old_management_account_cannot_move_while_it_manages(new_org: Sandbox) -> None:
    h = invite(OLD_MGMT)
    assert code_of(org("old-management").accept_handshake, HandshakeId=h["Id"])[0] == "MasterCannotLeaveOrganizationException"
    assert OLD_MGMT in old_members()


def test_the_stricter_reading_makes_a_transfer_need_leave_permission(new_org: Sandbox) -> None:
    new_org.settings(transfer_needs_leave_permission=True)
    h = invite(MEMBER_B)
    code, _ = code_of(org("old-member-b").accept_handshake, HandshakeId=h["Id"])
    assert code == "AccessDeniedException" and MEMBER_B in old_members()  # the old root's deny-leave SCP applies
    new_org.settings(transfer_needs_leave_permission=False)
    org("old-member-b").accept_handshake(HandshakeId=h["Id"])
    assert MEMBER_B not in old_members()
