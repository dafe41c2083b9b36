"""Where each action `orgnb policy` grants may act: the resources AWS lets it name, and the conditions AWS offers.

The resource types per action follow the Service Authorization Reference ("Actions, resources, and condition keys"
for AWS Organizations, AWS Account Management, AWS STS, Service Quotas and Amazon RDS). An action the reference lists
with no resource type can only be granted on "*": it stays there (the README's "Least privilege" names them). The
others name the management account's organization: its accounts, OUs, root and policies, whose ARNs carry the
management account's id and the organization's id (`Scope`), plus AWS's own managed policies (FullAWSAccess,
RCPFullAWSAccess: the reference's `awspolicy` type, `arn:aws:organizations::aws:policy/...`), which the kit reads and
may detach. Partition `aws`: the kit works in the commercial partition (its root-task policy ARNs are `arn:aws`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from orgnb.aws.capacity import ACCOUNTS_QUOTA_CODE, QUOTA_REGION
from orgnb.aws.rootcreds import DELETE_POLICY
from orgnb.aws.session import MEMBER_ROLE, ROOT_TASK_POLICY_ARN
from orgnb.errors import ParameterError, ParameterProblem, PreflightRefused
from orgnb.input.guardrails import PolicyKind
from orgnb.input.parameters import Parameters, load_parameters
from orgnb.phases.guardrails.preview import ASSUME_ROOT

# Organizations' organization id (botocore's model: "^o-[a-z0-9]{10,32}$").
ORGANIZATION_ID = re.compile(r"^o-[a-z0-9]{10,32}$")
MANAGEMENT_PLACEHOLDER = "<management-account-id>"  # not an account id: IAM refuses the policy until it is filled
ANY_ORGANIZATION = "o-*"  # before phase 02 creates it: the management account's id alone already names its organization
# Root-task policies whose sessions change the member (the audit policy only reads).
ROOT_TASK_WRITES = frozenset({DELETE_POLICY})


class Resource(Enum):
    """A kind of resource the kit acts on: a label for statement ids, and its ARN with the scope left to fill."""

    ACCOUNTS = ("Accounts", "arn:aws:organizations::{management}:account/{organization}/*")
    OUS = ("Ous", "arn:aws:organizations::{management}:ou/{organization}/ou-*")
    ROOT = ("Root", "arn:aws:organizations::{management}:root/{organization}/r-*")
    POLICIES = ("Policies", "arn:aws:organizations::{management}:policy/{organization}/*/p-*")
    AWS_POLICIES = ("AwsPolicies", "arn:aws:organizations::aws:policy/*/p-*")
    MANAGEMENT_SETTINGS = ("ManagementAccount", "arn:aws:account::{management}:account")
    MEMBER_SETTINGS = ("MemberAccounts", "arn:aws:account::{management}:account/{organization}/*")
    MEMBER_ROLE = ("MemberRole", f"arn:aws:iam::*:role/{MEMBER_ROLE}")
    MEMBER_ROOT_USERS = ("MemberRootUsers", "arn:aws:iam::*:root")
    ACCOUNT_QUOTA = ("AccountQuota", f"arn:aws:servicequotas:{QUOTA_REGION}:{{management}}:organizations/{ACCOUNTS_QUOTA_CODE}")
    DATABASES = ("Databases", "arn:aws:rds:*:{management}:db:*")

    @property
    def label(self) -> str:
        """The resource's part of a statement id."""
        return self.value[0]

    @property
    def template(self) -> str:
        """The ARN, `{management}` and `{organization}` left to fill."""
        return self.value[1]


_R = Resource
_TARGETS = (_R.ACCOUNTS, _R.OUS, _R.ROOT)
_SETTINGS = (_R.MANAGEMENT_SETTINGS, _R.MEMBER_SETTINGS)
_TAGGABLE = (*_TARGETS, _R.POLICIES)
# The resource types the reference lists for each action the kit calls (those it acts on; "*" for any other action).
RESOURCES: dict[str, tuple[Resource, ...]] = {
    "organizations:AttachPolicy": (_R.POLICIES, _R.AWS_POLICIES, *_TARGETS),
    "organizations:DetachPolicy": (_R.POLICIES, _R.AWS_POLICIES, *_TARGETS),
    "organizations:DescribePolicy": (_R.POLICIES, _R.AWS_POLICIES),
    "organizations:ListTargetsForPolicy": (_R.POLICIES, _R.AWS_POLICIES),
    "organizations:UpdatePolicy": (_R.POLICIES,),
    "organizations:EnablePolicyType": (_R.ROOT,),
    "organizations:CreateOrganizationalUnit": (_R.OUS, _R.ROOT),
    "organizations:ListAccountsForParent": (_R.OUS, _R.ROOT),
    "organizations:ListOrganizationalUnitsForParent": (_R.OUS, _R.ROOT),
    "organizations:ListParents": (_R.ACCOUNTS, _R.OUS),
    "organizations:ListPoliciesForTarget": _TARGETS,
    "organizations:MoveAccount": _TARGETS,
    "organizations:InviteAccountToOrganization": (_R.ACCOUNTS,),
    "organizations:ListDelegatedServicesForAccount": (_R.ACCOUNTS,),
    "organizations:RegisterDelegatedAdministrator": (_R.ACCOUNTS,),
    "organizations:ListTagsForResource": _TAGGABLE,
    "organizations:TagResource": _TAGGABLE,
    "organizations:UntagResource": _TAGGABLE,
    "account:GetAccountInformation": _SETTINGS,
    "account:GetAlternateContact": _SETTINGS,
    "account:GetContactInformation": _SETTINGS,
    "account:PutAccountName": _SETTINGS,
    "account:PutAlternateContact": _SETTINGS,
    "account:PutContactInformation": _SETTINGS,
    "account:StartPrimaryEmailUpdate": (_R.MEMBER_SETTINGS,),
    "account:AcceptPrimaryEmailUpdate": (_R.MEMBER_SETTINGS,),
    "sts:AssumeRole": (_R.MEMBER_ROLE,),
    ASSUME_ROOT: (_R.MEMBER_ROOT_USERS,),
    "servicequotas:GetServiceQuota": (_R.ACCOUNT_QUOTA,),
    "rds:DescribeDBInstances": (_R.DATABASES,),
}
# organizations:PolicyType, on the writes whose policy has a type: only the types phase 07 manages (Organizations
# User Guide, "Condition keys for AWS Organizations": organizations:PolicyType).
_KIT_POLICY_TYPES = {"StringEquals": {"organizations:PolicyType": sorted(kind.value for kind in PolicyKind)}}
POLICY_TYPE_ACTIONS = frozenset(
    f"organizations:{name}" for name in ("CreatePolicy", "UpdatePolicy", "AttachPolicy", "DetachPolicy", "EnablePolicyType")
)


