"""Organizations membership in the sandbox: invitations, handshakes, leaving, deleting, all features.

Every call goes through boto3 with the acting account's own profile, over HTTP, as the runbook makes it.
"""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from orgnb.sandbox import Sandbox, handshake, handshakes
from tests.conftest import created_account

MGMT, STANDALONE, OLD_MGMT, MEMBER_A, MEMBER_B = "111122223333", "222233334444", "333344445555", "444455556666", "555566667777"


def org(profile: str):
    return boto3.Session(profile_name=profile).client("organizations", region_name="us-east-1")


def code_of(call, *args, **kwargs) -> tuple[str, str | None]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response["Error"]["Code"], info.value.response.get("Reason")


def invite(target: str, kind: str = "ACCOUNT", **kwargs) -> dict:
    return org("management").invite_account_to_organization(Target={"Id": target, "Type": kind}, **kwargs)["Handshake"]


def set_standalone(sandbox: Sandbox, account_id: str, **flags: bool) -> None:
    assert sandbox.admin(f"accounts/{account_id}/standalone", dict(flags))["account_id"] == account_id


def allow_leaving() -> None:
    """What an operator of the old organization does before its members may leave: detach its deny-leave SCP."""
    old = org("old-management")
    policies = old.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    deny_leave = next(p["Id"] for p in policies if p["Name"] == "deny-leave")
    old.detach_policy(PolicyId=deny_leave, TargetId=old.list_roots()["Roots"][0]["Id"])


@pytest.fixture
def new_org(brownfield: Sandbox) -> Sandbox:
    org("management").create_organization(FeatureSet="ALL")
    return brownfield


def test_invite_and_accept_a_standalone_account(new_org: Sandbox) -> None:
    h = invite(STANDALONE, Notes="welcome", Tags=[{"Key": "team", "Value": "gadget"}])
    assert h["State"] == "OPEN" and h["Action"] == "INVITE" and h["Id"].startswith("h-")
    assert (h["ExpirationTimestamp"] - h["RequestedTimestamp"]) == timedelta(days=15)
    assert {"Id": STANDALONE, "Type": "ACCOUNT"} in h["Parties"]
    assert h["Resources"][0]["Resources"][0] == {"Type": "MASTER_EMAIL", "Value": "aws+management-account@example.com"}
    assert h["Resources"][-1] == {"Type": "NOTES", "Value": "welcome"}
    seen = org("standalone").list_handshakes_for_account()["Handshakes"]
    assert [x["Id"] for x in seen] == [h["Id"]]
    assert org("standalone").describe_handshake(HandshakeId=h["Id"])["Handshake"]["State"] == "OPEN"
    assert org("standalone").accept_handshake(HandshakeId=h["Id"])["Handshake"]["State"] == "ACCEPTED"
    accounts = {a["Id"]: a for a in org("management").list_accounts()["Accounts"]}
    assert accounts[STANDALONE]["JoinedMethod"] == "INVITED" and accounts[STANDALONE]["Name"] == "Gadget sandbox"
    assert org("management").list_tags_for_resource(ResourceId=STANDALONE)["Tags"] == [{"Key": "team", "Value": "gadget"}]
    assert org("standalone").describe_organization()["Organization"]["MasterAccountId"] == MGMT
    iam = boto3.Session(profile_name="standalone").client("iam")
    assert code_of(iam.get_role, RoleName="OrganizationAccountAccessRole")[0] == "NoSuchEntity", (
        "AWS makes the role only for created accounts"
    )
    assert h["Id"] in new_org.admin("mailbox?address=gadget-dev@example.com")[0]["body"]


