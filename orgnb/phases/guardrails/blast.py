"""Phase 07's blast radius: the SCPs the plan leaves in place, judged (preview.py) against what the kit still does
inside member accounts and what the parameters add, before any write.

The kit's member-side operations (member_operations.json) run through three principals. The member role and root
sessions act in every member. A moved account's own profile acts only while the kit still needs it: an account the
parameters bring in that is not yet an active member is judged with its profile's operations too, in the OU it is
headed for, and so is a member whose OrganizationAccountAccessRole the management account cannot assume yet (phase
06 creates or re-points that role through the profile). Once the role answers, the profile is done with. An account
phase 04 has yet to create is judged in the OU the parameters give it, named `to-create:<slug>`.

A denial is a FAIL: the plan is refused (exit 3) unless its id is listed in `guardrails.acknowledged`.
"""

from __future__ import annotations

import pandas as pd

from orgnb.errors import PreflightRefused
from orgnb.input.guardrails import PolicyKind
from orgnb.input.parameters import Parameters
from orgnb.phases.account_creation import account_email
from orgnb.phases.guardrails.attachments import planned_attachments
from orgnb.phases.guardrails.baseline import wanted_policies
from orgnb.phases.guardrails.preview import (
    FULL_AWS_ACCESS,
    FULL_AWS_ACCESS_DOCUMENT,
    Denial,
    Member,
    levels,
    member_operations,
    preview,
    unevaluable,
)
from orgnb.phases.guardrails.read import GuardrailsInventory

TO_CREATE = "to-create:"  # how a denial names an account phase 04 has yet to create: by its slug


def denial_id(denial: Denial) -> str:
    """How `guardrails.acknowledged` names a denial: policy (or the level nothing allows at), action, principal."""
    return f"{denial.policy or 'no-allow@' + denial.where}/{denial.action}/{denial.principal.value}"


def _members(params: Parameters, inventory: GuardrailsInventory) -> list[Member]:
    active = {a.id: a for a in inventory.members() if a.state == "ACTIVE"}
    moving = {spec.account_id: spec for _, spec in params.existing_accounts() if spec.profile}
    members = [Member(a.id, a.ou_path, through_profile=False) for a in active.values() if a.id not in moving]
    for account_id, spec in moving.items():
        joined = active.get(account_id)
        profile_needed = joined is None or account_id in inventory.role_unreachable
        members.append(Member(account_id, joined.ou_path if joined else (spec.ou or ""), through_profile=profile_needed))
    for planned in params.accounts:  # not created yet (phase 04 to run): judged in the OU it is headed for
        if inventory.account_by_email(account_email(params, planned)) is None:
            members.append(Member(f"{TO_CREATE}{planned.slug}", planned.ou or ""))
    return sorted(members, key=lambda m: m.account_id)


def judged(params: Parameters, inventory: GuardrailsInventory) -> tuple[list[Denial], dict[str, list[str]]]:
    """The denials the planned SCPs would give the kit's own operations and the parameters' extra actions, and the
    SCPs the evaluator cannot judge (with what it cannot evaluate in each)."""
    after = planned_attachments(params, inventory)
    documents = {w.name: w.document for w in wanted_policies(params, inventory) if w.kind == PolicyKind.SCP}
    for p in inventory.policies:
        if p.kind == PolicyKind.SCP and p.name not in documents and isinstance(p.document, dict):
            documents[p.name] = p.document
    documents.setdefault(FULL_AWS_ACCESS, dict(FULL_AWS_ACCESS_DOCUMENT))
    attached = {target: sorted(n for n, k in names.items() if k == PolicyKind.SCP) for target, names in after.items()}
    members = _members(params, inventory)
    for member in members:  # an OU or account that does not exist yet gets FullAWSAccess when it does (SCP evaluation)
        for level in levels(member):
            if inventory.target_id(level) is None:
                attached[level] = sorted({*attached.get(level, []), FULL_AWS_ACCESS})
    problems = unevaluable(documents)
    if problems:
        return [], problems
    region = params.organization.region  # where the kit makes its calls (aws:RequestedRegion)
    denials = preview(documents, attached, members, member_operations(), params.guardrails.extra_actions, region=region)
    return denials, {}


def blast_radius(params: Parameters, inventory: GuardrailsInventory) -> pd.DataFrame:
    """The preview as a table: one row per denial, FAIL unless acknowledged (empty when the SCPs deny the kit nothing)."""
    denials, problems = judged(params, inventory)
    rows = [{"status": "FAIL", "id": name, "detail": "; ".join(found)} for name, found in problems.items()]
    for d in denials:
        acknowledged = denial_id(d) in params.guardrails.acknowledged
        rows.append({"status": "ACKNOWLEDGED" if acknowledged else "FAIL", "id": denial_id(d), "detail": d.sentence()})
    return pd.DataFrame(rows, columns=["status", "id", "detail"])


def check_blast_radius(params: Parameters, inventory: GuardrailsInventory) -> list[str]:
    """Refuse (PreflightRefused) a plan whose SCPs would deny the kit an operation it still performs, or that the
    evaluator cannot judge; the acknowledged denials, as plan notes."""
    denials, problems = judged(params, inventory)
    if problems:
        named = "; ".join(f"{name}: {', '.join(found)}" for name, found in problems.items())
        raise PreflightRefused(f"the kit cannot judge these SCPs before attaching them ({named}): simplify them, then run again")
    refused = [d for d in denials if denial_id(d) not in params.guardrails.acknowledged]
    if refused:
        lines = "; ".join(f"{d.sentence()} [id {denial_id(d)}]" for d in refused[:10])
        more = f" (and {len(refused) - 10} more)" if len(refused) > 10 else ""
        raise PreflightRefused(
            f"the planned SCPs would deny {len(refused)} operation(s) the kit performs or the parameters list: {lines}{more}. "
            "Nothing was changed: narrow the policy, or list the id under guardrails.acknowledged if the denial is meant"
        )
    seen = {denial_id(d) for d in denials}
    stale = [
        f"acknowledged id {i} matches no denial any more: remove it from guardrails.acknowledged"
        for i in params.guardrails.acknowledged
        if i not in seen
    ]
    return [f"acknowledged: {d.sentence()}" for d in denials] + stale
