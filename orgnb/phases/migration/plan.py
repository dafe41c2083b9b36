"""Phase 05's plan: per account, the group of steps that brings it in, between the policy steps around them.

Order: OUs; the policies of every account of each old organization widened to both ids (group: the old
organization's id, which every move out of it waits for); members of other organizations, standalone accounts,
then old management accounts (which wait for their members' groups); last, once an old organization's every
account (its management account included) has moved in, its policies narrowed to the new id alone. A plan whose
invitations would pass the account quota, or the invitations left today, is refused before any is sent (capacity).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from orgnb.aws.capacity import check_account_quota, check_invitation_limit
from orgnb.aws.policyrewrite import OrgPolicy
from orgnb.aws.session import MEMBER_ROLE
from orgnb.engine.plan import Action, Plan, Step
from orgnb.errors import PreflightRefused
from orgnb.input.parameters import Parameters
from orgnb.phases.account_creation import wanted_ou_paths
from orgnb.phases.migration.state import MOVED_FROM_NOTES, MOVED_FROM_TAG, PHASE, MigrationInventory, MigrationState, MovingAccount
from orgnb.remedies import LEAVE_REMEDY

ORDER = {"member": 0, "standalone": 1, "management": 2}
# How long AWS makes a created account wait before it may leave its organization: botocore's LeaveOrganization text
# says four days, the Organizations quotas page seven; the plan waits for the longer.
CREATED_ACCOUNT_WAIT = timedelta(days=7)


def _step(m: MovingAccount, kind: str, action: Action, description: str, irreversible: bool = False, **params: object) -> Step:
    after = tuple(a for a in m.old_members if a != m.account_id) + ((m.old_org,) if m.old_org else ())
    return Step(f"{kind}:{m.account_id}", action, m.account_id, description, params, irreversible, group=m.account_id, after=after)


def _invite_steps(m: MovingAccount, org_id: str) -> list[Step]:
    """An invitation, unless one is pending; to an account of another organization, tagged with where it comes from."""
    if m.invite is not None:
        return []
    if not m.seen_org:
        return [_step(m, "invite", Action.INVITE_ACCOUNT, f"invite {m.account_id} to {org_id}", Tags=[])]
    tags = [{"Key": MOVED_FROM_TAG, "Value": m.seen_org}]
    notes = MOVED_FROM_NOTES.format(account=m.account_id, org=m.seen_org)
    return [_step(m, "invite", Action.INVITE_ACCOUNT, f"invite {m.account_id} to {org_id}", Tags=tags, Notes=notes)]


def _accept_steps(m: MovingAccount, awaiting: list[str]) -> list[Step]:
    """Accept from inside (when a profile is given); else the owner must."""
    if m.spec.profile:
        how = "it moves from its organization in one step" if m.seen_org and not (m.leaves_first or m.is_management) else "it joins"
        return [
            _step(
                m,
                "accept",
                Action.ACCEPT_INVITATION,
                f"accept the invitation from inside ({m.spec.profile}): {how}",
                Profile=m.spec.profile,
            )
        ]
    what = f"invitation {m.invite.id} (expires {m.invite.expires_at})" if m.invite else "the invitation this run sends"
    awaiting.append(f"{m.account_id}: its owner must accept {what} (console: AWS Organizations, Invitations)")
    return []


def _deregister_steps(m: MovingAccount) -> list[Step]:
    return [
        _step(
            m,
            f"deregister:{service}",
            Action.DEREGISTER_DELEGATED_ADMINISTRATOR,
            f"stop it being {m.seen_org}'s delegated administrator for {service} (AWS moves no delegated administrator)",
            Profile=m.old_management_profile,
            ServicePrincipal=service,
        )
        for service in m.delegated
    ]


def _departure_steps(m: MovingAccount, departing: set[str], awaiting: list[str], notes: list[str]) -> list[Step] | None:
    """What must happen in the old organization before the account accepts; None when it cannot go yet. An old
    management account goes only when each of its members moves in this run (`departing`: their accepts are planned)."""
    if m.is_management:
        remaining = [a for a in m.old_members if a not in departing]
        if remaining:
            awaiting.append(
                f"{m.account_id} manages {m.seen_org}, whose members {', '.join(remaining)} do not move in this run: it goes once "
                "they have (list them under migrations, with a profile, or remove them from its organization)"
            )
            return None
        what = f"delete {m.seen_org} (its members have moved by then; it stands alone until it accepts)"
        return [_step(m, "delete-organization", Action.DELETE_ORGANIZATION, what, True, Profile=m.spec.profile, OrganizationId=m.seen_org)]
    steps = _deregister_steps(m)
    if m.leaves_first:
        if m.leave_doubts:
            notes.append(
                f"{m.account_id}: {', '.join(m.leave_doubts)} in {m.seen_org} deny leaving under a condition: AWS decides at the leave"
            )
        what = f"leave {m.seen_org} from inside (transfer: leave; it stands alone until it accepts)"
        steps.append(
            _step(
                m,
                "leave",
                Action.LEAVE_ORGANIZATION,
                what,
                True,
                Profile=m.spec.profile,
                OrganizationId=m.seen_org,
                DeniedBy=list(m.leave_denials),
            )
        )
    return steps


def _refusal_ahead(m: MovingAccount, now: datetime) -> str:
    """A refusal AWS is known to give before anything is changed for it ('' when none is foreseen)."""
    if m.status and m.status != "ACTIVE":
        return f"{m.account_id} is {m.status} in {m.seen_org}: AWS moves only active accounts"
    if m.created_at is not None and now - m.created_at < CREATED_ACCOUNT_WAIT:
        ready = (m.created_at + CREATED_ACCOUNT_WAIT).date()
        when = m.created_at.date()
        return f"{m.account_id} was created by {m.seen_org} on {when}: AWS moves a created account after a wait; run again on {ready}"
    if m.leaves_first and m.leave_denials:
        denials = ", ".join(m.leave_denials)
        return f"{m.account_id}: {denials} in {m.seen_org} deny leaving it, so AWS refuses the leave. Remedy: {LEAVE_REMEDY}"
    return ""


def _kind_mismatch(m: MovingAccount, notes: list[str]) -> str:
    """Why the account is not what the parameters declare it to be ('' when it is)."""
    seen = "management" if m.is_management else ("member" if m.seen_org else "standalone")
    if m.error or seen == m.declared:
        return ""
    if seen == "standalone" and m.invite is not None:
        notes.append(
            f"{m.account_id} stands alone with this organization's invitation pending (an earlier run stopped after it left "
            "or deleted its organization): it accepts next"
        )
        return ""
    group = {"standalone": "invites", "member": "migrations", "management": "old_managements"}[seen]
    return f"{m.account_id} is listed as a {m.declared} account but AWS shows a {seen} one: move it under {group} in the parameters"


def _role_steps(m: MovingAccount, management_id: str, notes: list[str]) -> list[Step]:
    """Re-point its OrganizationAccountAccessRole to the new management account alone (phase 06 creates a missing one)."""
    if m.role is None:
        notes.append(f"{m.account_id}: its {MEMBER_ROLE} was not read from inside; phase 06 checks whom it trusts")
        return []
    if not m.role.exists or m.role.trusts_only(management_id):
        return []
    if f":assumed-role/{MEMBER_ROLE}/" in m.profile_arn:
        notes.append(
            f"{m.account_id}: profile {m.spec.profile} reaches it through {MEMBER_ROLE}, which will trust {management_id} alone: "
            "later runs act through the management account's role instead; point the profile's source at the management account"
        )
    what = f"make {MEMBER_ROLE} trust {management_id} only (it trusts {', '.join(m.role.trusted)})"
    return [_step(m, "member-role", Action.REPOINT_MEMBER_ROLE, what, ManagementAccountId=management_id, **_inside_profile(m))]


class _InsideProfile(TypedDict, total=False):
    """A step's parameter naming the profile it runs inside the account through."""

    Profile: str


