"""The transfer pre-flight: what moving an old organization's member breaks, read over HTTP from the brownfield sandbox."""

from __future__ import annotations

import json
from datetime import date

import pytest

from orgnb.aws.session import AwsContext, make_context
from orgnb.aws.transfer_impact import (
    ATTESTATION_IDS,
    OLD_AREAS,
    Area,
    ImpactItem,
    PolicyType,
    impact_frame,
    path_policies,
    read_transfer_impact,
)
from orgnb.input.parameters import Attestation
from orgnb.sandbox import Sandbox
from orgnb.verdict import Status

REGION = "us-east-1"
MEMBER_A, MEMBER_B = "444455556666", "555566667777"
DENY_REGIONS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": REGION}}}],
}
TLS_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    ],
}


def context(profile: str) -> AwsContext:
    return make_context(profile, REGION)


def by_area(items: tuple[ImpactItem, ...]) -> dict[Area, list[ImpactItem]]:
    found: dict[Area, list[ImpactItem]] = {}
    for item in items:
        found.setdefault(item.area, []).append(item)
    return found


def only(items: list[ImpactItem], status: Status) -> ImpactItem:
    assert [i.status for i in items] == [status], items
    return items[0]


@pytest.fixture
def new_management(brownfield: Sandbox) -> AwsContext:
    """The new organization, made through `management`: Workloads/Prod carries a customer SCP, Workloads an RCP."""
    org = context("management").client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    for ptype in PolicyType:
        if ptype is not PolicyType.SCP:  # enabled with the organization
            org.enable_policy_type(RootId=root, PolicyType=ptype.value)
    workloads = org.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    prod = org.create_organizational_unit(ParentId=workloads, Name="Prod")["OrganizationalUnit"]["Id"]
    for name, ptype, content, target in (
        ("deny-other-regions", PolicyType.SCP, DENY_REGIONS, prod),
        ("tls-only", PolicyType.RCP, TLS_ONLY, workloads),
    ):
        policy = org.create_policy(Name=name, Description=name, Type=ptype.value, Content=json.dumps(content))
        org.attach_policy(PolicyId=policy["Policy"]["PolicySummary"]["Id"], TargetId=target)
    return context("management")


def test_old_member_a_loses_the_old_organizations_services(brownfield: Sandbox, new_management: AwsContext) -> None:
    writes = len(brownfield.calls(writes_only=True))
    old = context("old-management")
    items = read_transfer_impact(old, new_management, MEMBER_A, "Workloads/Prod", {})
    assert len(brownfield.calls(writes_only=True)) == writes and old.counter.write_total == 0, "the pre-flight only reads"
    areas = by_area(items)
    assert list(areas) == list(Area)
    ram = only(areas[Area.RAM_SHARES], Status.WARN)
    assert "legacy-network" in ram.detail and "subnet/subnet-" in ram.detail and "loses access" in ram.detail
    stack_set = only(areas[Area.STACK_SETS], Status.WARN)
    assert "legacy-baseline" in stack_set.detail and "deletes them" in stack_set.detail
    assert "RetainStacksOnAccountRemoval=true" in stack_set.remedy
    identity = only(areas[Area.IDENTITY_CENTER], Status.WARN)
    assert "LegacyOperator" in identity.detail and "GROUP" in identity.detail
    assert "guardduty.amazonaws.com" in only(areas[Area.DELEGATED_ADMIN], Status.WARN).detail
    stops = only(areas[Area.POLICIES_STOP], Status.WARN)
    assert "SCP deny-leave" in stops.detail and "attached at root" in stops.detail
    starts = areas[Area.POLICIES_START]
    assert [i.status for i in starts] == [Status.WARN, Status.WARN]
    assert "RCP tls-only" in starts[0].detail and "ou:Workloads" in starts[0].detail
    assert "SCP deny-other-regions" in starts[1].detail and "ou:Workloads/Prod" in starts[1].detail
    assert all(i.attestation is None for i in items)
    frame = impact_frame(items)
    assert list(frame.columns) == ["account", "area", "status", "detail", "remedy"] and len(frame) == len(items)


