"""What Organizations refuses in a policy or an attachment, checked before any write so an apply never stops half done.

Sources: Organizations User Guide, "Quotas and service limits for AWS Organizations": at most 5 SCPs and 5 RCPs
attached to the root, an OU or an account, and a policy document of at most 5,120 characters for SCPs and RCPs;
"Resource control policies (RCPs)": an RCP's statements name `Principal: "*"`, and only the AWS-managed
RCPFullAWSAccess may allow (a customer RCP may only deny).
"""

from __future__ import annotations

from collections.abc import Mapping

from orgnb.errors import PreflightRefused
from orgnb.input.guardrails import PolicyKind
from orgnb.phases.guardrails.baseline import Wanted

MAX_ATTACHED = 5  # per type (SCP, RCP) and target
MAX_CHARACTERS = 5120  # an SCP's or RCP's document
SIZED = frozenset({PolicyKind.SCP, PolicyKind.RCP})


def _statements(wanted: Wanted) -> list[Mapping[str, object]]:
    found = wanted.document.get("Statement", [])
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, Mapping)]


def limit_problems(wanted: list[Wanted], attached: Mapping[str, Mapping[str, PolicyKind]]) -> list[str]:
    """Every limit the planned policies and attachments would break."""
    problems = []
    for w in wanted:
        if w.kind in SIZED and len(w.content) > MAX_CHARACTERS:
            problems.append(f"{w.name} is {len(w.content)} characters, past the {MAX_CHARACTERS} AWS allows")
        if w.kind == PolicyKind.RCP:
            for s in _statements(w):
                if s.get("Effect") != "Deny" or s.get("Principal") != "*":
                    problems.append(f'{w.name}: an RCP statement must deny, with Principal "*" ({s.get("Sid", "a statement")})')
    for target, names in sorted(attached.items()):
        for kind in SIZED:
            count = sum(1 for k in names.values() if k == kind)
            if count > MAX_ATTACHED:
                problems.append(f"{target} would have {count} {kind.value}s attached, past the {MAX_ATTACHED} AWS allows")
    return problems


def check_limits(wanted: list[Wanted], attached: Mapping[str, Mapping[str, PolicyKind]]) -> None:
    """Refuse (PreflightRefused) a plan that Organizations would stop part way."""
    problems = limit_problems(wanted, attached)
    if problems:
        raise PreflightRefused(f"AWS would refuse part of this plan: {'; '.join(problems)}. Nothing was changed: merge or move policies")
