"""Phase 05: bring existing accounts into the organization, each along the path its kind needs.

- A standalone account is invited, and accepts from inside when its profile is given (else the owner must).
- A member of another organization is invited, stops being a delegated administrator there, leaves (irreversible)
  and accepts. Between leaving and joining it stands alone and pays its own bills: the window is recorded.
- The management account of another organization moves last: once every member of its organization has gone,
  its organization is deleted (irreversible), then it is invited and accepts.

Each account's steps form a group: when AWS refuses one (a leave without a payment method, say), that account
stops there with the remedy, the others carry on, and a re-run picks it up. Refusals a person must clear end the
phase "pending" (exit 4). Invitations are only sent where no pending one exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from orgnb import records
from orgnb.apply import executor
from orgnb.errors import OperatorActionPending, PreflightRefused
from orgnb.guards import profile_context
from orgnb.inventory import HandshakeRecord, Inventory, caller_identity, describe_organization
from orgnb.journal import Journal
from orgnb.parameters import ExistingAccount, ManualId, Parameters
from orgnb.phases.account_creation import wanted_ou_paths
from orgnb.plan import Action, Plan, Step
from orgnb.policyrewrite import PolicyRewrite, find_rewrites, write_rewrite
from orgnb.session import AwsContext

PHASE = "migration"
KINDS = {"invites": "standalone", "migrations": "member", "old_managements": "management"}
WINDOW_WARN_HOURS = 24.0
# Leave refusals a person clears in the console; the phase then waits (exit 4) rather than fails.
OPERATOR_REMEDIES = {
    "MEMBER_ACCOUNT_PAYMENT_INSTRUMENT_REQUIRED": "add a payment method to the account (Billing console, signed in to the account), "
    "then run this phase again",
    "INVALID_PAYMENT_INSTRUMENT": "replace the account's payment method (Billing console), then run this phase again",
    "ACCOUNT_CANNOT_LEAVE_WITHOUT_EULA": "accept the customer agreement and choose a support plan in the account, then run again",
    "ACCOUNT_CANNOT_LEAVE_WITHOUT_PHONE_VERIFICATION": "verify the account's phone number in the console, then run this phase again",
    "WAIT_PERIOD_ACTIVE": "a created account can leave only some days after its creation: run this phase again later",
}


@dataclass(frozen=True)
class MovingAccount:
    """An account to bring in: what the parameters say, and what AWS shows of it now."""

    field: str
    spec: ExistingAccount
    declared: str  # standalone / member / management
    joined: bool = False  # already a member of the new organization
    ou_path: str = ""
    seen_org: str = ""  # the organization it belongs to now ('' when standalone or unreadable)
    old_members: tuple[str, ...] = ()  # for a management account: the other members of its organization
    delegated: tuple[str, ...] = ()  # services it is a delegated administrator for in its old organization
    invite: HandshakeRecord | None = None  # the pending invitation from the new organization
    rewrites: tuple[PolicyRewrite, ...] = ()  # its policies that name its old organization
    is_management: bool = False  # it manages the organization it is in
    old_management_profile: str = ""  # the profile of its old organization's management account (reads delegated admins)
    left_earlier: bool = False  # an earlier run of this phase began its leave (or its organization's deletion)
    error: str = ""

    @property
    def account_id(self) -> str:
        """The account's id."""
        return self.spec.account_id


@dataclass(frozen=True)
class MigrationState:
    """Every account to bring in, read once before planning."""

    accounts: tuple[MovingAccount, ...] = ()

    def frame(self) -> pd.DataFrame:
        """One row per account to bring in: kind, where it is now, its invitation."""
        rows = [
            {
                "account": m.account_id,
                "name": m.spec.name or "",
                "declared": m.declared,
                "now": "member of this organization" if m.joined else (f"in {m.seen_org}" if m.seen_org else m.error or "standalone"),
                "ou": m.spec.ou or "/",
                "invitation": f"{m.invite.id} ({m.invite.state})" if m.invite else "",
            }
            for m in self.accounts
        ]
        return pd.DataFrame(rows, columns=["account", "name", "declared", "now", "ou", "invitation"])


