"""The blast-radius preview: planned SCPs judged, before any write, against what the kit itself does in members.

AWS offers no SCP simulator, so this is the kit's: the effective SCPs after the plan are evaluated with the
evaluator and the path rule the sandbox enforces (`orgnb.aws.policyeval`), for every IAM action the kit performs
inside member accounts (`member_operations.json`, rebuilt by `make policy-data`) and for actions the parameters
add (a CI role's). A denial names the account, where the refusing policy sits, the policy, its statement, the
action, who performs it and in which phase.

How AWS evaluates, and so how the preview models each principal:
- Organizations User Guide, "Service control policies (SCPs)": SCPs restrict the IAM users and roles and the root
  user of member accounts; they never restrict the management account (whose own calls, sts:AssumeRole and
  sts:AssumeRoot included, are therefore never judged here) nor service-linked roles.
- Organizations User Guide, "SCP evaluation": an action is allowed only when every level of the account's path
  (the root, each OU from the top, the account) has an SCP allowing it and no SCP on the path denies it; with
  FullAWSAccess detached from a level and nothing else allowing there, everything below it is denied.
- IAM User Guide, "AWS global condition context keys": aws:PrincipalArn is a role's ARN for its sessions and
  `arn:aws:iam::<account>:root` for the root user; aws:AssumedRoot ("true") is present only in requests made with
  credentials from sts:AssumeRoot. AWS's example SCP "Prevent root credentials management in member accounts"
  (aws-samples/service-control-policy-examples) denies the root principal only where aws:AssumedRoot is Null: root
  sessions pass through SCPs like any member principal, and carry that key.
- STS API reference, AssumeRoot: called with the management account's credentials (or a delegated
  administrator's), which SCPs never restrict. Whether the target member's SCPs are consulted for the session AWS
  does not say in the API reference; AWS re:Post's "How do I set up centralized root access in IAM for member
  accounts?" ("Adjust SCPs to allow root sessions") tells organizations whose SCPs deny root users to adjust them
  for sts:AssumeRoot. The preview takes that stricter reading: each phase that works through root sessions also
  performs sts:AssumeRoot as the member's root (`ASSUME_ROOT`), so an SCP denying it to members is a FAIL naming
  that phase. The sandbox enforces the same reading under its setting `assume_root_checks_target_scps` (on).
  A caller inside a member (a delegated administrator for IAM) is judged when sts:AssumeRoot is among the extra
  actions.

The principals: OrganizationAccountAccessRole's session (`arn:aws:iam::<account>:role/OrganizationAccountAccessRole`),
a root session (`arn:aws:iam::<account>:root` with aws:AssumedRoot), and for a moved account's own profile and for
the extra actions a generic role of the account (`GENERIC_ROLE`, which no SCP exception names). The requests name
no resource (a Deny with a specific Resource counts, an Allow does not: see policyeval), except sts:AssumeRoot, which
names the member's root (`arn:aws:iam::<account>:root`); they carry aws:RequestedRegion only when `region` is given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from orgnb.aws import policyeval
from orgnb.aws.policyeval import Request, Value
from orgnb.aws.session import ACCOUNT_PROFILE_SCOPE, MEMBER_ROLE, MEMBER_ROLE_SCOPE, ROOT_SESSION_SCOPE

MEMBER_OPERATIONS_PATH = Path(__file__).resolve().parents[2] / "member_operations.json"
ASSUME_ROOT = "sts:AssumeRoot"  # judged as the target's root for every phase with root-session operations (see above)
ROOT = "root"  # the organization's root, as `attached` and `Denial.where` name it (no OU path starts with it: awsrules)
GENERIC_ROLE = "orgnb-preview-principal"
FULL_AWS_ACCESS = "FullAWSAccess"
FULL_AWS_ACCESS_DOCUMENT: Mapping[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# Operations the kit makes through a moved account's profile while the account is outside this organization: finding
# and accepting its invitation, leaving or dealing with its old organization. This organization's SCPs never see them.
BEFORE_JOINING = frozenset(
    {
        "organizations:AcceptHandshake",
        "organizations:ListHandshakesForAccount",
        "organizations:LeaveOrganization",
        "organizations:DeleteOrganization",
        "organizations:DeregisterDelegatedAdministrator",
    }
)


class PrincipalKind(StrEnum):
    """Who performs an action inside a member: the kit's call scopes (orgnb.aws.session), or the parameters' list."""

    MEMBER_ROLE = MEMBER_ROLE_SCOPE  # a session of OrganizationAccountAccessRole
    ROOT_SESSION = ROOT_SESSION_SCOPE  # the member's root, in a session from sts:AssumeRoot
    ACCOUNT_PROFILE = ACCOUNT_PROFILE_SCOPE  # a moved account's own profile
    LISTED = "listed"  # an action the parameters list (a CI role's), by a generic principal of the account

    @property
    def phrase(self) -> str:
        """The principal in a sentence: `a root session`."""
        return _PHRASES[self]


_PHRASES = {
    PrincipalKind.MEMBER_ROLE: MEMBER_ROLE,
    PrincipalKind.ROOT_SESSION: "a root session",
    PrincipalKind.ACCOUNT_PROFILE: "the account's own profile",
    PrincipalKind.LISTED: "a principal",
}
KIT_KINDS = (PrincipalKind.MEMBER_ROLE, PrincipalKind.ROOT_SESSION, PrincipalKind.ACCOUNT_PROFILE)
# phase -> kind of principal -> IAM actions, as member_operations.json holds them
MemberOperations = Mapping[str, Mapping[str, Sequence[str]]]


class PreviewError(ValueError):
    """The preview cannot judge its input: a policy the evaluator cannot evaluate, or an attachment of a policy it
    was not given. Its message names each."""


@dataclass(frozen=True)
class Member:
    """A member account the SCPs apply to (never the management account)."""

    account_id: str
    ou_path: str = ""  # OU names from the root down (`Workloads/Prod`); "" directly under the root
    org_path: str = ""  # aws:PrincipalOrgPaths (`o-id/r-id/ou-id/`), "" when not known: the key is then absent
    through_profile: bool = False  # the kit acts inside it through its own profile (an account it moves in)


@dataclass(frozen=True)
class Denial:
    """One action the planned SCPs would refuse in one member account."""

    account_id: str
    ou_path: str
    where: str  # where the refusing level sits: ROOT, an OU path, or the account id
    policy: str  # the denying policy; "" when no SCP attached at `where` allows the action
    statement: str  # the denying statement's Sid, or `Statement[i]`; "" likewise
    action: str
    principal: PrincipalKind
    phase: str  # the kit phase that performs the action; "" for an action the parameters list

    @property
    def explicit(self) -> bool:
        """True for an explicit Deny, False for a level where nothing allows."""
        return bool(self.policy)

    def sentence(self) -> str:
        """The denial in one sentence, naming the policy, the statement and the operation it breaks."""
        who = f"{self.principal.phrase} in {self.account_id} ({self.ou_path or ROOT})"
        by = f"phase {self.phase}" if self.phase else "the parameters' extra actions"
        if self.explicit:
            return f"SCP {self.policy} (statement {self.statement}, attached to {self.where}) denies {self.action} to {who}, used by {by}"
        return f"no SCP attached to {self.where} allows {self.action} to {who}, used by {by}"

    def row(self) -> dict[str, str]:
        """One table row."""
        return {
            "account": self.account_id,
            "ou": self.ou_path or ROOT,
            "where": self.where,
            "policy": self.policy,
            "statement": self.statement,
            "action": self.action,
            "principal": self.principal.value,
            "phase": self.phase,
        }


def member_operations() -> dict[str, dict[str, list[str]]]:
    """The committed member-side actions, per phase and kind of principal."""
    data: dict[str, dict[str, list[str]]] = json.loads(MEMBER_OPERATIONS_PATH.read_text(encoding="utf-8"))
    return data


def unevaluable(scps: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """What each policy uses that the evaluator cannot evaluate (policies with nothing of the kind left out)."""
    found = {name: policyeval.unsupported(json.dumps(document)) for name, document in sorted(scps.items())}
    return {name: problems for name, problems in found.items() if problems}


def levels(member: Member) -> list[str]:
    """The places on `member`'s path, as `attached` names them: ROOT, each OU path from the top, the account id."""
    names = [part for part in member.ou_path.split("/") if part]
    return [ROOT, *("/".join(names[: i + 1]) for i in range(len(names))), member.account_id]