def test_invitation_errors(new_org: Sandbox) -> None:
    assert code_of(org("old-member-a").invite_account_to_organization, Target={"Id": STANDALONE, "Type": "ACCOUNT"}) == (
        "AccessDeniedException",
        None,
    )
    assert (
        code_of(org("standalone").invite_account_to_organization, Target={"Id": MGMT, "Type": "ACCOUNT"})[0]
        == "AWSOrganizationsNotInUseException"
    )
    assert code_of(invite, "o-abcdefghij", "ORGANIZATION") == ("InvalidInputException", "INVALID_PARTY_TYPE_TARGET")
    assert code_of(invite, "12345", "ACCOUNT") == ("InvalidInputException", "INVALID_PATTERN")
    assert code_of(invite, "not-an-email", "EMAIL") == ("InvalidInputException", "INVALID_EMAIL_ADDRESS_TARGET")
    assert code_of(invite, STANDALONE, Notes="x" * 1025) == ("InvalidInputException", "MAX_LENGTH_EXCEEDED")
    assert code_of(invite, MGMT) == ("HandshakeConstraintViolationException", "ALREADY_IN_AN_ORGANIZATION")
    invite(STANDALONE)
    assert code_of(invite, STANDALONE)[0] == "DuplicateHandshakeException"
    assert code_of(invite, "gadget-dev@example.com", "EMAIL")[0] == "DuplicateHandshakeException", "the same account by email"