def _delegated_services(old_management: AwsContext, account_id: str) -> tuple[str, ...]:
    """The services `account_id` is a delegated administrator for in the old organization (read by its management)."""
    try:
        services = old_management.client("organizations").list_delegated_services_for_account(AccountId=account_id)["DelegatedServices"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "AccountNotRegisteredException":
            return ()
        raise
    return tuple(s["ServicePrincipal"] for s in services)


def _read_one(
    base: AwsContext, field: str, spec: ExistingAccount, inventory: Inventory, old_mgmt_profiles: dict[str, str]
) -> MovingAccount:
    declared = KINDS[field.split("[")[0]]
    org_id = inventory.organization.id if inventory.organization else ""
    invite = next((h for h in inventory.handshakes if h.action == "INVITE" and h.pending and spec.account_id in h.target.split(", ")), None)
    member = next((a for a in inventory.accounts if a.id == spec.account_id), None)
    common: dict[str, Any] = {"field": field, "spec": spec, "declared": declared, "invite": invite}
    if member is not None:
        return MovingAccount(**common, joined=True, ou_path=member.ou_path, seen_org=org_id)
    if not spec.profile:
        return MovingAccount(**common, error="no profile: it is seen from the new organization only")
    try:
        ctx = profile_context(base, spec.profile)
        seen_as = caller_identity(ctx).account_id
        if seen_as != spec.account_id:
            return MovingAccount(**common, error=f"profile {spec.profile} acts in {seen_as}, not {spec.account_id}")
        org = describe_organization(ctx)
        if org is None:
            return MovingAccount(**common)
        if org.management_account_id == spec.account_id:
            pages = ctx.client("organizations").get_paginator("list_accounts").paginate()
            others = tuple(a["Id"] for page in pages for a in page["Accounts"] if a["Id"] != spec.account_id)
            return MovingAccount(**common, seen_org=org.id, old_members=others, is_management=True)
        delegated: tuple[str, ...] = ()
        mgmt_profile = old_mgmt_profiles.get(org.management_account_id)
        if mgmt_profile:
            delegated = _delegated_services(profile_context(base, mgmt_profile), spec.account_id)
        return MovingAccount(**common, seen_org=org.id, delegated=delegated, old_management_profile=mgmt_profile or "")
    except (ClientError, BotoCoreError, ProfileNotFound) as exc:
        return MovingAccount(**common, error=f"cannot read it through {spec.profile}: {exc}")


def _earlier_entries(reports_dir: Path) -> Iterator[dict[str, Any]]:
    """Every journal entry of earlier migration records under `reports_dir`, oldest first (torn lines skipped)."""
    for journal in sorted(reports_dir.glob(f"*-{PHASE}/journal.jsonl")):
        yield from Journal(journal, journal.parent.name, PHASE).entries()


def _earlier_results(reports_dir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(account id, result) of every finished step in earlier migration records under `reports_dir`, oldest first."""
    for entry in _earlier_entries(reports_dir):
        if entry["event"] == "done":
            yield entry["step"].rsplit(":", 1)[1], entry.get("result", {})


def previous_leaves(reports_dir: Path) -> dict[str, str]:
    """When each account left its old organization, from the journals of earlier records under `reports_dir`."""
    return {account: result["left_at"] for account, result in _earlier_results(reports_dir) if "left_at" in result}


def previous_old_orgs(reports_dir: Path) -> dict[str, set[str]]:
    """The organizations each account left (or whose organization was deleted), from earlier records' journals:
    finished steps, and leave / delete steps only begun (a run killed just after AWS answered them)."""
    old: dict[str, set[str]] = {}
    for account, result in _earlier_results(reports_dir):
        org_id = result.get("left_org") or result.get("deleted")
        if org_id:
            old.setdefault(account, set()).add(org_id)
    for entry in _earlier_entries(reports_dir):
        if entry["event"] == "begin" and entry["step"].startswith(("leave:", "delete-organization:")):
            org_id = (entry.get("params") or {}).get("OrganizationId")
            if org_id:
                old.setdefault(entry["step"].rsplit(":", 1)[1], set()).add(org_id)
    return old


def _with_rewrites(base: AwsContext, m: MovingAccount, old_orgs: set[str], new_org: str) -> MovingAccount:
    old = {o for o in old_orgs | ({m.seen_org} if m.seen_org and not m.joined else set()) if o != new_org}
    if not (m.spec.profile and old) or (m.error and not m.joined):
        return m
    try:
        return replace(m, rewrites=tuple(find_rewrites(profile_context(base, m.spec.profile), m.account_id, old, new_org)))
    except (ClientError, BotoCoreError, ProfileNotFound) as exc:
        return replace(m, error=f"its policies could not be read: {exc}")


def read_migration(ctx: AwsContext, params: Parameters, inventory: Inventory) -> Inventory:
    """The inventory plus every account to bring in, read from inside through its profile where one is given."""
    old_mgmt_profiles = {m.account_id: m.profile for m in params.old_managements if m.profile}
    moving = [_read_one(ctx, field, spec, inventory, old_mgmt_profiles) for field, spec in params.existing_accounts()]
    earlier = previous_old_orgs(records.default_reports_dir())
    new_org = inventory.organization.id if inventory.organization else ""
    moving = [replace(m, left_earlier=m.account_id in earlier) for m in moving]
    moving = [_with_rewrites(ctx, m, earlier.get(m.account_id, set()), new_org) for m in moving]
    return replace(inventory, migration=MigrationState(tuple(moving)))


def policy_diffs(inventory: Inventory) -> str:
    """The planned policy rewrites as unified diffs (what the plan's rewrite steps will write)."""
    rewrites = [r for m in (inventory.migration.accounts if inventory.migration else ()) for r in m.rewrites]
    if not rewrites:
        return "no policy names an old organization"
    return "\n\n".join(f"# {r.account_id} {r.kind} {r.resource}\n{r.diff()}" for r in rewrites)


def _step(m: MovingAccount, kind: str, action: Action, description: str, irreversible: bool = False, **params: Any) -> Step:
    after = tuple(a for a in m.old_members if a != m.account_id)  # an old management account waits for its members
    return Step(f"{kind}:{m.account_id}", action, m.account_id, description, params, irreversible, group=m.account_id, after=after)


def _invite_steps(m: MovingAccount, org_id: str) -> list[Step]:
    """An invitation, unless one is pending (sent first: if AWS refuses it, the account has not left anything yet)."""
    return [] if m.invite is not None else [_step(m, "invite", Action.INVITE_ACCOUNT, f"invite {m.account_id} to {org_id}")]


def _accept_steps(m: MovingAccount, awaiting: list[str]) -> list[Step]:
    """Accept from inside (when a profile is given); else the owner must."""
    steps = []
    if m.spec.profile:
        steps.append(
            _step(m, "accept", Action.ACCEPT_INVITATION, f"accept the invitation from inside ({m.spec.profile})", Profile=m.spec.profile)
        )
    else:
        what = f"invitation {m.invite.id} (expires {m.invite.expires_at})" if m.invite else "the invitation this run sends"
        awaiting.append(f"{m.account_id}: its owner must accept {what} (console: AWS Organizations, Invitations)")
    return steps


def _leaving_steps(m: MovingAccount, params: Parameters, migrating: set[str], awaiting: list[str]) -> list[Step] | None:
    """What takes the account out of its old organization; None when it cannot go yet."""
    if m.account_id in {x.account_id for x in params.old_managements}:
        remaining = [a for a in m.old_members if a not in migrating]
        if remaining:
            awaiting.append(
                f"{m.account_id} manages {m.seen_org}, which still has members {', '.join(remaining)}: move or remove them first"
            )
            return None
        return [
            _step(
                m,
                "delete-organization",
                Action.DELETE_ORGANIZATION,
                f"delete {m.seen_org} (its members have left by then)",
                irreversible=True,
                Profile=m.spec.profile,
                OrganizationId=m.seen_org,
            )
        ]
    old_mgmt = m.old_management_profile
    steps = [
        _step(
            m,
            f"deregister:{service}",
            Action.DEREGISTER_DELEGATED_ADMINISTRATOR,
            f"stop it being {m.seen_org}'s delegated administrator for {service}",
            Profile=old_mgmt,
            ServicePrincipal=service,
        )
        for service in m.delegated
    ]
    steps.append(
        _step(
            m,
            "leave",
            Action.LEAVE_ORGANIZATION,
            f"leave {m.seen_org} from inside (it stands alone until it accepts)",
            irreversible=True,
            Profile=m.spec.profile,
            OrganizationId=m.seen_org,
        )
    )
    return steps


def _kind_mismatch(m: MovingAccount) -> str:
    """Why the account is not what the parameters declare it to be ('' when it is)."""
    seen = "management" if m.is_management else ("member" if m.seen_org else "standalone")
    if m.error or seen == m.declared:
        return ""
    if seen == "standalone" and m.invite is not None and m.left_earlier:
        return ""  # an earlier run invited it, then it left (or its organization went), and that run stopped: accept next
    group = {"standalone": "invites", "member": "migrations", "management": "old_managements"}[seen]
    return f"{m.account_id} is listed as a {m.declared} account but AWS shows a {seen} one: move it under {group} in the parameters"


def _account_steps(m: MovingAccount, params: Parameters, org_id: str, migrating: set[str], awaiting: list[str]) -> list[Step]:
    steps: list[Step] = []
    if not m.joined:
        mismatch = _kind_mismatch(m)
        if mismatch:
            awaiting.append(mismatch)
            return []
        leaving: list[Step] = []
        if m.seen_org:
            found = _leaving_steps(m, params, migrating, awaiting)
            if found is None:
                return []
            leaving = found
        steps += _invite_steps(m, org_id) + leaving + _accept_steps(m, awaiting)
    for r in m.rewrites:
        if r.manual:
            awaiting.append(
                f"{m.account_id} {r.kind} {r.resource} names {', '.join(r.old_org_ids)} in {', '.join(r.manual)}: remap by hand"
            )
        if json.loads(r.after) == json.loads(r.before):
            continue
        steps.append(
            _step(
                m,
                f"rewrite:{r.kind}:{r.resource}",
                Action.REWRITE_POLICY,
                f"{r.kind} {r.resource}: {', '.join(r.old_org_ids)} -> {org_id}",
                Profile=m.spec.profile,
                Kind=r.kind,
                Resource=r.resource,
                OldOrganizationIds=list(r.old_org_ids),
                OrganizationId=org_id,
            )
        )
    joins = m.joined or any(s.action == Action.ACCEPT_INVITATION for s in steps)
    if joins and m.spec.ou and m.ou_path != m.spec.ou:  # a member only: the owner's acceptance comes first
        steps.append(_step(m, "move", Action.MOVE_ACCOUNT, f"move it to {m.spec.ou}", AccountId=m.account_id, Path=m.spec.ou))
    return steps


def plan_migration(params: Parameters, inventory: Inventory) -> Plan:
    """Per account, in order (members, standalone accounts, then old management accounts): what brings it in."""
    org = inventory.organization
    if org is None or inventory.migration is None:
        raise PreflightRefused("there is no Organization yet: run phase 02 (organization-init) first")
    notes: list[str] = []
    awaiting: list[str] = []
    existing = inventory.ou_by_path()
    steps = [
        Step(f"ou:{path}", Action.CREATE_OU, path, f"create OU {path}", {"Path": path})
        for path in wanted_ou_paths(params)
        if path not in existing
    ]
    migrating = {m.account_id for m in params.migrations}
    order = {"member": 0, "standalone": 1, "management": 2}
    for m in sorted(inventory.migration.accounts, key=lambda m: order[m.declared]):
        if m.error and not m.joined and m.spec.profile:
            awaiting.append(f"{m.account_id}: {m.error}")
            continue
        if m.error:
            notes.append(f"{m.account_id}: {m.error}")
        steps += _account_steps(m, params, org.id, migrating, awaiting)
    for h in inventory.handshakes:
        if h.action == "INVITE" and h.state in ("DECLINED", "EXPIRED", "CANCELED"):
            notes.append(f"invitation {h.id} to {h.target} was {h.state.lower()}: a new one is sent where the account is still outside")
    return Plan(PHASE, tuple(steps), tuple(notes), tuple(awaiting))


def preflight_checklist(params: Parameters, inventory: Inventory) -> pd.DataFrame:
    """Before a member leaves its old organization: what the runbook checks, and what a person must confirm."""
    finance = params.attestations.get(ManualId.FINANCE_INFORMED)
    rows = []
    for m in inventory.migration.accounts if inventory.migration else ():
        if m.declared != "member" or m.joined:
            continue
        rows += [
            {
                "account": m.account_id,
                "check": "not a delegated administrator of the old organization",
                "status": "PLANNED" if m.delegated else ("PASS" if m.old_management_profile else "MANUAL"),
                "detail": f"deregistered first: {', '.join(m.delegated)}"
                if m.delegated
                else ("none" if m.old_management_profile else "no profile for its old management account: check in its console"),
            },
            {
                "account": m.account_id,
                "check": "payment method and billing gap (finance_informed)",
                "status": "PASS" if finance else "MANUAL",
                "detail": f"attested by {finance.by}"
                if finance
                else "it pays its own bills between leaving and joining; AWS refuses the leave without one",
            },
            {
                "account": m.account_id,
                "check": "support plan, tax settings, cost reports saved",
                "status": "MANUAL",
                "detail": "the old organization's billing data stays behind: download the reports you need before it leaves",
            },
            {
                "account": m.account_id,
                "check": "policies that name the old organization",
                "status": "PLANNED" if m.rewrites else "PASS",
                "detail": ", ".join(r.resource for r in m.rewrites) or "none found",
            },
        ]
    return pd.DataFrame(rows, columns=["account", "check", "status", "detail"])


def invitations_frame(inventory: Inventory) -> pd.DataFrame:
    """The organization's invitations: id, target, state, expiry."""
    rows = [
        {"id": h.id, "target": h.target, "state": h.state, "requested": h.requested_at, "expires": h.expires_at}
        for h in inventory.handshakes
        if h.action == "INVITE"
    ]
    return pd.DataFrame(rows, columns=["id", "target", "state", "requested", "expires"])


def standalone_windows(params: Parameters, inventory: Inventory, reports_dir: Path) -> pd.DataFrame:
    """Each member that left its old organization: when it left, when it joined, and how long it stood alone."""
    left = previous_leaves(reports_dir)
    joined = {a.id: a.joined_at for a in inventory.accounts}
    now = datetime.now(UTC)
    rows = []
    for spec in params.migrations:
        if spec.account_id not in left:
            continue
        left_at = datetime.fromisoformat(left[spec.account_id])
        joined_at = joined.get(spec.account_id)
        hours = ((joined_at or now) - left_at).total_seconds() / 3600
        status = "WARN" if hours > WINDOW_WARN_HOURS else ("OK" if joined_at else "standing alone")
        rows.append({"account": spec.account_id, "left_at": left_at, "joined_at": joined_at, "hours": round(hours, 2), "status": status})
    return pd.DataFrame(rows, columns=["account", "left_at", "joined_at", "hours", "status"])


def _context(ctx: AwsContext, step: Step) -> AwsContext:
    profile = step.params.get("Profile")
    if not profile:
        raise PreflightRefused(f"step {step.id} needs a profile that acts inside the account")
    return profile_context(ctx, profile)


def _reason(exc: ClientError) -> str:
    return str(exc.response.get("Reason") or exc.response.get("Error", {}).get("Code", ""))


@executor(Action.INVITE_ACCOUNT)
def _invite(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    handshake = ctx.client("organizations").invite_account_to_organization(Target={"Id": step.target, "Type": "ACCOUNT"})["Handshake"]
    return {"handshake_id": handshake["Id"], "expires": str(handshake.get("ExpirationTimestamp", ""))}


@executor(Action.DEREGISTER_DELEGATED_ADMINISTRATOR)
def _deregister(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    orgs = _context(ctx, step).client("organizations")
    orgs.deregister_delegated_administrator(AccountId=step.target, ServicePrincipal=step.params["ServicePrincipal"])
    return {"service_principal": step.params["ServicePrincipal"]}


@executor(Action.LEAVE_ORGANIZATION)
def _leave(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    try:
        _context(ctx, step).client("organizations").leave_organization()
    except ClientError as exc:
        reason = _reason(exc)
        if reason in OPERATOR_REMEDIES:
            raise OperatorActionPending(f"{step.target} cannot leave yet ({reason}): {OPERATOR_REMEDIES[reason]}") from exc
        raise
    return {"left_at": datetime.now(UTC).isoformat(), "left_org": step.params.get("OrganizationId", "")}


@executor(Action.REWRITE_POLICY)
def _rewrite_policy(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    p = step.params
    written = write_rewrite(_context(ctx, step), p["Kind"], p["Resource"], p["OldOrganizationIds"], p["OrganizationId"])
    return {"rewritten": written, "resource": p["Resource"]}


@executor(Action.DELETE_ORGANIZATION)
def _delete_organization(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    _context(ctx, step).client("organizations").delete_organization()
    return {"deleted": step.params["OrganizationId"]}


@executor(Action.ACCEPT_INVITATION)
def _accept_invitation(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    org_id = ctx.client("organizations").describe_organization()["Organization"]["Id"]
    orgs = _context(ctx, step).client("organizations")
    pages = orgs.get_paginator("list_handshakes_for_account").paginate(Filter={"ActionType": "INVITE"})
    for page in pages:
        for h in page["Handshakes"]:
            parties = {p["Id"] for p in h.get("Parties", [])}
            if h["State"] in ("OPEN", "REQUESTED") and org_id in parties:
                orgs.accept_handshake(HandshakeId=h["Id"])
                return {"handshake_id": h["Id"], "joined": org_id}
    raise OperatorActionPending(f"{step.target} has no open invitation from {org_id}: run this phase again to send one")
