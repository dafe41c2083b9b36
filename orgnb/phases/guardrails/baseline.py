"""The policies phase 07 wants: the shipped baseline (policies/*.json) as the parameters shape it, and custom ones.

Each shipped file holds the policy's name, type, where it is attached, what it does and where the pattern comes from
(AWS's documentation), and the document itself. A target is `root`, an OU path or an account id: resolved to ids only
when a step runs, so a step id reads the same before and after the OU exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from orgnb.aws.inventory import Inventory
from orgnb.input.guardrails import ROOT_TARGET, Baseline, PolicyKind
from orgnb.input.parameters import Parameters

POLICIES = Path(__file__).resolve().parent / "policies"
FULL_AWS_ACCESS = "FullAWSAccess"  # the AWS-managed SCP attached everywhere when SCPs are enabled (p-FullAWSAccess)
REGIONS_PLACEHOLDER = "ALLOWED_REGIONS"


@dataclass(frozen=True)
class Shipped:
    """A policy file the kit ships."""

    name: str
    kind: PolicyKind
    targets: str
    description: str
    source: str
    document: dict[str, Any]


@dataclass(frozen=True)
class Wanted:
    """A policy the organization should have: its content and every target it should be attached to."""

    name: str
    kind: PolicyKind
    description: str
    document: dict[str, Any]
    targets: tuple[str, ...]  # root, OU paths, account ids
    origin: str  # "baseline: deny-leave", "custom: <file>"

    @property
    def content(self) -> str:
        """The document as Organizations stores it (canonical JSON, so equal documents compare equal)."""
        return canonical(self.document)


def canonical(document: Any) -> str:
    """A policy document as compact JSON with sorted keys."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


@cache
def shipped(which: Baseline) -> Shipped:
    """The shipped policy `which` (policies/<which>.json)."""
    raw = json.loads((POLICIES / f"{which.value}.json").read_text(encoding="utf-8"))
    return Shipped(raw["name"], PolicyKind(raw["type"]), raw["targets"], raw["description"], raw["source"], raw["document"])


def _read_document(path: Path) -> dict[str, Any]:
    """A policy file's document (load_parameters checked it is a JSON object)."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _below_root(inventory: Inventory, transition: str) -> tuple[str, ...]:
    """Every OU directly under the root but the transition OU. Not the members directly under the root: a policy
    attached to an account moves with it, so moving it to the transition OU would not let it leave (plan notes them)."""
    return tuple(sorted(o.path for o in inventory.ous if "/" not in o.path and o.path != transition))


def uncovered_by_deny_leave(inventory: Inventory) -> list[str]:
    """Members directly under the root, which deny-leave does not cover (it is attached to OUs)."""
    return [a.id for a in inventory.members() if not a.ou_path and a.state == "ACTIVE"]


def _baseline_switches(params: Parameters) -> dict[Baseline, bool]:
    base = params.guardrails.baseline
    return {
        Baseline.DENY_LEAVE: base.deny_leave,
        Baseline.DENY_ROOT_USER: base.deny_root_user,
        Baseline.PROTECT_MEMBER_ROLE: base.protect_member_role,
        Baseline.ALLOWED_REGIONS: bool(base.allowed_regions),
        Baseline.REQUIRE_TLS: base.require_tls,
        Baseline.AI_OPT_OUT: base.ai_opt_out,
    }


def wanted_policies(params: Parameters, inventory: Inventory) -> list[Wanted]:
    """The policies the parameters ask for, baseline first (their files were checked, and made absolute, on loading)."""
    base = params.guardrails.baseline
    wanted = []
    for which, on in _baseline_switches(params).items():
        if not on:
            continue
        ship = shipped(which)
        replaced = base.replace.get(which)
        document = _read_document(Path(replaced)) if replaced else ship.document
        if which == Baseline.ALLOWED_REGIONS and not replaced:
            document = json.loads(json.dumps(document).replace(f'["{REGIONS_PLACEHOLDER}"]', json.dumps(sorted(base.allowed_regions))))
        targets = _below_root(inventory, base.transition_ou) if which == Baseline.DENY_LEAVE else (ROOT_TARGET,)
        wanted.append(Wanted(ship.name, ship.kind, ship.description, document, targets, f"baseline: {which.value}"))
    for custom in params.guardrails.custom:
        document = _read_document(Path(custom.file))
        description = custom.description or f"from {custom.file}"
        wanted.append(Wanted(custom.name, custom.type, description, document, tuple(custom.targets), f"custom: {custom.file}"))
    return wanted