def request_context(member: Member, kind: PrincipalKind, region: str | None) -> dict[str, Value]:
    """The condition keys a request by `kind` of principal in `member` carries."""
    account = member.account_id
    if kind is PrincipalKind.ROOT_SESSION:
        arn = f"arn:aws:iam::{account}:root"
        keys = policyeval.principal_context(arn, account, policyeval.ROOT_PRINCIPAL_TYPE, account, assumed_root=True)
    else:
        role = MEMBER_ROLE if kind is PrincipalKind.MEMBER_ROLE else GENERIC_ROLE
        keys = policyeval.principal_context(f"arn:aws:iam::{account}:role/{role}", account, "AssumedRole", f"{role}:orgnb")
    if region:
        keys["aws:requestedregion"] = region
    org_id = member.org_path.split("/", 1)[0]
    return keys | (policyeval.org_context(org_id, member.org_path) if org_id else {})


def _checked(scps: Mapping[str, Mapping[str, Any]], attached: Mapping[str, Sequence[str]]) -> None:
    problems = [f"{name} uses {'; '.join(found)}" for name, found in unevaluable(scps).items()]
    problems += [
        f"{target} has {name} attached, which is not among the policies"
        for target, names in attached.items()
        for name in names
        if name not in scps
    ]
    if problems:
        raise PreviewError("the guardrails preview cannot judge: " + "; ".join(problems))