def _inside_profile(m: MovingAccount) -> _InsideProfile:
    """The Profile parameter of a step inside the account (none: the executor goes through the management account's role)."""
    return {"Profile": m.inside_profile} if m.inside_profile else {}


def _account_steps(
    m: MovingAccount, org_id: str, management_id: str, departing: set[str], awaiting: list[str], notes: list[str]
) -> list[Step]:
    steps: list[Step] = []
    if not m.joined:
        blocked = _kind_mismatch(m, notes) or _refusal_ahead(m, datetime.now(UTC))
        if blocked:
            awaiting.append(blocked)  # nothing is done for it, not even what would come before AWS's refusal
            return []
        before = _departure_steps(m, departing, awaiting, notes) if m.seen_org else []
        if before is None:
            return []
        steps += _invite_steps(m, org_id) + before + _accept_steps(m, awaiting)
    if not (m.joined or any(s.action == Action.ACCEPT_INVITATION for s in steps)):
        return steps  # the owner's acceptance comes first
    if m.spec.ou and m.ou_path != m.spec.ou:
        steps.append(_step(m, "move", Action.MOVE_ACCOUNT, f"move it to {m.spec.ou}", AccountId=m.account_id, Path=m.spec.ou))
    return steps + _role_steps(m, management_id, notes)


