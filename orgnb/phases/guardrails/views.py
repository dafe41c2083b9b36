"""Phase 07's tables: the policies wanted and how each differs from AWS, the SCPs that apply to each member account
once the plan is applied, and the OU tree annotated with its policies."""

from __future__ import annotations

import difflib
import json
from dataclasses import replace

import pandas as pd

from orgnb.display import OuTree
from orgnb.input.guardrails import PolicyKind
from orgnb.input.parameters import Parameters
from orgnb.phases.guardrails.attachments import planned_attachments
from orgnb.phases.guardrails.baseline import canonical, wanted_policies
from orgnb.phases.guardrails.read import GuardrailsInventory


def policies_frame(params: Parameters, inventory: GuardrailsInventory) -> pd.DataFrame:
    """One row per policy the parameters want: type, where it comes from, whether AWS has it as wanted, its targets."""
    rows = []
    for w in wanted_policies(params, inventory):
        live = inventory.policy(w.name)
        state = "to create" if live is None else ("as wanted" if canonical(live.document) == w.content else "to update")
        rows.append({"policy": w.name, "type": w.kind.value, "origin": w.origin, "content": state, "targets": ", ".join(w.targets)})
    return pd.DataFrame(rows, columns=["policy", "type", "origin", "content", "targets"])


def guardrail_diffs(params: Parameters, inventory: GuardrailsInventory) -> str:
    """Unified diffs of the policies whose content in AWS differs from the parameters' (new ones in full)."""
    parts = []
    for w in wanted_policies(params, inventory):
        live = inventory.policy(w.name)
        before = json.dumps(live.document, indent=2, sort_keys=True).splitlines() if live else []
        after = json.dumps(w.document, indent=2, sort_keys=True).splitlines()
        if live is None or canonical(live.document) != w.content:
            parts.append("\n".join(difflib.unified_diff(before, after, f"{w.name} (AWS)", f"{w.name} (parameters)", lineterm="")))
    return "\n\n".join(parts) or "every policy in AWS already has the parameters' content"


def _path_targets(inventory: GuardrailsInventory, account_id: str, ou_path: str) -> list[str]:
    """The targets on an account's path, root first: root, each OU from the top down, the account."""
    parts = ou_path.split("/") if ou_path else []
    return ["root", *("/".join(parts[: i + 1]) for i in range(len(parts))), account_id]


def effective_scps(params: Parameters, inventory: GuardrailsInventory) -> pd.DataFrame:
    """Per member account: the SCPs on its path once the plan is applied, level by level (root, OUs, account)."""
    after = planned_attachments(params, inventory)
    rows = []
    for a in sorted(inventory.members(), key=lambda a: (a.ou_path, a.name)):
        levels = [
            f"{target}: {', '.join(sorted(n for n, k in after.get(target, {}).items() if k == PolicyKind.SCP)) or '(none)'}"
            for target in _path_targets(inventory, a.id, a.ou_path)
        ]
        rows.append({"account": a.id, "name": a.name, "ou_path": a.ou_path or "/", "scps": " | ".join(levels)})
    return pd.DataFrame(rows, columns=["account", "name", "ou_path", "scps"])


def policy_tree(params: Parameters, inventory: GuardrailsInventory) -> OuTree:
    """The OU tree with the policies each OU and account will have attached (root's in the title)."""
    after = planned_attachments(params, inventory)

    def label(name: str, target: str) -> str:
        attached = sorted(after.get(target, {}))
        return f"{name}  [{', '.join(attached)}]" if attached else name

    ous = [replace(o, name=label(o.name, o.path)) for o in inventory.ous]
    accounts = [replace(a, name=label(a.name, a.id)) for a in inventory.accounts]
    return OuTree(label("Organization root", "root"), ous, accounts)
