"""Phase 06: give the accounts moved in what created accounts get, and the names, emails and contacts planned.

For each account brought in by phase 05 that is now a member:
- `OrganizationAccountAccessRole`, created from inside the account where it is missing (AWS makes it only for the
  accounts it creates), so the management account can act in every member the same way;
- the primary (root) email: the update is started from the management account, AWS mails a one-time passcode to
  the new address, and the update is accepted with the passcode from `otps`; without it the phase waits (exit 4);
- the account name, and the billing / operations / security contacts, set from the management account;
- its root credentials deleted (phase 03's code; irreversible, only for accounts in `confirm_irreversible`).
It ends with the whole organization as a table a reviewer can read at a glance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from orgnb.apply import executor
from orgnb.errors import OperatorActionPending, PreflightRefused
from orgnb.guards import profile_context
from orgnb.inventory import Inventory
from orgnb.parameters import ExistingAccount, ManualId, Parameters
from orgnb.phases.root_centralization import deletion_steps
from orgnb.plan import Action, Plan, Step
from orgnb.rootcreds import RootAccessState, audit_members
from orgnb.session import MEMBER_ROLE, AwsContext

PHASE = "member-initialization"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"


@dataclass(frozen=True)
class MemberFacts:
    """What phase 06 reads of one account moved in."""

    spec: ExistingAccount
    role: bool | None = None  # OrganizationAccountAccessRole exists (None: no profile to look inside)
    alternates: Mapping[str, Mapping[str, str] | None] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberInitState:
    """The moved members' facts and every member's root-credential audit."""

    members: tuple[MemberFacts, ...] = ()
    outside: tuple[str, ...] = ()  # accounts the parameters bring in that are not members yet
    root: RootAccessState = field(default_factory=RootAccessState)


def planned_email(params: Parameters, spec: ExistingAccount) -> str | None:
    """The root email planned for an account moved in (explicit, or from its slug)."""
    return spec.root_email or (params.root_email.address(spec.slug) if spec.slug else None)


def _role_exists(ctx: AwsContext, spec: ExistingAccount) -> bool | None:
    if not spec.profile:
        return None
    try:
        profile_context(ctx, spec.profile).client("iam").get_role(RoleName=MEMBER_ROLE)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return False
        raise
    except (BotoCoreError, ProfileNotFound):
        return None
    return True


def _alternates(ctx: AwsContext, account_id: str) -> dict[str, Mapping[str, str] | None]:
    out: dict[str, Mapping[str, str] | None] = {}
    for kind in ("BILLING", "OPERATIONS", "SECURITY"):
        try:
            got = ctx.client("account").get_alternate_contact(AccountId=account_id, AlternateContactType=kind)["AlternateContact"]
            out[kind] = {k: v for k, v in got.items() if k != "AlternateContactType"}
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            out[kind] = None
    return out


def read_members(ctx: AwsContext, params: Parameters, inventory: Inventory) -> Inventory:
    """The inventory plus, for each account moved in, its role and contacts, and the root audit of every member."""
    ids = {a.id for a in inventory.accounts}
    moved = [spec for _, spec in params.existing_accounts()]
    facts = tuple(MemberFacts(s, _role_exists(ctx, s), _alternates(ctx, s.account_id)) for s in moved if s.account_id in ids)
    root = audit_members(ctx, [(a.id, a.name) for a in inventory.members() if a.state == "ACTIVE"])
    outside = tuple(s.account_id for s in moved if s.account_id not in ids)
    return replace(inventory, member_init=MemberInitState(facts, outside, root))


def _member_steps(params: Parameters, inventory: Inventory, m: MemberFacts, awaiting: list[str], notes: list[str]) -> list[Step]:
    spec = m.spec
    account = next(a for a in inventory.accounts if a.id == spec.account_id)

    def step(kind: str, action: Action, description: str, irreversible: bool = False, **step_params: Any) -> Step:
        return Step(f"{kind}:{spec.account_id}", action, spec.account_id, description, step_params, irreversible, group=spec.account_id)

    steps = []
    if m.role is False:
        mgmt = params.organization.management_account_id
        steps.append(
            step(
                "member-role",
                Action.CREATE_MEMBER_ROLE,
                f"create {MEMBER_ROLE} trusted by {mgmt}",
                Profile=spec.profile,
                ManagementAccountId=mgmt,
            )
        )
    elif m.role is None:
        notes.append(f"{spec.account_id}: no profile to look inside; create {MEMBER_ROLE} there if it is missing")
    email = planned_email(params, spec)
    if email and account.email.lower() != email.lower():
        otp = params.otps.get(email) or next((v for k, v in params.otps.items() if k.lower() == email.lower()), None)
        if otp:
            steps.append(
                step(
                    "accept-email",
                    Action.ACCEPT_PRIMARY_EMAIL,
                    f"accept the root email {email} with its passcode",
                    AccountId=spec.account_id,
                    PrimaryEmail=email,
                    Otp=otp,
                )
            )
        else:
            steps.append(
                step(
                    "start-email",
                    Action.START_PRIMARY_EMAIL,
                    f"change the root email {account.email} to {email} (a passcode goes to {email})",
                    AccountId=spec.account_id,
                    PrimaryEmail=email,
                )
            )
            awaiting.append(
                f"{spec.account_id}: the passcode AWS sends to {email}: add it to the parameters as otps: {{{email}: CODE}} and run again"
            )
    if spec.name and account.name != spec.name:
        steps.append(
            step(
                "account-name",
                Action.PUT_ACCOUNT_NAME,
                f"rename {account.name!r} to {spec.name!r}",
                AccountId=spec.account_id,
                AccountName=spec.name,
            )
        )
    for kind, contact in params.contacts.alternates().items():
        if m.alternates.get(kind) != contact.to_wire():
            wire = {"AccountId": spec.account_id, "AlternateContactType": kind, **contact.to_wire()}
            steps.append(step(f"alternate-contact:{kind.lower()}", Action.PUT_ALTERNATE_CONTACT, f"set the {kind.lower()} contact", **wire))
    return steps


def plan_member_initialization(params: Parameters, inventory: Inventory) -> Plan:
    """Per account moved in: role, root email, name, contacts; then deletion of confirmed root credentials."""
    state = inventory.member_init
    if inventory.organization is None or state is None:
        raise PreflightRefused("there is no Organization yet: run phases 02 to 05 first")
    notes: list[str] = []
    awaiting = [f"{a} is not a member yet: run phase 05 (migration) first" for a in state.outside]
    steps: list[Step] = []
    for m in state.members:
        steps += _member_steps(params, inventory, m, awaiting, notes)
    if params.root_access.delete_member_root_credentials:
        moved = {m.spec.account_id for m in state.members}
        if not state.root.audited:
            awaiting.append(f"member root credentials cannot be audited or deleted: {state.root.reason} (phase 03)")
        elif ManualId.MEMBER_ROOT_UNUSED in params.attestations:
            deletions, more = deletion_steps(params, state.root, [], only=moved)
            steps += deletions
            notes += more
        elif any(m.account_id in moved for m in state.root.with_credentials()):
            awaiting.append("attest member_root_unused (nobody uses member root users) before their credentials are deleted")
    return Plan(PHASE, tuple(steps), tuple(notes), tuple(awaiting))


def final_inventory(inventory: Inventory) -> pd.DataFrame:
    """The whole organization: name, email, OU path, how it joined, whether its root user holds credentials."""
    state = inventory.member_init
    audit = {m.account_id: m for m in state.root.members} if state else {}
    mgmt = inventory.organization.management_account_id if inventory.organization else ""
    rows = []
    for a in sorted(inventory.accounts, key=lambda a: (a.ou_path, a.name)):
        found = audit.get(a.id)
        root = "management (vault)" if a.id == mgmt else ("unknown" if found is None or found.error else ("yes" if found.present else "no"))
        rows.append(
            {
                "name": a.name,
                "id": a.id,
                "email": a.email,
                "ou_path": a.ou_path or "/",
                "joined": a.joined_method.lower(),
                "root_credentials": root,
            }
        )
    return pd.DataFrame(rows, columns=["name", "id", "email", "ou_path", "joined", "root_credentials"])


def organization_summary(inventory: Inventory) -> str:
    """A line a reviewer reads at a glance."""
    frame = final_inventory(inventory)
    counts = frame.joined.value_counts().to_dict()
    with_root = int((frame.root_credentials == "yes").sum())
    return (
        f"{len(frame)} accounts ({counts.get('created', 0)} created, {counts.get('invited', 0)} invited) in "
        f"{len(inventory.ous)} OUs; {with_root} member(s) still with root credentials"
    )


@executor(Action.CREATE_MEMBER_ROLE)
def _create_member_role(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    iam = profile_context(ctx, step.params["Profile"]).client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{step.params['ManagementAccountId']}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(
        RoleName=MEMBER_ROLE, AssumeRolePolicyDocument=json.dumps(trust), Description="Management account access (orgnb phase 06)"
    )
    iam.attach_role_policy(RoleName=MEMBER_ROLE, PolicyArn=ADMIN_POLICY)
    return {"role": MEMBER_ROLE}


@executor(Action.START_PRIMARY_EMAIL)
def _start_primary_email(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    status = ctx.client("account").start_primary_email_update(AccountId=step.params["AccountId"], PrimaryEmail=step.params["PrimaryEmail"])
    return {"status": status["Status"], "passcode_sent_to": step.params["PrimaryEmail"]}


@executor(Action.ACCEPT_PRIMARY_EMAIL)
def _accept_primary_email(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    try:
        status = ctx.client("account").accept_primary_email_update(**step.params)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("ValidationException", "ResourceNotFoundException"):
            raise OperatorActionPending(
                f"{step.target}: the passcode for {step.params['PrimaryEmail']} was not accepted ({code}): remove it from otps and "
                "run again to get a new one"
            ) from exc
        raise
    return {"status": status["Status"], "primary_email": step.params["PrimaryEmail"]}
