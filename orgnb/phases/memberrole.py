"""`OrganizationAccountAccessRole`: whom it trusts, and making it trust the management account only.

AWS creates this role in every account the organization creates, trusting the management account that created it
(Organizations user guide, "Accessing member accounts"). It does not create one in invited accounts, and it does not
change it when an account moves: an account created in another organization keeps a role trusting that
organization's management account, which then keeps administrator access to an account that has left it, while the
new management account cannot use the role. Phases 05 and 06 re-point it; phase 01 flags it before the move.
The executors of both role steps act through the account's profile when the step names one, else through the role.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from orgnb.aws.guards import account_context
from orgnb.aws.orgrefs import load_policy
from orgnb.aws.session import MEMBER_ROLE, AwsContext
from orgnb.engine.apply import executor
from orgnb.engine.plan import Action, Step

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):")


@dataclass(frozen=True)
class RoleTrust:
    """What an account's OrganizationAccountAccessRole trusts (`exists` False when there is no such role)."""

    exists: bool
    trusted: tuple[str, ...] = ()  # account ids (or '*' / a service name) its Allow statements name for sts:AssumeRole

    def trusts_only(self, account_id: str) -> bool:
        """True when the role exists and trusts `account_id` and nothing else."""
        return self.exists and self.trusted == (account_id,)

    def others(self, account_id: str) -> tuple[str, ...]:
        """What the role trusts besides `account_id`."""
        return tuple(t for t in self.trusted if t != account_id)

    def describe(self) -> str:
        """A short phrase for tables: `trusts 111122223333`, `missing`."""
        return f"trusts {', '.join(self.trusted) or 'nobody'}" if self.exists else "missing"


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _principal_accounts(principal: Any) -> list[str]:
    if principal == "*":
        return ["*"]
    found: list[str] = []
    for kind, values in (principal or {}).items():
        for value in _listed(values):
            if kind != "AWS":
                found.append(value)  # a service or federated principal, named as it is
            elif value == "*" or re.fullmatch(r"\d{12}", value):
                found.append(value)
            elif match := _ACCOUNT_IN_ARN.match(value):
                found.append(match.group(1))
            else:
                found.append(value)
    return found


def trusted_principals(document: str | dict[str, Any]) -> tuple[str, ...]:
    """The accounts (and other principals) a trust policy's Allow statements let assume the role, sorted."""
    statements = load_policy(document).get("Statement") or []
    found: set[str] = set()
    for statement in [statements] if isinstance(statements, dict) else statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in _listed(statement.get("Action"))):
            continue
        found.update(_principal_accounts(statement.get("Principal")))
    return tuple(sorted(found))


def read_role_trust(inside: AwsContext) -> RoleTrust:
    """The role's trust, read from inside its account."""
    try:
        role = inside.client("iam").get_role(RoleName=MEMBER_ROLE)["Role"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return RoleTrust(False)
        raise
    return RoleTrust(True, trusted_principals(role["AssumeRolePolicyDocument"]))


def trust_document(management_account_id: str) -> str:
    """The trust policy that lets the management account, and nothing else, assume the role."""
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{management_account_id}:root"}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def create_role(inside: AwsContext, management_account_id: str) -> None:
    """Create the role, trusting the management account, with AdministratorAccess (as AWS makes it)."""
    iam = inside.client("iam")
    iam.create_role(
        RoleName=MEMBER_ROLE,
        AssumeRolePolicyDocument=trust_document(management_account_id),
        Description="Management account access (orgnb)",
    )
    iam.attach_role_policy(RoleName=MEMBER_ROLE, PolicyArn=ADMIN_POLICY)


def repoint_role(inside: AwsContext, management_account_id: str) -> tuple[str, ...]:
    """Make the existing role trust the management account only; what it trusted before."""
    before = read_role_trust(inside)
    inside.client("iam").update_assume_role_policy(RoleName=MEMBER_ROLE, PolicyDocument=trust_document(management_account_id))
    return before.trusted


def read_member_role(ctx: AwsContext, account_id: str, profile: str | None) -> tuple[RoleTrust | None, str]:
    """The role of a member, read through `profile` when given, else through the role itself from the management
    account; (None, why) when it cannot be read."""
    try:
        return read_role_trust(account_context(ctx, account_id, profile)), ""
    except (ClientError, BotoCoreError, ProfileNotFound) as exc:
        code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else type(exc).__name__
        if profile:
            return None, f"not readable through {profile} ({code})"
        return None, f"the management account cannot assume it ({code}: missing, or trusting another account)"


@executor(Action.CREATE_MEMBER_ROLE)
def _create_member_role(ctx: AwsContext, step: Step) -> dict[str, Any]:
    create_role(account_context(ctx, step.target, step.params.get("Profile")), step.params["ManagementAccountId"])
    return {"role": MEMBER_ROLE, "trusts": step.params["ManagementAccountId"]}


@executor(Action.REPOINT_MEMBER_ROLE)
def _repoint_member_role(ctx: AwsContext, step: Step) -> dict[str, Any]:
    before = repoint_role(account_context(ctx, step.target, step.params.get("Profile")), step.params["ManagementAccountId"])
    return {"trusted_before": list(before), "trusts": step.params["ManagementAccountId"]}