def _policy_step(m: MovingAccount, p: OrgPolicy, action: Action, org_id: str, after: tuple[str, ...] = ()) -> Step:
    verb = "widen" if action == Action.WIDEN_POLICY else "narrow"
    names = f"{', '.join(p.old_org_ids)} and {org_id}" if verb == "widen" else f"{org_id} only"
    return Step(
        f"{verb}:{p.kind}:{p.resource}:{m.account_id}",
        action,
        m.account_id,
        f"{p.kind} {p.resource}: name {names}",
        {
            **_inside_profile(m),
            "Kind": p.kind,
            "Resource": p.resource,
            "OldOrganizationIds": list(p.old_org_ids),
            "OrganizationId": org_id,
        },
        group=m.old_org,
        after=after,
    )


def _differs(document: str, after: str) -> bool:
    return bool(json.loads(document) != json.loads(after))


def _policy_steps(
    state: MigrationState, org_id: str, joining: set[str], awaiting: list[str], notes: list[str]
) -> tuple[list[Step], list[Step]]:
    """(widen steps, narrow steps) for the policies naming each old organization."""
    widen: list[Step] = []
    narrow: list[Step] = []
    for old in sorted({m.old_org for m in state.accounts} - {"", org_id}):
        accounts = state.of_org(old)
        moving = any(not m.joined for m in accounts)
        # gone once its management account has joined, or joins in this run (it deletes its organization first, and
        # that waits for every member of it)
        gone = any(m.declared == "management" and (m.joined or m.account_id in joining) for m in accounts)
        groups = tuple(m.account_id for m in accounts)
        for m in accounts:
            for p in m.policies:
                if moving and _differs(p.document, p.widened(org_id)):
                    widen.append(_policy_step(m, p, Action.WIDEN_POLICY, org_id))
                if gone and _differs(p.document, p.narrowed(org_id)):
                    narrow.append(_policy_step(m, p, Action.NARROW_POLICY, org_id, after=groups))
                if gone and p.manual:
                    awaiting.append(
                        f"{m.account_id} {p.kind} {p.resource} names {', '.join(p.old_org_ids)} in {', '.join(p.manual)}: remap by hand"
                    )
            if m.role is None:
                notes.append(f"{m.account_id}: not readable from inside, so its policies naming {old} are not read or rewritten")
        if not gone and any(m.policies for m in accounts):
            notes.append(f"policies naming {old} keep both ids until every account of {old}, its management account last, has moved in")
    return widen, narrow


def plan_migration(params: Parameters, inventory: MigrationInventory) -> Plan:
    """OUs, policies widened, each account's group (members, standalone accounts, old management accounts), policies narrowed."""
    org = inventory.organization
    state = inventory.migration
    if org is None:
        raise PreflightRefused("there is no Organization yet: run phase 02 (organization-init) first")
    notes: list[str] = []
    awaiting: list[str] = []
    existing = inventory.ou_by_path()
    steps = [
        Step(f"ou:{path}", Action.CREATE_OU, path, f"create OU {path}", {"Path": path})
        for path in wanted_ou_paths(params)
        if path not in existing
    ]
    accounts: list[Step] = []
    for m in sorted(state.accounts, key=lambda m: ORDER[m.declared]):  # members first: their old management waits for them
        if m.error and not m.joined and m.spec.profile:
            awaiting.append(f"{m.account_id}: {m.error}")
            continue
        if m.error:
            notes.append(f"{m.account_id}: {m.error}")
        joining = {s.target for s in accounts if s.action == Action.ACCEPT_INVITATION}
        accounts += _account_steps(m, org.id, org.management_account_id, joining, awaiting, notes)
    joining = {s.target for s in accounts if s.action == Action.ACCEPT_INVITATION}
    widen, narrow = _policy_steps(state, org.id, joining, awaiting, notes)
    for h in inventory.handshakes:
        if h.action == "INVITE" and h.state in ("DECLINED", "EXPIRED", "CANCELED"):
            notes.append(f"invitation {h.id} to {h.target} was {h.state.lower()}: a new one is sent where the account is still outside")
    invites = sum(1 for s in accounts if s.action == Action.INVITE_ACCOUNT)
    capacity = [check_account_quota(inventory, invites, "to invite"), check_invitation_limit(inventory, invites, datetime.now(UTC))]
    notes += [line for line in capacity if line]
    return Plan(PHASE, tuple(steps + widen + accounts + narrow), tuple(notes), tuple(awaiting))
