"""What phase 05 reads of each account to bring in, before it plans."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from orgnb.aws.capacity import QuotaInventory
from orgnb.aws.inventory import HandshakeRecord
from orgnb.aws.policyrewrite import OrgPolicy
from orgnb.aws.transfer_impact import ImpactItem
from orgnb.input.parameters import ExistingAccount, Transfer
from orgnb.phases.memberrole import RoleTrust

PHASE = "migration"
KINDS = {"invites": "standalone", "migrations": "member", "old_managements": "management"}
# Where an account of another organization comes from, written on the invitation phase 05 sends it: as a tag, which
# AWS attaches to the account when it joins (InviteAccountToOrganization), and in the notes, which the invitation
# shows while it is pending (an old management account stands alone between deleting its organization and joining).
MOVED_FROM_TAG = "orgnb:moved-from"
MOVED_FROM_NOTES = "orgnb phase 05: {account} moves here from {org}"
_NOTED_ORIGIN = re.compile(r"^orgnb phase 05: \d{12} moves here from (o-[a-z0-9]{10,32})$")
MOVES = {"standalone": "joins", "member": "direct transfer", "management": "last: deletes its organization, then joins"}


def noted_origin(notes: str) -> str:
    """The organization an invitation's notes say the account comes from ('' when they say nothing of it)."""
    found = _NOTED_ORIGIN.match(notes)
    return found.group(1) if found else ""


@dataclass(frozen=True)
class MovingAccount:
    """An account to bring in: what the parameters say, and what AWS shows of it now."""

    field: str
    spec: ExistingAccount
    declared: str  # standalone / member / management
    joined: bool = False  # already a member of the new organization
    ou_path: str = ""
    seen_org: str = ""  # the organization it belongs to now, while outside the new one ('' when standalone or unreadable)
    origin: str = ""  # the organization it came from, once joined (its tag) or while invited (the invitation's notes)
    old_members: tuple[str, ...] = ()  # for a management account: the other members of its organization
    delegated: tuple[str, ...] = ()  # services it is a delegated administrator for in its old organization
    invite: HandshakeRecord | None = None  # the pending invitation from the new organization
    policies: tuple[OrgPolicy, ...] = ()  # its policies that name its old organization
    role: RoleTrust | None = None  # its OrganizationAccountAccessRole (None: no profile, or unreadable)
    is_management: bool = False  # it manages the organization it is in
    old_management_profile: str = ""  # the profile of its old organization's management account
    leave_denials: tuple[str, ...] = ()  # SCPs on its path in the old organization that always deny leaving it
    leave_doubts: tuple[str, ...] = ()  # SCPs there that deny leaving under a condition (AWS decides at the call)
    status: str = ""  # its state in the old organization, read by that organization's management account
    created_at: datetime | None = None  # when the old organization created it (None: it was invited, or unread)
    profile_arn: str = ""  # whom its profile acts as, while it is outside
    via_role: bool = False  # joined, and reached through the management account's role (its profile no longer reaches it)
    impact: tuple[ImpactItem, ...] = ()  # what moving out of its old organization breaks
    error: str = ""

    @property
    def account_id(self) -> str:
        """The account's id."""
        return self.spec.account_id

    @property
    def old_org(self) -> str:
        """The organization it moves out of: where it is now, or where it came from (joined, or alone and invited)."""
        return self.origin if self.joined else (self.seen_org or self.origin)

    @property
    def inside_profile(self) -> str | None:
        """The profile steps inside the account act through (None: through the management account's role)."""
        return None if self.via_role else self.spec.profile

    @property
    def leaves_first(self) -> bool:
        """True for a member the parameters make leave its organization before it accepts."""
        return self.declared == "member" and self.spec.transfer == Transfer.LEAVE


@dataclass(frozen=True)
class MigrationState:
    """Every account to bring in, read once before planning."""

    accounts: tuple[MovingAccount, ...] = ()

    def frame(self) -> pd.DataFrame:
        """One row per account to bring in: kind, where it is now, how it moves, its invitation."""
        rows = [
            {
                "account": m.account_id,
                "name": m.spec.name or "",
                "declared": m.declared,
                "now": "member of this organization" if m.joined else (f"in {m.seen_org}" if m.seen_org else m.error or "standalone"),
                "moves": MOVES[m.declared] if not m.leaves_first else "leaves first, then joins",
                "ou": m.spec.ou or "/",
                "role": m.role.describe() if m.role else "not read",
                "invitation": f"{m.invite.id} ({m.invite.state})" if m.invite else "",
            }
            for m in self.accounts
        ]
        return pd.DataFrame(rows, columns=["account", "name", "declared", "now", "moves", "ou", "role", "invitation"])

    def of_org(self, org_id: str) -> list[MovingAccount]:
        """The accounts moving out of `org_id`."""
        return [m for m in self.accounts if org_id and m.old_org == org_id]


@dataclass(frozen=True, kw_only=True)
class MigrationInventory(QuotaInventory):
    """The inventory plus the account quota and every account to bring in (read from inside where a profile reaches it)."""

    migration: MigrationState