@dataclass(frozen=True, order=True)
class Grant:
    """One action to allow: whether it changes anything, and for sts:AssumeRoot the one root-task policy it is for."""

    action: str
    write: bool
    task: str = ""


@dataclass(frozen=True)
class Scope:
    """The management account and organization the ARNs name (None: not known, left as placeholder or wildcard)."""

    management_account_id: str | None = None
    organization_id: str | None = None
    note: str = ""  # where the organization id came from, or why it is not known

    def arn(self, resource: Resource) -> str:
        """The resource's ARN in this organization."""
        management = self.management_account_id or MANAGEMENT_PLACEHOLDER
        return resource.template.format(management=management, organization=self.organization_id or ANY_ORGANIZATION)


def _condition(grant: Grant) -> tuple[str, dict[str, Any] | None]:
    """The condition AWS offers for the grant, with its part of the statement id."""
    if grant.action == ASSUME_ROOT:
        # sts:TaskPolicyArn: only sessions limited to this root-task policy (IAM User Guide, "Centrally manage root
        # access for member accounts"; STS API Reference, AssumeRoot).
        return grant.task, {"StringEquals": {"sts:TaskPolicyArn": ROOT_TASK_POLICY_ARN.format(grant.task)}}
    if grant.action in POLICY_TYPE_ACTIONS:
        return "KitPolicyTypes", _KIT_POLICY_TYPES
    return "", None


def statements(grants: Iterable[Grant], scope: Scope) -> list[dict[str, Any]]:
    """The policy's statements: one per half (read, write), resource set and condition, reads first."""
    grouped: dict[str, dict[str, Any]] = {}
    for grant in sorted(set(grants)):
        kinds = RESOURCES.get(grant.action, ())
        suffix, condition = _condition(grant)
        sid = ("Write" if grant.write else "Read") + ("".join(k.label for k in kinds) or "NoResourceType") + suffix
        statement = grouped.setdefault(sid, {"Sid": sid, "Effect": "Allow", "Action": [], "Resource": [scope.arn(k) for k in kinds] or "*"})
        if condition is not None:
            statement["Condition"] = condition
        if grant.action not in statement["Action"]:
            statement["Action"].append(grant.action)
    return sorted(grouped.values(), key=lambda s: (s["Sid"].startswith("Write"), s["Sid"]))


def check_organization_id(organization_id: str) -> str:
    """The organization id as given, or a ParameterError naming the option."""
    if not ORGANIZATION_ID.fullmatch(organization_id):
        fix = "give the Id DescribeOrganization returns (o- and 10 to 32 lowercase letters or digits)"
        raise ParameterError([ParameterProblem("--organization-id", f"{organization_id!r} is not an organization id", fix)], "command line")
    return organization_id


def scope_from(parameters_file: str | None, organization_id: str | None) -> Scope:
    """The scope from the parameters (the management account id) and `organization_id`, else from AWS
    (DescribeOrganization through the parameters' profile); without parameters, the placeholders."""
    organization_id = check_organization_id(organization_id) if organization_id is not None else None
    if parameters_file is None:
        return Scope(None, organization_id, "given" if organization_id else "not given (pass -f PARAMETERS)")
    params = load_parameters(parameters_file)
    if organization_id is not None:
        return Scope(params.organization.management_account_id, organization_id, "given")
    return _looked_up(params)


def _looked_up(params: Parameters) -> Scope:
    """The organization the parameters' profile sees, which must be the one their management account manages."""
    from orgnb.aws.guards import check_reachable, check_sandbox_mix
    from orgnb.aws.inventory import describe_organization
    from orgnb.aws.session import make_context

    management = params.organization.management_account_id
    ctx = make_context(params.organization.profile, params.organization.region)
    check_sandbox_mix(ctx)
    check_reachable(ctx)
    org = describe_organization(ctx)
    if org is None:
        return Scope(management, None, "none yet (phase 02 creates it): print the policy again after it")
    if org.management_account_id != management:
        raise PreflightRefused(
            f"the profile's organization {org.id} is managed by {org.management_account_id}, not by the parameters' "
            f"management account {management}: use the management account's profile, or pass --organization-id"
        )
    return Scope(management, org.id, "read from AWS (DescribeOrganization)")
