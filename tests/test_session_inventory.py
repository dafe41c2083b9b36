from __future__ import annotations

import boto3
import pytest

from orgnb.aws.inventory import collect_inventory
from orgnb.aws.session import CallCounter, make_context
from orgnb.sandbox import Sandbox
from tests.conftest import created_account


def build_tree(sandbox: Sandbox, accounts_per_ou: int = 2) -> dict[str, str]:
    """Organization with Workloads/{Prod,Test} and Security, and a few accounts in each; returns path -> ou id."""
    org = boto3.Session(profile_name="management").client("organizations")
    org.create_organization(FeatureSet="ALL")
    sandbox.settings(create_account_seconds=0)  # each request ends on the first read after it
    root = org.list_roots()["Roots"][0]["Id"]
    ids = {"": root}
    for path in ("Workloads", "Security", "Workloads/Prod", "Workloads/Test"):
        parent, _, name = path.rpartition("/")
        ids[path] = org.create_organizational_unit(ParentId=ids[parent], Name=name)["OrganizationalUnit"]["Id"]
    for path in ("Workloads/Prod", "Workloads/Test", "Security"):
        for n in range(accounts_per_ou):
            slug = f"{path.replace('/', '-').lower()}-{n}"
            account_id = created_account(org, AccountName=slug, Email=f"aws+{slug}@example.com")
            org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ids[path])
    return ids


def test_counter_counts_calls_and_writes_by_operation(sandbox: Sandbox) -> None:
    counter = CallCounter()
    ctx = make_context("management", "us-east-1", counter)
    ctx.client("sts").get_caller_identity()
    ctx.client("organizations").create_organization(FeatureSet="ALL")
    with pytest.raises(ctx.client("organizations").exceptions.AlreadyInOrganizationException):
        ctx.client("organizations").create_organization(FeatureSet="ALL")
    assert counter.calls == {"sts:GetCallerIdentity": 1, "organizations:CreateOrganization": 2}
    assert counter.write_total == 2 and counter.total == 3
    assert list(counter.frame()["operation"]) == ["organizations:CreateOrganization", "sts:GetCallerIdentity"]
    # the sandbox saw exactly what the counter counted
    assert len(sandbox.calls()) == counter.total


def test_endpoint_and_retry_config_come_from_standard_settings(sandbox: Sandbox) -> None:
    ctx = make_context("management", "eu-west-1")
    client = ctx.client("sts")
    assert ctx.endpoint_url("sts") == sandbox.url
    assert client.meta.config.retries["mode"] == "standard"
    assert ctx.profile_setting("orgnb_sandbox") == sandbox.instance_id
    assert "secret" not in repr(ctx).lower() and "AKIA" not in repr(ctx)


def test_acting_inside_a_member_account(sandbox: Sandbox) -> None:
    ctx = make_context("management", "us-east-1")
    org = ctx.client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = created_account(org, AccountName="Org Ops", Email="aws+org-ops@example.com")
    inside = ctx.inside(member)
    assert inside.client("sts").get_caller_identity()["Account"] == member
    assert inside.counter is ctx.counter  # one run, one count
    assert ctx.counter.calls["sts:AssumeRole"] == 1


def test_inventory_without_organization(sandbox: Sandbox) -> None:
    inv = collect_inventory(make_context("management", "us-east-1"))
    assert inv.caller.account_id == "111122223333"
    assert inv.organization is None and not inv.is_management
    assert inv.organization_frame().empty


def test_inventory_walks_the_tree_through_every_page(sandbox: Sandbox) -> None:
    ids = build_tree(sandbox, accounts_per_ou=3)
    ctx = make_context("management", "us-east-1")
    inv = collect_inventory(ctx, page_size=1)
    assert inv.is_management
    assert inv.root is not None and inv.root.id == ids[""]
    assert {ou.path: ou.id for ou in inv.ous} == {p: i for p, i in ids.items() if p}
    paths = sorted((a.ou_path, a.email) for a in inv.accounts)
    assert paths[0] == ("", "aws+management-account@example.com")
    assert [p for p, _ in paths].count("Workloads/Prod") == 3 and [p for p, _ in paths].count("Security") == 3
    assert len(inv.accounts) == 10
    # with one item per page, every NextToken was followed
    assert ctx.counter.calls["organizations:ListAccountsForParent"] > len(ids)
    frame = inv.accounts_frame()
    assert list(frame.columns) == ["id", "name", "email", "state", "ou_path", "joined"]
    assert frame.iloc[0]["ou_path"] == "/"
    assert list(inv.ous_frame()["path"]) == ["Security", "Workloads", "Workloads/Prod", "Workloads/Test"]
    assert inv.account_by_email("AWS+Security-0@EXAMPLE.com") is not None
