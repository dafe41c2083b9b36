"""A plan is data: typed steps computed from parameters and the live inventory, shown, hashed, applied."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

import pandas as pd

from orgnb.evidence.redact import redact


class Action(StrEnum):
    """Every kind of write a plan can contain, named after the AWS operation it makes."""

    CREATE_ORGANIZATION = "organizations:CreateOrganization"
    ENABLE_ALL_FEATURES = "organizations:EnableAllFeatures"
    ACCEPT_HANDSHAKE = "organizations:AcceptHandshake"
    ENABLE_SERVICE_ACCESS = "organizations:EnableAWSServiceAccess"
    PUT_ACCOUNT_NAME = "account:PutAccountName"
    PUT_CONTACT_INFORMATION = "account:PutContactInformation"
    PUT_ALTERNATE_CONTACT = "account:PutAlternateContact"
    ENABLE_ROOT_CREDENTIALS_MANAGEMENT = "iam:EnableOrganizationsRootCredentialsManagement"
    ENABLE_ROOT_SESSIONS = "iam:EnableOrganizationsRootSessions"
    DELETE_ROOT_CREDENTIALS = "sts:AssumeRoot+iam:Delete* (IAMDeleteRootUserCredentials)"
    CREATE_OU = "organizations:CreateOrganizationalUnit"
    MOVE_ACCOUNT = "organizations:MoveAccount"
    CREATE_ACCOUNT = "organizations:CreateAccount"
    DEREGISTER_DELEGATED_ADMINISTRATOR = "organizations:DeregisterDelegatedAdministrator"
    INVITE_ACCOUNT = "organizations:InviteAccountToOrganization"
    LEAVE_ORGANIZATION = "organizations:LeaveOrganization"
    DELETE_ORGANIZATION = "organizations:DeleteOrganization"
    ACCEPT_INVITATION = "organizations:AcceptHandshake (inside the account)"
    WIDEN_POLICY = "iam/s3/kms: policy names the new organization next to the old (inside the account)"
    NARROW_POLICY = "iam/s3/kms: policy names the new organization only (inside the account)"
    CREATE_MEMBER_ROLE = "iam:CreateRole+AttachRolePolicy (inside the account)"
    REPOINT_MEMBER_ROLE = "iam:UpdateAssumeRolePolicy (inside the account)"
    START_PRIMARY_EMAIL = "account:StartPrimaryEmailUpdate"
    ACCEPT_PRIMARY_EMAIL = "account:AcceptPrimaryEmailUpdate"
    ENABLE_POLICY_TYPE = "organizations:EnablePolicyType"
    CREATE_POLICY = "organizations:CreatePolicy"
    UPDATE_POLICY = "organizations:UpdatePolicy"
    ATTACH_POLICY = "organizations:AttachPolicy"
    DETACH_POLICY = "organizations:DetachPolicy"
    REGISTER_DELEGATED_ADMINISTRATOR = "organizations:RegisterDelegatedAdministrator"


@dataclass(frozen=True)
class Step:
    """One write: a stable id, the action, its target and the inputs the executor needs."""

    id: str
    action: Action
    target: str
    description: str
    params: Mapping[str, Any] = field(default_factory=dict)
    irreversible: bool = False
    confirmed: bool = False  # an irreversible step runs only once its target is listed in confirm_irreversible
    group: str = ""  # steps sharing a group stop together: a failure skips the group's later steps, others go on
    after: tuple[str, ...] = ()  # groups that must not have stopped for this step to run (e.g. members before their old management)

    def to_dict(self) -> dict[str, Any]:
        """The step as plain JSON-able data (hashed and journaled)."""
        out: dict[str, Any] = {
            "id": self.id,
            "action": self.action.value,
            "target": self.target,
            "description": self.description,
            "params": dict(self.params),
            "irreversible": self.irreversible,
        }
        if self.needs_confirmation:  # only then: a confirmed plan hashes as it did before confirmations were marked
            out["needs_confirmation"] = True
        if self.group:
            out["group"] = self.group
        if self.after:
            out["after"] = list(self.after)
        return out

    @property
    def needs_confirmation(self) -> bool:
        """True for an irreversible step whose target is not confirmed: it is shown, never applied."""
        return self.irreversible and not self.confirmed

    def confirmation(self) -> str:
        """What the operator must do before this step can run ("" when nothing)."""
        return f"needs confirmation: add {self.target} to confirm_irreversible" if self.needs_confirmation else ""


@dataclass(frozen=True)
class Plan:
    """The ordered steps of one phase; empty when the live state already matches the parameters."""

    phase: str
    steps: tuple[Step, ...] = ()
    notes: tuple[str, ...] = ()
    awaiting: tuple[str, ...] = ()  # what a person must do before the phase can finish

    @cached_property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON of the phase and its steps: same plan, same hash."""
        steps = [redact(s.to_dict()) for s in self.steps]  # a passcode must not be recoverable from a printed hash
        body = json.dumps({"phase": self.phase, "steps": steps}, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()

    @property
    def short_hash(self) -> str:
        """The first 8 characters of the hash, which the operator types to confirm."""
        return self.hash[:8]

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to change."""
        return not self.steps

    def confirmed_for(self, confirm_irreversible: Collection[str]) -> Plan:
        """The plan with each irreversible step confirmed when its target is listed, marked as needing it otherwise.

        The mark is part of the hash: a plan that deletes an organization and one that waits for its confirmation
        are two decisions, and the operator's typed hash confirms one of them.
        """
        listed = set(confirm_irreversible)
        return replace(self, steps=tuple(replace(s, confirmed=s.target in listed) if s.irreversible else s for s in self.steps))

    def frame(self) -> pd.DataFrame:
        """The plan as a table, one row per step, in order."""
        rows = [
            {
                "#": i + 1,
                "step": s.id,
                "action": s.action.value,
                "target": s.target,
                "description": s.description,
                "irreversible": s.confirmation() or s.irreversible,
            }
            for i, s in enumerate(self.steps)
        ]
        return pd.DataFrame(rows, columns=["#", "step", "action", "target", "description", "irreversible"])

    def headline(self) -> str:
        """One line for the record: phase, step count and hash."""
        return f"plan {self.phase}: {len(self.steps)} step(s), hash {self.hash}"