def test_old_member_b_shows_fewer_and_other_findings(brownfield: Sandbox, new_management: AwsContext) -> None:
    areas = by_area(read_transfer_impact(context("old-management"), new_management, MEMBER_B, None, {}))
    assert "legacy-network" in only(areas[Area.RAM_SHARES], Status.WARN).detail, "shared with the whole organization"
    for area in (Area.STACK_SETS, Area.IDENTITY_CENTER, Area.DELEGATED_ADMIN):
        only(areas[area], Status.PASS)
    stops = areas[Area.POLICIES_STOP]
    assert [i.status for i in stops] == [Status.WARN, Status.WARN]
    assert "deny-leave" in stops[0].detail and "protect-data" in stops[1].detail and "attached at account" in stops[1].detail
    starts = only(areas[Area.POLICIES_START], Status.PASS)
    assert "FullAWSAccess" in starts.detail and "target the root" in starts.detail


def test_path_policies_on_an_account_and_on_an_ou_path(brownfield: Sandbox, new_management: AwsContext) -> None:
    old = path_policies(context("old-management"), MEMBER_A)
    assert [(p.level, p.name) for p in old] == [
        ("root", "FullAWSAccess"),
        ("root", "deny-leave"),
        ("ou:Production", "FullAWSAccess"),
        ("account", "FullAWSAccess"),
    ], "RCPs are not enabled in the old organization: RCPFullAWSAccess does not apply"
    deny_leave = next(p for p in old if p.name == "deny-leave")
    assert not deny_leave.aws_managed and "organizations:LeaveOrganization" in json.loads(deny_leave.content)["Statement"][0]["Action"]
    ahead = path_policies(new_management, None, "Workloads/Prod/Team")  # Team does not exist yet
    assert sorted({p.level for p in ahead}) == ["ou:Workloads", "ou:Workloads/Prod", "root"]
    assert {p.type for p in ahead} == {PolicyType.SCP, PolicyType.RCP}
    assert {p.level for p in path_policies(new_management, None, "Sandbox/Dev")} == {"root"}, "a path not created yet: the root"


def test_without_the_old_management_profile_old_areas_are_manual(brownfield: Sandbox, new_management: AwsContext) -> None:
    items = read_transfer_impact(None, new_management, MEMBER_A, "Workloads/Prod", {})
    areas = by_area(items)
    for area in OLD_AREAS:
        item = only(areas[area], Status.MANUAL)
        assert item.attestation == ATTESTATION_IDS[area] and ATTESTATION_IDS[area] in item.detail and item.remedy
    assert {i.status for i in areas[Area.POLICIES_START]} == {Status.WARN}, "the new organization is still read"
    attested = {ATTESTATION_IDS[Area.RAM_SHARES]: Attestation(by="network-team@example.com", at=date(2026, 1, 15))}
    areas = by_area(read_transfer_impact(None, new_management, MEMBER_A, "Workloads/Prod", attested))  # type: ignore[arg-type]
    ram = only(areas[Area.RAM_SHARES], Status.PASS)
    assert "attested by network-team@example.com" in ram.detail and ram.attestation == "transfer_ram_reviewed"
    only(areas[Area.STACK_SETS], Status.MANUAL)


def test_a_refused_read_is_manual_and_the_others_go_on(brownfield: Sandbox, new_management: AwsContext) -> None:
    brownfield.admin("faults", {"refuse": ["ram:*"]})  # credentials without ram:GetResourceShares
    areas = by_area(read_transfer_impact(context("old-management"), new_management, MEMBER_A, "Workloads/Prod", {}))
    ram = only(areas[Area.RAM_SHARES], Status.MANUAL)
    assert "GetResourceShares answered AccessDeniedException" in ram.detail and ram.attestation == "transfer_ram_reviewed"
    assert "legacy-baseline" in only(areas[Area.STACK_SETS], Status.WARN).detail


def test_a_profile_that_is_not_the_old_management_account(brownfield: Sandbox, new_management: AwsContext) -> None:
    areas = by_area(read_transfer_impact(context("old-member-b"), new_management, MEMBER_A, None, {}))
    for area in OLD_AREAS:
        assert "not its management account" in only(areas[area], Status.MANUAL).detail


def test_the_old_management_account_owns_its_shares_and_keeps_access(brownfield: Sandbox, new_management: AwsContext) -> None:
    old = context("old-management")
    ram = only(by_area(read_transfer_impact(old, new_management, "333344445555", "Workloads/Prod", {}))[Area.RAM_SHARES], Status.PASS)
    assert "owns legacy-network" in ram.detail
