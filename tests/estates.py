"""The estates the later phases start from, built through the package (no kernel), shared by snapshots and tests.

Phases 01 and 02 start from the brownfield scenario itself. Phase 03 starts after 02, with `old-member-a` already
brought into the new organization (so its root password, access key, MFA device and certificate are there to
audit and delete: in the full runbook that account arrives in phase 05). Phase 04 starts after 03. Phase 05 starts
after 02-04 as the rehearsal runs them (no early join; old-member-b has no payment method, which a direct transfer
does not need). Phase 06 starts after 05 has moved every account in.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import boto3

from orgnb.phases.registry import PHASES, phase_info
from orgnb.runbook import apply_phase

ROOT = Path(__file__).resolve().parent.parent
BROWNFIELD = ROOT / "parameters" / "brownfield.yaml"
OLD_MEMBER_A = ("old-member-a", "444455556666")
OLD_MEMBER_B = ("old-member-b", "555566667777")


def client(profile: str, service: str) -> Any:
    """A client for a sandbox profile (the environment points at the sandbox)."""
    return boto3.Session(profile_name=profile).client(service, region_name="us-east-1")


def join_early(profile: str, account_id: str) -> None:
    """Move a member of the old organization into the new one by direct transfer (what phase 05 will do): invite,
    deregister it as a delegated administrator of the old organization, accept from inside."""
    handshake = client("management", "organizations").invite_account_to_organization(Target={"Id": account_id, "Type": "ACCOUNT"})
    old_management = client("old-management", "organizations")
    for service in old_management.list_delegated_services_for_account(AccountId=account_id)["DelegatedServices"]:
        old_management.deregister_delegated_administrator(AccountId=account_id, ServicePrincipal=service["ServicePrincipal"])
    client(profile, "organizations").accept_handshake(HandshakeId=handshake["Handshake"]["Id"])


def consolidated_billing_with_a_member() -> tuple[Any, Any]:
    """A consolidated-billing organization managed by `management`, with `standalone` invited in: (its client, the
    member's client)."""
    org, member = client("management", "organizations"), client("standalone", "organizations")
    org.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    invitation = org.invite_account_to_organization(Target={"Id": "222233334444", "Type": "ACCOUNT"})["Handshake"]["Id"]
    member.accept_handshake(HandshakeId=invitation)
    return org, member


# the phases whose test estate has old-member-a join right after phase 02 (its root credentials are there to audit)
EARLY_JOIN = ("root-centralization", "account-creation")


def prepare(phase: str, parameters_file: Path = BROWNFIELD) -> None:
    """Bring a freshly reset brownfield sandbox to the state `phase` starts from (environment must point at it): every
    planning phase before it applied in the registry's order."""
    records = Path(tempfile.mkdtemp(prefix="orgnb-estate-"))
    target = phase_info(phase)
    for earlier in PHASES:
        if earlier.number >= target.number or earlier.planner is None:
            continue
        apply_phase(earlier.name, parameters_file, records / earlier.name)
        if earlier.name == "organization-init" and target.name in EARLY_JOIN:
            join_early(*OLD_MEMBER_A)
