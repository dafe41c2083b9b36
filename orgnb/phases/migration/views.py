"""Phase 05's tables and text for the notebook: the pre-flight checklist, policy diffs, invitations, standalone windows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from orgnb.aws.inventory import Inventory
from orgnb.aws.session import MEMBER_ROLE
from orgnb.aws.transfer_impact import impact_frame
from orgnb.engine.history import FactKind, History
from orgnb.input.parameters import ManualId, Parameters
from orgnb.phases.migration.state import MigrationInventory, MovingAccount

WINDOW_WARN_HOURS = 24.0
COLUMNS = ["account", "check", "status", "detail"]


def _row(m: MovingAccount, check: str, status: str, detail: str) -> dict[str, str]:
    return {"account": m.account_id, "check": check, "status": status, "detail": detail}


def _billing(m: MovingAccount, params: Parameters) -> list[dict[str, str]]:
    if m.declared == "member" and not m.leaves_first:
        return [
            _row(m, "billing", "PASS", "a direct transfer: it keeps its payment method, contacts and support plan, never standing alone")
        ]
    finance = params.attestations.get(ManualId.FINANCE_INFORMED)
    gap = "it stands alone between leaving (or its organization's deletion) and joining: AWS needs a payment method for that"
    return [
        _row(
            m,
            "payment method and billing gap (finance_informed)",
            "PASS" if finance else "MANUAL",
            f"attested by {finance.by}" if finance else gap,
        ),
        _row(
            m,
            "support plan, tax settings, cost reports saved",
            "MANUAL",
            "the old organization's billing data stays behind: download what you need",
        ),
    ]


def _inside(m: MovingAccount, management_id: str) -> list[dict[str, str]]:
    policies = ", ".join(f"{p.kind} {p.resource}" for p in m.policies)
    rows = [
        _row(
            m,
            "policies that name the old organization",
            "PLANNED" if m.policies else "PASS",
            f"widened; narrowed once the old organization is gone: {policies}" if policies else "none found",
        )
    ]
    if m.role is None:
        rows.append(_row(m, f"{MEMBER_ROLE} trusts the new management account", "MANUAL", "not read (no profile): phase 06 checks it"))
    elif m.role.exists and not m.role.trusts_only(management_id):
        rows.append(
            _row(m, f"{MEMBER_ROLE} trusts the new management account", "PLANNED", f"re-pointed once it has joined ({m.role.describe()})")
        )
    return rows


def preflight_checklist(params: Parameters, inventory: MigrationInventory) -> pd.DataFrame:
    """Before an account leaves another organization: what the runbook checks and plans, and what a person must confirm."""
    state = inventory.migration
    management_id = params.organization.management_account_id
    rows: list[dict[str, Any]] = []
    for m in state.accounts:
        if m.joined or not m.seen_org:
            continue
        if m.leaves_first:
            status, detail = (
                ("WARN", f"denied by {', '.join(m.leave_denials)}") if m.leave_denials else ("PASS", "no SCP on its path denies it")
            )
            rows.append(_row(m, "its old organization's SCPs let it leave", status, detail))
        rows += _billing(m, params) + _inside(m, management_id)
    return pd.DataFrame(rows, columns=COLUMNS)


def transfer_impact_frame(inventory: MigrationInventory) -> pd.DataFrame:
    """What moving each account out of its old organization breaks: RAM shares, stack sets, Identity Center, delegated
    administration, the SCPs and RCPs that stop and start applying (orgnb.aws.transfer_impact)."""
    state = inventory.migration
    return impact_frame([item for m in state.accounts if not m.joined for item in m.impact])


def policy_diffs(inventory: MigrationInventory) -> str:
    """The planned policy rewrites as unified diffs: widened while accounts move, narrowed once the old organization is gone."""
    state = inventory.migration
    new_org = inventory.organization.id if inventory.organization else ""
    parts = []
    for m in state.accounts:
        for p in m.policies:
            if not m.joined:
                parts.append(f"# {m.account_id} {p.kind} {p.resource}: widened before it moves\n{p.diff(p.widened(new_org))}")
            parts.append(f"# {m.account_id} {p.kind} {p.resource}: narrowed once {p.old_org_ids[0]} is gone\n{p.diff(p.narrowed(new_org))}")
    return "\n\n".join(parts) or "no policy names an old organization"


def invitations_frame(inventory: Inventory) -> pd.DataFrame:
    """The organization's invitations: id, target, state, expiry."""
    rows = [
        {"id": h.id, "target": h.target, "state": h.state, "requested": h.requested_at, "expires": h.expires_at}
        for h in inventory.handshakes
        if h.action == "INVITE"
    ]
    return pd.DataFrame(rows, columns=["id", "target", "state", "requested", "expires"])


def standalone_windows(params: Parameters, inventory: Inventory, history: History) -> pd.DataFrame:
    """Each member that left its old organization first (transfer: leave): when it left, when it joined, the hours between."""
    left = {account: fact.at for account, fact in history.latest(FactKind.LEFT_ORGANIZATION).items()}
    joined = {a.id: a.joined_at for a in inventory.accounts}
    now = datetime.now(UTC)
    rows = []
    for spec in params.migrations:
        if spec.account_id not in left:
            continue
        left_at = left[spec.account_id]
        joined_at = joined.get(spec.account_id)
        hours = ((joined_at or now) - left_at).total_seconds() / 3600
        status = "WARN" if hours > WINDOW_WARN_HOURS else ("OK" if joined_at else "standing alone")
        rows.append({"account": spec.account_id, "left_at": left_at, "joined_at": joined_at, "hours": round(hours, 2), "status": status})
    return pd.DataFrame(rows, columns=["account", "left_at", "joined_at", "hours", "status"])