def test_account_quota_and_daily_limit(new_org: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from orgnb.sandbox import registry

    registry.ACCOUNT_LIMITS[MGMT] = 3
    invite(STANDALONE)
    invite(OLD_MGMT)
    assert code_of(invite, MEMBER_A) == ("HandshakeConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED")
    registry.ACCOUNT_LIMITS[MGMT] = 10
    monkeypatch.setitem(handshakes.SETTINGS, "daily_invitations", 2)
    assert code_of(invite, MEMBER_A) == ("HandshakeConstraintViolationException", "HANDSHAKE_RATE_LIMIT_EXCEEDED")


def test_an_accepted_invitation_frees_a_place_in_the_days_limit_a_declined_one_does_not(
    new_org: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS: "Accepted invitations don't count against this quota. As soon as one invitation is accepted, you can send
    another invitation that same day" (Managing account invitations)."""
    monkeypatch.setitem(handshakes.SETTINGS, "daily_invitations", 2)
    accepted = invite(STANDALONE)
    declined = invite(OLD_MGMT)
    org("old-management").decline_handshake(HandshakeId=declined["Id"])
    assert code_of(invite, MEMBER_A) == ("HandshakeConstraintViolationException", "HANDSHAKE_RATE_LIMIT_EXCEEDED")
    org("standalone").accept_handshake(HandshakeId=accepted["Id"])
    assert invite(MEMBER_A)["State"] == "OPEN"


def test_an_open_invitation_counts_against_the_account_quota_of_create_account(new_org: Sandbox) -> None:
    """AWS: "An invitation sent to an account counts against this quota" (Quotas for AWS Organizations)."""
    new_org.settings(create_account_seconds=0, account_limits={MGMT: 2})
    invite(STANDALONE)  # the management account and this invitation fill the quota
    request = org("management").create_account(AccountName="x", Email="aws+x@example.com")["CreateAccountStatus"]
    status = org("management").describe_create_account_status(CreateAccountRequestId=request["Id"])["CreateAccountStatus"]
    assert (status["State"], status.get("FailureReason")) == ("FAILED", "ACCOUNT_LIMIT_EXCEEDED")


def test_leave_preconditions(brownfield: Sandbox) -> None:
    allow_leaving()
    assert code_of(org("old-member-a").leave_organization) == (
        "ConstraintViolationException",
        "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG",
    )
    assert code_of(org("old-management").leave_organization)[0] == "MasterCannotLeaveOrganizationException"
    assert code_of(org("standalone").leave_organization)[0] == "AWSOrganizationsNotInUseException"
    created = created_account(org("old-management"), AccountName="new", Email="new@example.com")
    assert code_of(org("old-management").remove_account_from_organization, AccountId=created) == (
        "ConstraintViolationException",
        "WAIT_PERIOD_ACTIVE",
    )
    assert code_of(org("old-management").remove_account_from_organization, AccountId="999999999999")[0] == "AccountNotFoundException"


def test_old_management_account_moves_last(new_org: Sandbox) -> None:
    old = org("old-management")
    h = invite(OLD_MGMT)
    assert code_of(org("old-management").accept_handshake, HandshakeId=h["Id"])[0] == "MasterCannotLeaveOrganizationException"
    assert code_of(old.delete_organization)[0] == "OrganizationNotEmptyException"
    assert code_of(org("old-member-a").delete_organization) == ("AccessDeniedException", None)
    old.deregister_delegated_administrator(AccountId=MEMBER_A, ServicePrincipal="guardduty.amazonaws.com")
    set_standalone(new_org, MEMBER_B, payment_method=True)
    for member in (MEMBER_A, MEMBER_B):
        old.remove_account_from_organization(AccountId=member)
    old.delete_organization()
    org("old-management").accept_handshake(HandshakeId=h["Id"])
    assert org("old-management").describe_organization()["Organization"]["MasterAccountId"] == MGMT


def test_decline_cancel_and_transitions(new_org: Sandbox) -> None:
    h = invite(STANDALONE)["Id"]
    assert code_of(org("management").decline_handshake, HandshakeId=h) == ("AccessDeniedException", None)
    assert code_of(org("standalone").cancel_handshake, HandshakeId=h) == ("AccessDeniedException", None)
    assert org("standalone").decline_handshake(HandshakeId=h)["Handshake"]["State"] == "DECLINED"
    assert code_of(org("standalone").decline_handshake, HandshakeId=h)[0] == "HandshakeAlreadyInStateException"
    assert code_of(org("standalone").accept_handshake, HandshakeId=h)[0] == "InvalidHandshakeTransitionException"
    again = invite(STANDALONE)["Id"]  # a declined invitation frees the target for a new one
    assert org("management").cancel_handshake(HandshakeId=again)["Handshake"]["State"] == "CANCELED"
    assert code_of(org("management").cancel_handshake, HandshakeId=again)[0] == "HandshakeAlreadyInStateException"
    assert code_of(org("old-member-a").describe_handshake, HandshakeId=again)[0] == "HandshakeNotFoundException"
    assert code_of(org("standalone").describe_handshake, HandshakeId="h-BAD") == ("InvalidInputException", "INVALID_PATTERN")


def test_invitations_expire(new_org: Sandbox) -> None:
    h = invite(STANDALONE)["Id"]
    handshake.HANDSHAKES[h].requested_at -= timedelta(days=16)
    assert org("standalone").describe_handshake(HandshakeId=h)["Handshake"]["State"] == "EXPIRED"
    assert code_of(org("standalone").accept_handshake, HandshakeId=h)[0] == "InvalidHandshakeTransitionException"
    handshake.HANDSHAKES[h].terminal_at -= timedelta(days=31)
    assert code_of(org("standalone").describe_handshake, HandshakeId=h)[0] == "HandshakeNotFoundException", "gone after 30 days"


def test_listing_pages_and_filters(new_org: Sandbox) -> None:
    ids = [invite(target)["Id"] for target in (STANDALONE, OLD_MGMT, MEMBER_A)]
    mgmt = org("management")
    first = mgmt.list_handshakes_for_organization(MaxResults=2)
    assert len(first["Handshakes"]) == 2 and "NextToken" in first
    every = [
        h["Id"]
        for page in mgmt.get_paginator("list_handshakes_for_organization").paginate(PaginationConfig={"PageSize": 1})
        for h in page["Handshakes"]
    ]
    assert every == ids[::-1], "newest first, every page followed"
    assert code_of(mgmt.list_handshakes_for_organization, MaxResults=21) == ("InvalidInputException", "MAX_VALUE_EXCEEDED")
    assert code_of(mgmt.list_handshakes_for_organization, NextToken="garbage!") == ("InvalidInputException", "INVALID_NEXT_TOKEN")
    both = {"ActionType": "INVITE", "ParentHandshakeId": ids[0]}
    assert code_of(mgmt.list_handshakes_for_organization, Filter=both) == ("InvalidInputException", "MAX_LIMIT_EXCEEDED_FILTER")
    assert code_of(org("old-member-b").list_handshakes_for_organization) == ("AccessDeniedException", None)


def test_members_may_not_call_management_operations(brownfield: Sandbox) -> None:
    assert code_of(org("old-member-b").list_accounts) == ("AccessDeniedException", None)
    assert code_of(org("old-member-b").create_account, AccountName="x", Email="x@example.com") == ("AccessDeniedException", None)
    assert len(org("old-member-a").list_accounts()["Accounts"]) == 3, "a delegated administrator may read"
    assert code_of(org("old-member-a").create_organizational_unit, ParentId="r-abcd", Name="x") == ("AccessDeniedException", None)
    org("old-management").enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")


def test_enable_all_features(brownfield: Sandbox) -> None:
    mgmt = org("management")
    mgmt.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    h = invite(STANDALONE)["Id"]
    org("standalone").accept_handshake(HandshakeId=h)
    parent = mgmt.enable_all_features()["Handshake"]
    assert (parent["Action"], parent["State"]) == ("ENABLE_ALL_FEATURES", "REQUESTED")
    assert code_of(invite, OLD_MGMT) == ("HandshakeConstraintViolationException", "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES")
    assert code_of(mgmt.enable_all_features) == (
        "HandshakeConstraintViolationException",
        "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION",
    )
    child = org("standalone").list_handshakes_for_account(Filter={"ActionType": "ENABLE_ALL_FEATURES"})["Handshakes"][0]
    assert {"Type": "PARENT_HANDSHAKE", "Value": parent["Id"]} in child["Resources"]
    assert code_of(mgmt.accept_handshake, HandshakeId=parent["Id"])[0] == "InvalidHandshakeTransitionException", "members first"
    org("standalone").accept_handshake(HandshakeId=child["Id"])
    assert mgmt.describe_handshake(HandshakeId=parent["Id"])["Handshake"]["State"] == "OPEN"
    approve = mgmt.list_handshakes_for_account(Filter={"ActionType": "APPROVE_ALL_FEATURES"})["Handshakes"][0]
    mgmt.accept_handshake(HandshakeId=approve["Id"])
    assert mgmt.describe_organization()["Organization"]["FeatureSet"] == "ALL"
    assert code_of(mgmt.enable_all_features) == ("HandshakeConstraintViolationException", "ORGANIZATION_ALREADY_HAS_ALL_FEATURES")


def test_more_refusals(new_org: Sandbox) -> None:
    from orgnb.sandbox import registry

    assert code_of(invite, STANDALONE, Tags=[{"Key": "aws:owner", "Value": "x"}]) == (
        "InvalidInputException",
        "INVALID_SYSTEM_TAGS_PARAMETER",
    )
    assert code_of(org("standalone").list_handshakes_for_organization)[0] == "AWSOrganizationsNotInUseException"
    assert code_of(org("standalone").enable_all_features)[0] == "AWSOrganizationsNotInUseException"
    assert code_of(org("old-member-b").enable_all_features) == ("AccessDeniedException", None)
    # another organization may invite the same account, and cancel its own invitation
    old = org("old-management")
    handshake = old.invite_account_to_organization(Target={"Id": STANDALONE, "Type": "ACCOUNT"})["Handshake"]["Id"]
    assert old.cancel_handshake(HandshakeId=handshake)["Handshake"]["State"] == "CANCELED"
    # the account quota is checked again at acceptance
    h = invite(STANDALONE)["Id"]
    registry.ACCOUNT_LIMITS[MGMT] = 1
    assert code_of(org("standalone").accept_handshake, HandshakeId=h) == (
        "HandshakeConstraintViolationException",
        "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
    )


def test_leave_needs_eula_and_phone(new_org: Sandbox) -> None:
    allow_leaving()
    set_standalone(new_org, MEMBER_B, payment_method=True, eula_accepted=False)
    assert code_of(org("old-member-b").leave_organization) == ("ConstraintViolationException", "ACCOUNT_CANNOT_LEAVE_WITHOUT_EULA")
    set_standalone(new_org, MEMBER_B, eula_accepted=True, phone_verified=False)
    assert code_of(org("old-member-b").leave_organization) == (
        "ConstraintViolationException",
        "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION",
    )


def test_children_are_paged(new_org: Sandbox) -> None:
    old = org("old-management")
    root = old.list_roots()["Roots"][0]["Id"]
    first = old.list_children(ParentId=root, ChildType="ACCOUNT", MaxResults=1)
    assert len(first["Children"]) == 1 and "NextToken" in first


def test_a_member_leaving_does_not_block_all_features(brownfield: Sandbox) -> None:
    mgmt = org("management")
    mgmt.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    org("standalone").accept_handshake(HandshakeId=invite(STANDALONE)["Id"])
    parent = mgmt.enable_all_features()["Handshake"]
    org("standalone").leave_organization()
    assert mgmt.describe_handshake(HandshakeId=parent["Id"])["Handshake"]["State"] == "OPEN", "no member left to ask"


def consolidated_billing_with_standalone() -> dict:
    """A consolidated-billing organization whose invited member (standalone) is asked to approve all features."""
    mgmt = org("management")
    mgmt.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    org("standalone").accept_handshake(HandshakeId=invite(STANDALONE)["Id"])
    return mgmt.enable_all_features()["Handshake"]


def child_of(profile: str) -> dict:
    return org(profile).list_handshakes_for_account(Filter={"ActionType": "ENABLE_ALL_FEATURES"})["Handshakes"][0]


def state_of(handshake_id: str) -> str:
    return org("management").describe_handshake(HandshakeId=handshake_id)["Handshake"]["State"]


def test_a_declined_request_is_resolved_by_removing_the_account(brownfield: Sandbox) -> None:
    parent = consolidated_billing_with_standalone()
    assert org("standalone").decline_handshake(HandshakeId=child_of("standalone")["Id"])["Handshake"]["State"] == "DECLINED"
    assert state_of(parent["Id"]) == "REQUESTED"
    assert code_of(org("management").accept_handshake, HandshakeId=parent["Id"])[0] == "InvalidHandshakeTransitionException"
    org("management").remove_account_from_organization(AccountId=STANDALONE)
    assert state_of(parent["Id"]) == "OPEN", "the account that declined is no longer asked"
    approve = org("management").list_handshakes_for_account(Filter={"ActionType": "APPROVE_ALL_FEATURES"})["Handshakes"][0]
    org("management").accept_handshake(HandshakeId=approve["Id"])
    assert org("management").describe_organization()["Organization"]["FeatureSet"] == "ALL"


def test_a_declined_request_is_sent_again_by_cancelling_and_restarting(brownfield: Sandbox) -> None:
    parent = consolidated_billing_with_standalone()
    declined = child_of("standalone")["Id"]
    org("standalone").decline_handshake(HandshakeId=declined)
    mgmt = org("management")
    assert code_of(mgmt.enable_all_features) == (
        "HandshakeConstraintViolationException",
        "ORGANIZATION_IS_ALREADY_PENDING_ALL_FEATURES_MIGRATION",
    )
    assert mgmt.cancel_handshake(HandshakeId=parent["Id"])["Handshake"]["State"] == "CANCELED"
    again = mgmt.enable_all_features()["Handshake"]
    assert again["Id"] != parent["Id"] and state_of(declined) == "DECLINED"
    org("standalone").accept_handshake(HandshakeId=child_of("standalone")["Id"])
    assert state_of(again["Id"]) == "OPEN"


def test_an_expired_request_no_longer_blocks_invitations_or_a_new_request(brownfield: Sandbox) -> None:
    parent = consolidated_billing_with_standalone()
    assert code_of(invite, OLD_MGMT) == ("HandshakeConstraintViolationException", "INVITE_DISABLED_DURING_ENABLE_ALL_FEATURES")
    for h in handshake.HANDSHAKES.values():
        h.requested_at -= timedelta(days=16)
    assert state_of(parent["Id"]) == "EXPIRED"
    assert org("standalone").describe_handshake(HandshakeId=child_of("standalone")["Id"])["Handshake"]["State"] == "EXPIRED"
    assert invite(OLD_MGMT)["State"] == "OPEN", "invitations are open again"
    assert org("management").enable_all_features()["Handshake"]["State"] == "REQUESTED", "a new request may be made"


def test_starting_the_request_cancels_pending_invitations(brownfield: Sandbox) -> None:
    mgmt = org("management")
    mgmt.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    pending = invite(OLD_MGMT)["Id"]
    mgmt.enable_all_features()
    assert state_of(pending) == "CANCELED"
    assert code_of(org("old-management").accept_handshake, HandshakeId=pending)[0] == "InvalidHandshakeTransitionException"


def test_the_request_lifetime_and_invitations_meanwhile_are_settings(brownfield: Sandbox) -> None:
    assert brownfield.settings()["all_features_request_days"] == 15 and brownfield.settings()["invite_during_all_features"] is False
    brownfield.settings(all_features_request_days=90, invite_during_all_features=True)
    parent = consolidated_billing_with_standalone()
    assert parent["ExpirationTimestamp"] - parent["RequestedTimestamp"] == timedelta(days=90)
    assert invite(OLD_MGMT)["State"] == "OPEN"