def _actions(member: Member, operations: MemberOperations, extra_actions: Sequence[str]) -> dict[tuple[PrincipalKind, str], list[str]]:
    """Who performs which action in `member`, with the phases that do ("" for the parameters' list)."""
    kinds = [k for k in KIT_KINDS if member.through_profile or k is not PrincipalKind.ACCOUNT_PROFILE]
    performed: dict[tuple[PrincipalKind, str], list[str]] = {}
    for phase, by_kind in operations.items():
        for kind in kinds:
            actions = list(by_kind.get(kind.value, ()))
            if kind is PrincipalKind.ROOT_SESSION and actions:
                actions.append(ASSUME_ROOT)  # no root session without it (the stricter reading above)
            for action in actions:
                if action not in BEFORE_JOINING:
                    performed.setdefault((kind, action), []).append(phase)
    for action in (a for a in extra_actions if a not in policyeval.SCP_EXEMPT_ACTIONS):
        performed.setdefault((PrincipalKind.LISTED, action), []).append("")
    return performed


def preview(
    scps: Mapping[str, Mapping[str, Any]],
    attached: Mapping[str, Sequence[str]],
    members: Sequence[Member],
    operations: MemberOperations,
    extra_actions: Sequence[str] = (),
    region: str | None = None,
) -> list[Denial]:
    """Every action of the kit (`operations`, e.g. `member_operations()`) and of `extra_actions` that the SCPs
    would refuse in `members`, given the policies by name (`scps`, AWS's FullAWSAccess included where attached) and
    where each is attached after the plan (`attached`: ROOT, an OU path or an account id -> policy names). Raises
    PreviewError for what it cannot judge (see `unevaluable`); an empty list when nothing is refused."""
    _checked(scps, attached)
    denials: list[Denial] = []
    for member in members:
        places = levels(member)
        path = [[(name, scps[name]) for name in attached.get(place, ())] for place in places]
        contexts = {kind: request_context(member, kind, region) for kind in PrincipalKind}
        for (kind, action), phases in sorted(_actions(member, operations, extra_actions).items()):
            resource = f"arn:aws:iam::{member.account_id}:root" if action == ASSUME_ROOT else None  # as the sandbox judges it
            refused = policyeval.scp_refusal(path, Request(action, resource, contexts[kind]))
            if refused is None:
                continue
            denials += [
                Denial(
                    member.account_id,
                    member.ou_path,
                    places[refused.level],
                    refused.policy or "",
                    refused.statement or "",
                    action,
                    kind,
                    phase,
                )
                for phase in sorted(phases)
            ]
    return denials
