"""Organizations paging in the sandbox: MaxResults capped at 20 on every List operation, lists moto answers whole
served in pages, and the empty pages with a NextToken that AWS's List* documentation warns of (a fault)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from orgnb.aws.inventory import collect_inventory
from orgnb.aws.pathpolicies import account_path
from orgnb.aws.placement import OuResolver
from orgnb.aws.session import make_context
from orgnb.sandbox import Sandbox

OLD_MGMT, MEMBER_A, MEMBER_B = "333344445555", "444455556666", "555566667777"
ROOT = "ROOT"  # stands for the old organization's root id in the cases below
LISTS = [
    ("list_roots", {}),
    ("list_parents", {"ChildId": MEMBER_A}),
    ("list_children", {"ParentId": ROOT, "ChildType": "ACCOUNT"}),
    ("list_accounts", {}),
    ("list_accounts_for_parent", {"ParentId": ROOT}),
    ("list_organizational_units_for_parent", {"ParentId": ROOT}),
    ("list_policies", {"Filter": "SERVICE_CONTROL_POLICY"}),
    ("list_policies_for_target", {"TargetId": ROOT, "Filter": "SERVICE_CONTROL_POLICY"}),
    ("list_targets_for_policy", {"PolicyId": "p-FullAWSAccess"}),
    ("list_aws_service_access_for_organization", {}),
    ("list_delegated_administrators", {}),
    ("list_delegated_services_for_account", {"AccountId": MEMBER_A}),
    ("list_create_account_status", {}),
    ("list_handshakes_for_organization", {}),
]


def org(profile: str = "old-management"):
    return boto3.Session(profile_name=profile).client("organizations", region_name="us-east-1")


def root_id() -> str:
    return org().list_roots()["Roots"][0]["Id"]


def every(operation: str, key: str, page_size: int, **kwargs) -> list:
    pages = org().get_paginator(operation).paginate(**kwargs, PaginationConfig={"PageSize": page_size})
    return [item for page in pages for item in page[key]]


@pytest.mark.parametrize(("operation", "kwargs"), LISTS, ids=[op for op, _ in LISTS])
def test_max_results_above_20_is_refused(brownfield: Sandbox, operation: str, kwargs: dict) -> None:
    kwargs = {k: root_id() if v == ROOT else v for k, v in kwargs.items()}
    call = getattr(org(), operation)
    call(**kwargs, MaxResults=20)
    with pytest.raises(ClientError) as info:
        call(**kwargs, MaxResults=21)
    assert (info.value.response["Error"]["Code"], info.value.response["Reason"]) == ("InvalidInputException", "MAX_VALUE_EXCEEDED")


def test_lists_moto_answers_whole_come_in_pages(brownfield: Sandbox) -> None:
    first = org().list_aws_service_access_for_organization(MaxResults=2)
    assert len(first["EnabledServicePrincipals"]) == 2 and "NextToken" in first
    services = every("list_aws_service_access_for_organization", "EnabledServicePrincipals", 1)
    assert len(services) == len({s["ServicePrincipal"] for s in services}) == 5
    targets = every("list_targets_for_policy", "Targets", 1, PolicyId="p-FullAWSAccess")
    assert {t["TargetId"] for t in targets} >= {MEMBER_A, MEMBER_B}


def test_an_empty_page_leads_to_the_page_it_held_back(brownfield: Sandbox) -> None:
    brownfield.admin("faults", {"empty_page": {"organizations:ListRoots": 1.0}})
    empty = org().list_roots()
    assert empty["Roots"] == [] and empty["NextToken"]
    brownfield.admin("faults", {})
    assert org().list_roots(NextToken=empty["NextToken"])["Roots"][0]["Id"].startswith("r-")


def test_only_calls_that_would_succeed_and_that_aws_warns_of_are_emptied(brownfield: Sandbox) -> None:
    state = brownfield.admin("faults", {"empty_page": {"organizations:*": 1.0}})
    assert state["empty_page"] == {"organizations:*": 1.0}
    with pytest.raises(ClientError) as info:
        org("standalone").list_roots()
    assert info.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException", "an error, not an empty page"
    assert len(org().list_delegated_administrators()["DelegatedAdministrators"]) == 1, "its documentation has no such warning"
    assert org().list_roots()["Roots"] == []
    assert brownfield.admin("faults")["emptied"] == {"organizations:ListRoots": 1}


def test_paginators_and_the_runbook_read_through_empty_pages(brownfield: Sandbox) -> None:
    expected = {a["Id"] for a in org().list_accounts()["Accounts"]}
    brownfield.admin("faults", {"empty_page": {"organizations:*": 0.5}, "seed": 4})
    assert {a["Id"] for a in every("list_accounts", "Accounts", 1)} == expected
    ctx = make_context("old-management", "us-east-1")
    assert OuResolver(ctx).root_id().startswith("r-")
    assert [level.level for level in account_path(ctx, MEMBER_A)] == ["root", "ou:Production", "account"]
    inventory = collect_inventory(ctx)
    assert {a.id for a in inventory.accounts} == expected and inventory.root is not None
    assert sum(brownfield.admin("faults")["emptied"].values()) > 5
