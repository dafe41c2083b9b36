"""Phase 06: give the accounts moved in what created accounts get, and the names, emails and contacts planned.

For every member, `OrganizationAccountAccessRole` trusts the management account alone: created from inside an
account moved in where it is missing (AWS makes it only for the accounts it creates), re-pointed where it trusts
another account (an account created in another organization keeps a role trusting that organization's management
account). Then, for each account brought in by phase 05 that is now a member:
- the primary (root) email: the update is started from the management account, AWS mails a one-time passcode to
  the new address, and the update is accepted with the passcode from `otps`; without it the phase waits (exit 4);
- the account name, and the billing / operations / security contacts, set from the management account;
- its root credentials deleted (phase 03's code; irreversible: an account missing from `confirm_irreversible`
  keeps the step in the plan, marked "needs confirmation", not applied, and the phase ends pending naming it).
It ends with the whole organization as a table a reviewer can read at a glance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from orgnb.aws.inventory import Inventory
from orgnb.aws.rootcreds import RootAccessState, audit_members
from orgnb.aws.session import MEMBER_ROLE, AwsContext
from orgnb.engine.apply import executor
from orgnb.engine.plan import Action, Plan, Step
from orgnb.errors import OperatorActionPending, PreflightRefused
from orgnb.input.parameters import ExistingAccount, ManualId, Parameters
from orgnb.phases.memberrole import RoleTrust, read_member_role
from orgnb.phases.phase import Phase
from orgnb.phases.root_centralization import deletion_steps

PHASE = "member-initialization"


@dataclass(frozen=True)
class MemberFacts:
    """What phase 06 reads of one account moved in."""

    spec: ExistingAccount
    alternates: Mapping[str, Mapping[str, str] | None] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberRole:
    """A member's OrganizationAccountAccessRole: whom it trusts (None: not readable, and why), and how it was read."""

    account_id: str
    trust: RoleTrust | None
    profile: str | None = None  # the profile it was read (and is changed) through; None: through the role itself
    why: str = ""

    def describe(self) -> str:
        """What the final table shows."""
        return self.trust.describe() if self.trust else self.why


@dataclass(frozen=True)
class MemberInitState:
    """The moved members' facts and every member's root-credential audit."""

    members: tuple[MemberFacts, ...] = ()
    outside: tuple[str, ...] = ()  # accounts the parameters bring in that are not members yet
    root: RootAccessState = field(default_factory=RootAccessState)
    roles: tuple[MemberRole, ...] = ()  # every member's OrganizationAccountAccessRole


@dataclass(frozen=True, kw_only=True)
class MemberInitInventory(Inventory):
    """The inventory plus what phase 06 reads of the members (MemberInitState)."""

    member_init: MemberInitState


def planned_email(params: Parameters, spec: ExistingAccount) -> str | None:
    """The root email planned for an account moved in (explicit, or from its slug)."""
    return spec.root_email or (params.root_email.address(spec.slug) if spec.slug else None)


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


def _member_role(ctx: AwsContext, account_id: str, profile: str | None) -> MemberRole:
    trust, why = read_member_role(ctx, account_id, profile)
    return MemberRole(account_id, trust, profile, why)


def _role_steps(state: MemberInitState, management_id: str, notes: list[str]) -> list[Step]:
    """Every member's role trusting the management account alone: created (from inside) or re-pointed."""
    steps = []
    for r in state.roles:
        params = {"ManagementAccountId": management_id, **({"Profile": r.profile} if r.profile else {})}
        if r.trust is None:
            notes.append(f"{r.account_id}: {MEMBER_ROLE}: {r.why}; give the account's profile in the parameters to fix it from inside")
        elif not r.trust.exists:
            what = f"create {MEMBER_ROLE} trusted by {management_id}"
            steps.append(Step(f"member-role:{r.account_id}", Action.CREATE_MEMBER_ROLE, r.account_id, what, params, group=r.account_id))
        elif not r.trust.trusts_only(management_id):
            what = f"make {MEMBER_ROLE} trust {management_id} only (it trusts {', '.join(r.trust.trusted)})"
            steps.append(Step(f"member-role:{r.account_id}", Action.REPOINT_MEMBER_ROLE, r.account_id, what, params, group=r.account_id))
    return steps


