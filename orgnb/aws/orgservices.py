"""What an organization's management account gives one member, read through the management account.

- RAM resource shares with the organization or an OU on the member's path (GetResourceShares with resourceOwner SELF,
  GetResourceShareAssociations); `ResourceShareConfiguration.retainSharingOnAccountLeaveOrganization` says whether
  the member keeps access after it leaves (RAM API reference).
- Service-managed stack sets with stack instances in the member (ListStackSets, whose `StackSetSummary` carries
  `AutoDeployment`, and ListStackInstances).
- IAM Identity Center account assignments in the member (ListInstances, ListPermissionSetsProvisionedToAccount,
  ListAccountAssignments, DescribePermissionSet).
- The services the member is a delegated administrator for (ListDelegatedServicesForAccount).

RAM shares and stack sets are regional: they are read in the context's region.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from orgnb.aws.listing import listed
from orgnb.aws.session import AwsContext


@dataclass(frozen=True)
class OrgShare:
    """A RAM resource share associated with an organization, or with an OU on a member's path."""

    arn: str
    name: str
    principal: str  # the organization's or the OU's ARN
    resources: tuple[str, ...]
    retained: bool  # retainSharingOnAccountLeaveOrganization


@dataclass(frozen=True)
class StackSetInstances:
    """A service-managed stack set with stack instances in a member."""

    name: str
    regions: tuple[str, ...]
    auto_deployment: bool | None  # None: AWS's answer did not say
    retain: bool  # RetainStacksOnAccountRemoval


@dataclass(frozen=True)
class Assignment:
    """An IAM Identity Center account assignment: a permission set given to a user or group in a member."""

    permission_set: str
    principal_type: str  # USER or GROUP
    principal_id: str


def reaches(principal: str, org_id: str, path_ids: frozenset[str]) -> bool:
    """True when a RAM principal is the organization `org_id`, or one of its OUs in `path_ids`."""
    if principal.endswith(f":organization/{org_id}"):
        return True
    return f":ou/{org_id}/" in principal and principal.rsplit("/", 1)[-1] in path_ids


def read_org_shares(ctx: AwsContext, org_id: str, path_ids: frozenset[str]) -> tuple[OrgShare, ...]:
    """The caller's active RAM shares associated with organization `org_id` or an OU in `path_ids`."""
    ram = ctx.client("ram")
    owned = listed(ram, "get_resource_shares", "resourceShares", resourceOwner="SELF", resourceShareStatus="ACTIVE")
    shares = {s["resourceShareArn"]: s for s in owned if s.get("status") == "ACTIVE"}
    resources: dict[str, list[str]] = {}
    for a in listed(ram, "get_resource_share_associations", "resourceShareAssociations", associationType="RESOURCE"):
        resources.setdefault(a["resourceShareArn"], []).append(a["associatedEntity"])
    found = []
    for a in listed(ram, "get_resource_share_associations", "resourceShareAssociations", associationType="PRINCIPAL"):
        share = shares.get(a["resourceShareArn"])
        if share is None or a.get("status") != "ASSOCIATED" or not reaches(a["associatedEntity"], org_id, path_ids):
            continue
        retained = bool(share.get("resourceShareConfiguration", {}).get("retainSharingOnAccountLeaveOrganization"))
        arn = share["resourceShareArn"]
        found.append(OrgShare(arn, share["name"], a["associatedEntity"], tuple(resources.get(arn, [])), retained))
    return tuple(found)


def read_stack_sets(ctx: AwsContext, account_id: str) -> tuple[StackSetInstances, ...]:
    """The caller's active service-managed stack sets with stack instances in `account_id`."""
    cfn = ctx.client("cloudformation")
    found = []
    for summary in listed(cfn, "list_stack_sets", "Summaries", Status="ACTIVE"):
        if summary.get("Status") != "ACTIVE" or summary.get("PermissionModel") != "SERVICE_MANAGED":
            continue
        name = summary["StackSetName"]
        instances = listed(cfn, "list_stack_instances", "Summaries", StackSetName=name, StackInstanceAccount=account_id)
        regions = tuple(sorted({i["Region"] for i in instances if i.get("Account") == account_id}))
        if regions:
            auto = summary.get("AutoDeployment") or {}
            enabled = bool(auto["Enabled"]) if "Enabled" in auto else None
            found.append(StackSetInstances(name, regions, enabled, bool(auto.get("RetainStacksOnAccountRemoval"))))
    return tuple(found)


def read_assignments(ctx: AwsContext, account_id: str) -> tuple[Assignment, ...]:
    """The IAM Identity Center assignments in `account_id` of the caller's instances."""
    sso = ctx.client("sso-admin")
    found = []
    for instance in listed(sso, "list_instances", "Instances"):
        arn = instance["InstanceArn"]
        for ps in listed(sso, "list_permission_sets_provisioned_to_account", "PermissionSets", InstanceArn=arn, AccountId=account_id):
            pages = listed(
                sso, "list_account_assignments", "AccountAssignments", InstanceArn=arn, AccountId=account_id, PermissionSetArn=ps
            )
            given = [a for a in pages if a.get("AccountId") == account_id]
            if given:
                name = sso.describe_permission_set(InstanceArn=arn, PermissionSetArn=ps)["PermissionSet"]["Name"]
                found += [Assignment(name, a["PrincipalType"], a["PrincipalId"]) for a in given]
    return tuple(found)


def read_delegated_services(ctx: AwsContext, account_id: str) -> tuple[str, ...]:
    """The services `account_id` is a delegated administrator for in the caller's organization."""
    org = ctx.client("organizations")
    try:
        services = listed(org, "list_delegated_services_for_account", "DelegatedServices", AccountId=account_id)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "AccountNotRegisteredException":
            return ()
        raise
    return tuple(s["ServicePrincipal"] for s in services)
