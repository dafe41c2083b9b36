"""What phase 07 leaves attached where: the parameters' policies, every other policy's live attachments, and
FullAWSAccess gone only where the parameters detach it and something else allows."""

from __future__ import annotations

from collections import defaultdict

from orgnb.input.guardrails import PolicyKind
from orgnb.input.parameters import Parameters
from orgnb.phases.guardrails.baseline import FULL_AWS_ACCESS, Wanted, wanted_policies
from orgnb.phases.guardrails.read import GuardrailsInventory


def planned_attachments(params: Parameters, inventory: GuardrailsInventory) -> dict[str, dict[str, PolicyKind]]:
    """Target name -> {policy name: type} once the plan is applied: what the parameters want, plus every other
    policy's live attachments, FullAWSAccess gone only where the parameters detach it (and something else allows)."""
    wanted = wanted_policies(params, inventory)
    managed = {w.name for w in wanted} | {p.name for p in inventory.policies if p.managed}
    after: dict[str, dict[str, PolicyKind]] = defaultdict(dict)
    for p in inventory.policies:
        if p.name not in managed:
            for target_id in p.targets:
                after[inventory.target_name(target_id)][p.name] = p.kind
    if PolicyKind.SCP.value not in (inventory.root.policy_types if inventory.root else ()):
        # enabling SCPs attaches FullAWSAccess to the root, every OU and every account (Organizations User Guide,
        # "Enabling a policy type"): the plan enables the type, so judge what AWS will have attached by then
        for target in ["root", *(o.path for o in inventory.ous), *(a.id for a in inventory.accounts)]:
            after[target][FULL_AWS_ACCESS] = PolicyKind.SCP
    for w in wanted:
        for target in w.targets:
            after[target][w.name] = w.kind
    for target in full_access_detachments(params, inventory, wanted):
        after[target].pop(FULL_AWS_ACCESS, None)
    return dict(after)


def allows_elsewhere(wanted: list[Wanted], target: str) -> bool:
    """True when a wanted SCP attached to `target` allows something (FullAWSAccess may then go)."""
    for w in wanted:
        if w.kind == PolicyKind.SCP and target in w.targets:
            statements = w.document.get("Statement", [])
            if any(s.get("Effect") == "Allow" for s in (statements if isinstance(statements, list) else [statements])):
                return True
    return False


def full_access_detachments(params: Parameters, inventory: GuardrailsInventory, wanted: list[Wanted]) -> list[str]:
    """The targets FullAWSAccess is planned to leave: named by the parameters, attached now, and allowed by another SCP."""
    full = inventory.policy(FULL_AWS_ACCESS)
    attached = {inventory.target_name(t) for t in full.targets} if full else set()
    return [t for t in params.guardrails.detach_full_aws_access if t in attached and allows_elsewhere(wanted, t)]
