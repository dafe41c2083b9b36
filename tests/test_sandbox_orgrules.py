"""Organization rules in the sandbox: what a consolidated-billing organization may not do, who may be a delegated
administrator, and where MoveAccount may move an account from and to.

Every call goes through boto3 with the acting account's own profile, over HTTP, as the runbook makes it.
"""

from __future__ import annotations

from orgnb.aws.placement import OuResolver
from orgnb.aws.session import make_context
from orgnb.sandbox import Sandbox
from tests.test_sandbox_organizations import MEMBER_A, MEMBER_B, OLD_MGMT, STANDALONE, code_of, org

NOT_ALL_FEATURES = ("ConstraintViolationException", "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE")


def test_a_consolidated_billing_organization_refuses_what_needs_all_features(brownfield: Sandbox) -> None:
    mgmt = org("management")
    mgmt.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    invitation = mgmt.invite_account_to_organization(Target={"Id": STANDALONE, "Type": "ACCOUNT"})["Handshake"]["Id"]
    org("standalone").accept_handshake(HandshakeId=invitation)
    root = mgmt.list_roots()["Roots"][0]["Id"]
    assert code_of(mgmt.enable_aws_service_access, ServicePrincipal="account.amazonaws.com") == NOT_ALL_FEATURES
    assert code_of(mgmt.enable_policy_type, RootId=root, PolicyType="SERVICE_CONTROL_POLICY")[0] == (
        "PolicyTypeNotAvailableForOrganizationException"
    )
    assert code_of(mgmt.register_delegated_administrator, AccountId=STANDALONE, ServicePrincipal="guardduty.amazonaws.com") == (
        NOT_ALL_FEATURES
    )
    assert code_of(mgmt.close_account, AccountId=STANDALONE) == NOT_ALL_FEATURES
    assert mgmt.list_aws_service_access_for_organization()["EnabledServicePrincipals"] == []
    assert code_of(org("standalone").enable_aws_service_access, ServicePrincipal="iam.amazonaws.com") == ("AccessDeniedException", None)
    mgmt.enable_all_features()
    child = org("standalone").list_handshakes_for_account(Filter={"ActionType": "ENABLE_ALL_FEATURES"})["Handshakes"][0]
    org("standalone").accept_handshake(HandshakeId=child["Id"])
    approve = mgmt.list_handshakes_for_account(Filter={"ActionType": "APPROVE_ALL_FEATURES"})["Handshakes"][0]
    mgmt.accept_handshake(HandshakeId=approve["Id"])
    mgmt.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    mgmt.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    mgmt.register_delegated_administrator(AccountId=STANDALONE, ServicePrincipal="account.amazonaws.com")


def test_delegated_administrators_need_trusted_access_and_a_free_seat(brownfield: Sandbox) -> None:
    old = org("old-management")
    assert code_of(old.register_delegated_administrator, AccountId=OLD_MGMT, ServicePrincipal="guardduty.amazonaws.com") == (
        "ConstraintViolationException",
        "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR",
    )
    assert code_of(old.register_delegated_administrator, AccountId="999999999999", ServicePrincipal="guardduty.amazonaws.com") == (
        "AccountNotFoundException",
        None,
    )
    assert code_of(old.register_delegated_administrator, AccountId=MEMBER_B, ServicePrincipal="nothing.amazonaws.com") == (
        "InvalidInputException",
        "UNRECOGNIZED_SERVICE_PRINCIPAL",
    )
    assert code_of(old.register_delegated_administrator, AccountId=MEMBER_B, ServicePrincipal="account.amazonaws.com") == (
        "ConstraintViolationException",
        "SERVICE_ACCESS_NOT_ENABLED",
    )
    old.enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    old.register_delegated_administrator(AccountId=MEMBER_A, ServicePrincipal="account.amazonaws.com")
    assert code_of(old.register_delegated_administrator, AccountId=MEMBER_A, ServicePrincipal="account.amazonaws.com")[0] == (
        "AccountAlreadyRegisteredException"
    )
    assert code_of(old.register_delegated_administrator, AccountId=MEMBER_B, ServicePrincipal="account.amazonaws.com") == (
        "ConstraintViolationException",
        "DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE",
    )
    old.deregister_delegated_administrator(AccountId=MEMBER_A, ServicePrincipal="account.amazonaws.com")
    old.register_delegated_administrator(AccountId=MEMBER_B, ServicePrincipal="account.amazonaws.com")
    admins = old.list_delegated_administrators(ServicePrincipal="account.amazonaws.com")["DelegatedAdministrators"]
    assert [a["Id"] for a in admins] == [MEMBER_B]


def test_services_that_allow_one_administrator_are_a_setting(brownfield: Sandbox) -> None:
    old = org("old-management")  # MEMBER_A is its GuardDuty administrator
    assert brownfield.settings()["single_administrator_services"] == ["account.amazonaws.com"]
    brownfield.settings(single_administrator_services=["account.amazonaws.com", "guardduty.amazonaws.com"])
    assert code_of(old.register_delegated_administrator, AccountId=MEMBER_B, ServicePrincipal="guardduty.amazonaws.com") == (
        "ConstraintViolationException",
        "DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE",
    )
    brownfield.settings(single_administrator_services=["account.amazonaws.com"])
    old.register_delegated_administrator(AccountId=MEMBER_B, ServicePrincipal="guardduty.amazonaws.com")


def test_move_account_checks_the_source_and_the_destination(brownfield: Sandbox) -> None:
    old = org("old-management")
    root = old.list_roots()["Roots"][0]["Id"]
    production = old.list_parents(ChildId=MEMBER_A)["Parents"][0]["Id"]
    assert production != root
    assert code_of(old.move_account, AccountId=MEMBER_A, SourceParentId=root, DestinationParentId=root)[0] == (
        "SourceParentNotFoundException"
    ), "the root is not its parent"
    unknown = production[:-8] + "zzzzzzzz"
    assert code_of(old.move_account, AccountId=MEMBER_A, SourceParentId=unknown, DestinationParentId=root)[0] == (
        "SourceParentNotFoundException"
    )
    assert code_of(old.move_account, AccountId=MEMBER_A, SourceParentId=production, DestinationParentId=unknown)[0] == (
        "DestinationParentNotFoundException"
    )
    assert code_of(old.move_account, AccountId=MEMBER_A, SourceParentId=production, DestinationParentId=production)[0] == (
        "DuplicateAccountException"
    )
    assert code_of(old.move_account, AccountId="999999999999", SourceParentId=root, DestinationParentId=production)[0] == (
        "AccountNotFoundException"
    )
    old.move_account(AccountId=MEMBER_A, SourceParentId=production, DestinationParentId=root)
    assert old.list_parents(ChildId=MEMBER_A)["Parents"][0]["Id"] == root


def test_the_runbook_mover_sends_only_moves_aws_accepts(brownfield: Sandbox) -> None:
    """OuResolver.move (phases 04 and 05) reads the account's parent first and does not move it where it is."""
    mover = OuResolver(make_context("old-management", "us-east-1"))
    assert mover.move(MEMBER_A, "Production") is False
    assert mover.move(MEMBER_B, "Production") is True
    assert mover.move(MEMBER_B, "Production") is False
    moves = [c for c in brownfield.calls() if c.operation == "MoveAccount"]
    assert [c.status for c in moves] == [200]
