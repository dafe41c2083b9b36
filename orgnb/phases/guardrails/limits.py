"""What Organizations refuses in a policy or an attachment, checked before any write so an apply never stops half done.

Sources: Organizations User Guide, "Quotas and service limits for AWS Organizations": at most 5 SCPs, 5 RCPs and 5
AI services opt-out policies, and 10 tag policies, attached to the root, an OU or an account (the page gives no
figure for EC2 declarative policies: not checked here), and a policy document of at most 5,120 characters for SCPs
and RCPs; "Resource control policies (RCPs)": an RCP's statements name `Principal: "*"`, and only the AWS-managed
RCPFullAWSAccess may allow (a customer RCP may only deny); "Enabling a policy type": enabling SCPs or RCPs attaches
FullAWSAccess or RCPFullAWSAccess to the root, every OU and every account, and each new OU gets it too.

The attachment limit holds at every step, not only at the end: the plan's steps are walked in order over the live
attachments, so a plan that attaches a policy before detaching another on a full target is refused here, not by AWS
half way through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from orgnb.engine.plan import Action, Step
from orgnb.errors import PreflightRefused
from orgnb.input.guardrails import PolicyKind
from orgnb.phases.guardrails.baseline import Wanted

MAX_ATTACHED = {PolicyKind.SCP: 5, PolicyKind.RCP: 5, PolicyKind.AI_OPT_OUT: 5, PolicyKind.TAG: 10}  # per target
MAX_CHARACTERS = 5120  # an SCP's or RCP's document
SIZED = frozenset({PolicyKind.SCP, PolicyKind.RCP})
DEFAULT_POLICY = {PolicyKind.SCP: "FullAWSAccess", PolicyKind.RCP: "RCPFullAWSAccess"}  # attached as their type is enabled
Attached = Mapping[str, Mapping[str, PolicyKind]]  # target name -> {policy name: type}


def _statements(wanted: Wanted) -> list[Mapping[str, object]]:
    found = wanted.document.get("Statement", [])
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, Mapping)]


def content_problems(wanted: list[Wanted]) -> list[str]:
    """Every size and RCP-shape rule the wanted policies break."""
    problems = []
    for w in wanted:
        if w.kind in SIZED and len(w.content) > MAX_CHARACTERS:
            problems.append(f"{w.name} is {len(w.content)} characters, past the {MAX_CHARACTERS} AWS allows")
        if w.kind == PolicyKind.RCP:
            for s in _statements(w):
                if s.get("Effect") != "Deny" or s.get("Principal") != "*":
                    problems.append(f'{w.name}: an RCP statement must deny, with Principal "*" ({s.get("Sid", "a statement")})')
    return problems


def attachment_problems(steps: Sequence[Step], live: Attached, targets: Iterable[str], enabled: Iterable[str]) -> list[str]:
    """Every attach step that would pass its type's limit on its target, with the steps applied in order over the
    `live` attachments (`targets`: every target that exists; `enabled`: the policy types enabled on the root)."""
    current = {target: dict(live.get(target, {})) for target in targets}
    on = set(enabled)
    problems = []
    for step in steps:
        if step.action is Action.ENABLE_POLICY_TYPE:
            kind = PolicyKind(step.params["PolicyType"])
            on.add(kind.value)
            for names in current.values():
                if kind in DEFAULT_POLICY:
                    names[DEFAULT_POLICY[kind]] = kind
        elif step.action is Action.CREATE_OU:
            current[str(step.params["Path"])] = {DEFAULT_POLICY[k]: k for k in DEFAULT_POLICY if k.value in on}
        elif step.action in (Action.ATTACH_POLICY, Action.DETACH_POLICY):
            names = current.setdefault(str(step.params["Target"]), {})
            kind, name = PolicyKind(step.params["Type"]), str(step.params["Name"])
            if step.action is Action.DETACH_POLICY:
                names.pop(name, None)
                continue
            names[name] = kind
            count, limit = sum(1 for k in names.values() if k == kind), MAX_ATTACHED.get(kind)
            if limit is not None and count > limit:
                problems.append(
                    f"{step.id} would make {count} {kind.value}s on {step.target}, past the {limit} AWS allows "
                    "(the plan attaches before it detaches)"
                )
    return problems


def check_limits(wanted: list[Wanted], steps: Sequence[Step], live: Attached, targets: Iterable[str], enabled: Iterable[str]) -> None:
    """Refuse (PreflightRefused) a plan that Organizations would stop part way."""
    problems = content_problems(wanted) + attachment_problems(steps, live, targets, enabled)
    if problems:
        raise PreflightRefused(
            f"AWS would refuse part of this plan: {'; '.join(problems)}. Nothing was changed: merge or move policies, "
            "or free a slot first (drop a policy from the parameters and run once before adding another)"
        )