def read_members(ctx: AwsContext, params: Parameters, inventory: Inventory) -> MemberInitInventory:
    """The inventory plus, for each account moved in, its role and contacts, and the root audit of every member."""
    ids = {a.id for a in inventory.accounts}
    moved = [spec for _, spec in params.existing_accounts()]
    facts = tuple(MemberFacts(s, _alternates(ctx, s.account_id)) for s in moved if s.account_id in ids)
    active = [a for a in inventory.members() if a.state == "ACTIVE"]
    root = audit_members(ctx, [(a.id, a.name) for a in active])
    outside = tuple(s.account_id for s in moved if s.account_id not in ids)
    profiles = {s.account_id: s.profile for s in moved if s.profile}
    roles = tuple(_member_role(ctx, a.id, profiles.get(a.id)) for a in active)
    return inventory.extended(MemberInitInventory, member_init=MemberInitState(facts, outside, root, roles))


def _member_steps(params: Parameters, inventory: Inventory, m: MemberFacts, awaiting: list[str], notes: list[str]) -> list[Step]:
    spec = m.spec
    account = next(a for a in inventory.accounts if a.id == spec.account_id)

    def step(kind: str, action: Action, description: str, irreversible: bool = False, **step_params: Any) -> Step:
        return Step(f"{kind}:{spec.account_id}", action, spec.account_id, description, step_params, irreversible, group=spec.account_id)

    steps = []
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
            wire: dict[str, Any] = {"AccountId": spec.account_id, "AlternateContactType": kind, **contact.to_wire()}
            steps.append(step(f"alternate-contact:{kind.lower()}", Action.PUT_ALTERNATE_CONTACT, f"set the {kind.lower()} contact", **wire))
    return steps


def plan_member_initialization(params: Parameters, inventory: MemberInitInventory) -> Plan:
    """Per account moved in: role, root email, name, contacts; then deletion of confirmed root credentials."""
    state = inventory.member_init
    if inventory.organization is None:
        raise PreflightRefused("there is no Organization yet: run phases 02 to 05 first")
    notes: list[str] = []
    awaiting = [f"{a} is not a member yet: run phase 05 (migration) first" for a in state.outside]
    steps = _role_steps(state, params.organization.management_account_id, notes)
    for m in state.members:
        steps += _member_steps(params, inventory, m, awaiting, notes)
    if params.root_access.delete_member_root_credentials:
        moved = {m.spec.account_id for m in state.members}
        if not state.root.audited:
            awaiting.append(f"member root credentials cannot be audited or deleted: {state.root.reason} (phase 03)")
        elif ManualId.MEMBER_ROOT_UNUSED in params.attestations:
            deletions, more = deletion_steps(state.root, [], only=moved)
            steps += deletions
            notes += more
        elif any(m.account_id in moved for m in state.root.with_credentials()):
            awaiting.append("attest member_root_unused (nobody uses member root users) before their credentials are deleted")
    return Plan(PHASE, tuple(steps), tuple(notes), tuple(awaiting))


def final_inventory(inventory: MemberInitInventory) -> pd.DataFrame:
    """The whole organization: name, email, OU path, how it joined, its root credentials, whom its access role trusts."""
    state = inventory.member_init
    audit = {m.account_id: m for m in state.root.members}
    roles = {r.account_id: r.describe() for r in state.roles}
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
                "member_role": "management account" if a.id == mgmt else roles.get(a.id, "not read"),
            }
        )
    return pd.DataFrame(rows, columns=["name", "id", "email", "ou_path", "joined", "root_credentials", "member_role"])


def organization_summary(inventory: MemberInitInventory) -> str:
    """A line a reviewer reads at a glance."""
    frame = final_inventory(inventory)
    counts = frame.joined.value_counts().to_dict()
    with_root = int((frame.root_credentials == "yes").sum())
    return (
        f"{len(frame)} accounts ({counts.get('created', 0)} created, {counts.get('invited', 0)} invited) in "
        f"{len(inventory.ous)} OUs; {with_root} member(s) still with root credentials"
    )


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


DEFINITION = Phase(6, PHASE, "root email, name, root credentials and contacts of moved accounts", plan_member_initialization, read_members)
