"""Phase 03: central root access for member accounts; audit their root credentials and delete them where asked.

Order matters: IAM needs trusted access before it can manage member root users, and AssumeRoot needs root
credentials management before it can audit. On a first run the audit is therefore not possible yet; the plan
then holds a deletion step for every confirmed member, whose executor audits inside the delete session and
removes only what it finds. Deleting root credentials cannot be undone: it is planned only when
`member_root_unused` is attested, and a member missing from `confirm_irreversible` keeps its step in the plan,
marked "needs confirmation", not applied: the run ends pending (exit 4) naming the account id to add.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from orgnb.aws.inventory import Inventory
from orgnb.aws.rootcreds import (
    CREDENTIALS_MANAGEMENT,
    IAM_PRINCIPAL,
    ROOT_SESSIONS,
    RootAccessState,
    audit_members,
    delete_root_credentials,
)
from orgnb.aws.session import AwsContext
from orgnb.engine.apply import executor
from orgnb.engine.plan import Action, Plan, Step
from orgnb.errors import PreflightRefused
from orgnb.input.parameters import ManualId, Parameters
from orgnb.phases.phase import Phase

PHASE = "root-centralization"


@dataclass(frozen=True, kw_only=True)
class RootAccessInventory(Inventory):
    """The inventory plus the organization's root-access features and each active member's root credentials."""

    root_access: RootAccessState


def read_root_access(ctx: AwsContext, params: Parameters, inventory: Inventory) -> RootAccessInventory:
    """The inventory plus the root-access features and the audit of every active member (AssumeRoot, audit policy)."""
    del params  # every active member is audited, whatever the parameters name
    members = [(a.id, a.name) for a in inventory.members() if a.state == "ACTIVE"]
    return inventory.extended(RootAccessInventory, root_access=audit_members(ctx, members))


def preconditions(params: Parameters, inventory: Inventory) -> pd.DataFrame:
    """The phase's preconditions as a table: check, status (PASS / FAIL / MANUAL), detail."""
    org = inventory.organization
    all_features = org is not None and org.feature_set == "ALL"
    attested = params.attestations.get(ManualId.MEMBER_ROOT_UNUSED)
    rows = [
        {
            "check": "organization has all features",
            "status": "PASS" if all_features else "FAIL",
            "detail": f"{org.id}: {org.feature_set}" if org else "no organization: run phase 02 first",
        },
        {
            "check": "member_root_unused (nobody signs in as a member's root user)",
            "status": "PASS" if attested else "MANUAL",
            "detail": f"attested by {attested.by} on {attested.at}"
            if attested
            else "ask the account owners, then attest it in the parameters",
        },
    ]
    return pd.DataFrame(rows, columns=["check", "status", "detail"])


def _feature_steps(params: Parameters, inventory: Inventory, features: frozenset[str]) -> list[Step]:
    steps: list[Step] = []
    if IAM_PRINCIPAL not in inventory.trusted_services:
        steps.append(
            Step(
                f"trusted-access:{IAM_PRINCIPAL}",
                Action.ENABLE_SERVICE_ACCESS,
                IAM_PRINCIPAL,
                "enable trusted access for IAM (needed to manage member root users)",
                {"ServicePrincipal": IAM_PRINCIPAL},
            )
        )
    wanted = (
        (params.root_access.credentials_management, CREDENTIALS_MANAGEMENT, Action.ENABLE_ROOT_CREDENTIALS_MANAGEMENT, "audit and delete"),
        (params.root_access.root_sessions, ROOT_SESSIONS, Action.ENABLE_ROOT_SESSIONS, "unlock misconfigured bucket and queue policies"),
    )
    for enabled, feature, action, purpose in wanted:
        if enabled and feature not in features:
            steps.append(Step(f"enable:{feature}", action, feature, f"enable {feature} (the management account can {purpose} as root)"))
    return steps


def deletion_steps(state: RootAccessState, members: list[tuple[str, str]], only: set[str] | None = None) -> tuple[list[Step], list[str]]:
    """Irreversible deletion steps for the members that hold (or may hold) root credentials; notes for the unreadable.

    With the audit done, the candidates are the members it found holding credentials or could not read; before it
    (the features are not on yet) every member in `members` is a candidate, audited inside its delete session.
    `only` limits the steps to some accounts (phase 06: the accounts moved in). Phase 06 reuses this. Whether each
    step may run is the runbook's one rule for irreversible steps (`Plan.confirmed_for`), not decided here.
    """
    notes: list[str] = []
    if state.audited:
        candidates = [(m.account_id, m.name) for m in state.members if m.present or m.error]
        notes += [f"{m.account_id} ({m.name}): {m.error}" for m in state.members if m.error]
        how = "delete its root password, access keys, MFA devices and signing certificates (whatever the audit in its session finds)"
    else:
        candidates = members
        how = "audit inside the delete session (the audit needs the features above), then delete what it finds"
    steps = []
    for account_id, name in candidates:
        if only is not None and account_id not in only:
            continue
        step_id = f"delete-root-credentials:{account_id}"
        # a group of its own: held for confirmation, it holds nothing else of the account (phase 06's role, email, contacts)
        group = f"root-credentials:{account_id}"
        steps.append(Step(step_id, Action.DELETE_ROOT_CREDENTIALS, account_id, f"{name}: {how}", irreversible=True, group=group))
    return steps, notes


def plan_root_centralization(params: Parameters, inventory: RootAccessInventory) -> Plan:
    """Trusted access for IAM and the root-access features; then deletion of confirmed members' root credentials."""
    org = inventory.organization
    if org is None or org.feature_set != "ALL":
        raise PreflightRefused("central root access needs an Organization with all features: run phase 02 (organization-init) first")
    state = inventory.root_access
    steps = _feature_steps(params, inventory, state.features)
    notes = [
        f"{feature} is enabled although the parameters do not ask for it: left as it is (this runbook never disables it)"
        for wanted, feature in (
            (params.root_access.credentials_management, CREDENTIALS_MANAGEMENT),
            (params.root_access.root_sessions, ROOT_SESSIONS),
        )
        if feature in state.features and not wanted
    ]
    awaiting: list[str] = []
    if params.root_access.delete_member_root_credentials:
        if ManualId.MEMBER_ROOT_UNUSED in params.attestations:
            members = [(a.id, a.name) for a in inventory.members() if a.state == "ACTIVE"]
            deletions, more_notes = deletion_steps(state, members)
            steps += deletions
            notes += more_notes
        elif state.with_credentials() or not state.audited:
            awaiting.append("attest member_root_unused (nobody uses member root users) before their credentials are deleted")
    return Plan(PHASE, tuple(steps), tuple(notes), tuple(awaiting))


@executor(Action.ENABLE_ROOT_CREDENTIALS_MANAGEMENT)
def _enable_credentials_management(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    features = ctx.client("iam").enable_organizations_root_credentials_management()["EnabledFeatures"]
    return {"enabled_features": sorted(features)}


@executor(Action.ENABLE_ROOT_SESSIONS)
def _enable_root_sessions(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    features = ctx.client("iam").enable_organizations_root_sessions()["EnabledFeatures"]
    return {"enabled_features": sorted(features)}


@executor(Action.DELETE_ROOT_CREDENTIALS)
def _delete_root_credentials(ctx: AwsContext, step: Step) -> Mapping[str, Any]:
    return {"deleted": delete_root_credentials(ctx, step.target)}


DEFINITION = Phase(3, PHASE, "central root access; audit and delete member root credentials", plan_root_centralization, read_root_access)
