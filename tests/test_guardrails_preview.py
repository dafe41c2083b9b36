"""Phase 07's blast-radius preview: planned SCPs judged against the kit's own member-side operations, without AWS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from orgnb.engine.plan import Action, Step
from orgnb.input.guardrails import PolicyKind
from orgnb.phases.guardrails.limits import attachment_problems
from orgnb.phases.guardrails.preview import (
    ASSUME_ROOT,
    FULL_AWS_ACCESS,
    FULL_AWS_ACCESS_DOCUMENT,
    ROOT,
    Denial,
    Member,
    PreviewError,
    PrincipalKind,
    member_operations,
    preview,
    request_context,
    unevaluable,
)
from orgnb.sandbox import principals

PROD = Member("444455556666", "Workloads/Prod", "o-abc123/r-ab12/ou-ab12-work/ou-ab12-prod/")
TRANSITION = Member("555566667777", "Transition", "o-abc123/r-ab12/ou-ab12-tran/")
MOVED = Member("666677778888", "", "o-abc123/r-ab12/", through_profile=True)
MEMBERS = (PROD, TRANSITION, MOVED)
LEAVE = "organizations:LeaveOrganization"
# AWS's example "Prevent root credentials management in member accounts" (aws-samples/service-control-policy-examples)
DENY_ROOT = {
    "Sid": "DenyRootUnlessAssumedRoot",
    "Effect": "Deny",
    "Action": "*",
    "Resource": "*",
    "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}, "Null": {"aws:AssumedRoot": "true"}},
}


def doc(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def full_access(members: Sequence[Member] = MEMBERS) -> dict[str, list[str]]:
    """FullAWSAccess where AWS attaches it: the root, every OU and every account."""
    places = {ROOT, *(m.account_id for m in members)}
    for m in members:
        parts = [p for p in m.ou_path.split("/") if p]
        places |= {"/".join(parts[: i + 1]) for i in range(len(parts))}
    return {place: [FULL_AWS_ACCESS] for place in places}


def run(extra: Mapping[str, Mapping[str, Any]], attach: Mapping[str, Sequence[str]], **kw: Any) -> list[Denial]:
    """The preview of `extra` policies attached as `attach`, on top of FullAWSAccess everywhere."""
    attached = full_access()
    for place, names in attach.items():
        attached[place] = [*attached.get(place, []), *names]
    kw.setdefault("operations", member_operations())
    return preview({FULL_AWS_ACCESS: FULL_AWS_ACCESS_DOCUMENT, **extra}, attached, MEMBERS, **kw)


def test_full_aws_access_alone_denies_nothing() -> None:
    assert run({}, {}, extra_actions=[LEAVE, "sts:AssumeRoot", "ec2:RunInstances"]) == []
    deny_all = {"deny-all": doc({"Effect": "Deny", "Action": "*", "Resource": "*"})}
    assert run(deny_all, {ROOT: ["deny-all"]}, operations={}, extra_actions=["sts:GetCallerIdentity"]) == [], "needs no permission"


def test_a_custom_scp_denying_iam_names_the_policy_statement_and_the_kit_operations_it_breaks() -> None:
    denials = run({"no-iam": doc({"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"})}, {"Workloads": ["no-iam"]})
    root_task = Denial(
        PROD.account_id,
        "Workloads/Prod",
        "Workloads",
        "no-iam",
        "NoIam",
        "iam:DeleteLoginProfile",
        PrincipalKind.ROOT_SESSION,
        "member-initialization",
    )
    assert root_task in denials
    assert root_task.sentence() == (
        "SCP no-iam (statement NoIam, attached to Workloads) denies iam:DeleteLoginProfile to a root session in 444455556666 "
        "(Workloads/Prod), used by phase member-initialization"
    )
    assert ("iam:GetRole", PrincipalKind.MEMBER_ROLE, "member-initialization") in {(d.action, d.principal, d.phase) for d in denials}
    assert {d.account_id for d in denials} == {PROD.account_id}, "attached to Workloads: Transition and the root's accounts keep iam"
    assert all(d.action.startswith("iam:") for d in denials)
    # at the root, it reaches the moved account too, whose own profile re-points its role (phase 05)
    everywhere = run({"no-iam": doc({"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"})}, {ROOT: ["no-iam"]})
    repoint = [d for d in everywhere if d.action == "iam:UpdateAssumeRolePolicy"]
    assert [(d.account_id, d.principal, d.phase, d.where) for d in repoint] == [
        (MOVED.account_id, PrincipalKind.ACCOUNT_PROFILE, "migration", ROOT)
    ]
    assert everywhere[0].row()["ou"] == "Workloads/Prod" and {d.row()["statement"] for d in everywhere} == {"NoIam"}


def test_the_member_role_is_judged_as_its_own_arn() -> None:
    operations = {
        "member-initialization": {"member-role": ["iam:UpdateAssumeRolePolicy"], "account-profile": ["iam:UpdateAssumeRolePolicy"]}
    }
    protect = doc(
        {
            "Effect": "Deny",
            "Action": ["iam:UpdateAssumeRolePolicy", "iam:DeleteRole"],
            "Resource": "arn:aws:iam::*:role/OrganizationAccountAccessRole",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}},
        }
    )
    denials = run({"protect-role": protect}, {ROOT: ["protect-role"]}, operations=operations)
    assert [(d.account_id, d.principal, d.statement) for d in denials] == [
        (MOVED.account_id, PrincipalKind.ACCOUNT_PROFILE, "Statement[0]")
    ]
    unprotected = run(
        {"deny-update": doc({"Sid": "D", "Effect": "Deny", "Action": "iam:Update*", "Resource": "*"})},
        {ROOT: ["deny-update"]},
        operations=operations,
    )
    assert {(d.account_id, d.principal) for d in unprotected} >= {
        (PROD.account_id, PrincipalKind.MEMBER_ROLE),
        (MOVED.account_id, PrincipalKind.MEMBER_ROLE),
    }


def test_a_member_side_deny_of_assume_root_names_the_phases_that_work_through_root_sessions() -> None:
    """The stricter reading (see preview's docstring): a root session is had only through sts:AssumeRoot, judged as
    the target member's root, so an SCP denying it breaks every phase with root-session operations."""
    deny = {"no-root-sessions": doc({"Sid": "NoAssumeRoot", "Effect": "Deny", "Action": "sts:AssumeRoot", "Resource": "*"})}
    denials = run(deny, {"Workloads": ["no-root-sessions"]})
    root_phases = sorted(phase for phase, kinds in member_operations().items() if kinds.get(PrincipalKind.ROOT_SESSION.value))
    assert root_phases, "some phase works through root sessions"
    assert [(d.account_id, d.policy, d.statement, d.action, d.principal, d.phase) for d in denials] == [
        (PROD.account_id, "no-root-sessions", "NoAssumeRoot", "sts:AssumeRoot", PrincipalKind.ROOT_SESSION, phase) for phase in root_phases
    ]
    assert "denies sts:AssumeRoot to a root session in 444455556666 (Workloads/Prod)" in denials[0].sentence()
    assert denials[0].sentence().endswith(f"used by phase {root_phases[0]}")
    listed = run(deny, {ROOT: ["no-root-sessions"]}, extra_actions=["sts:AssumeRoot"])
    assert {(d.account_id, d.principal) for d in listed if d.principal is PrincipalKind.LISTED} == {
        (m.account_id, PrincipalKind.LISTED) for m in MEMBERS
    }, "a caller inside a member (a delegated administrator for IAM) is judged when the parameters list it"


def test_an_allow_list_granting_assume_root_on_member_roots_lets_root_sessions_through() -> None:
    """AssumeRoot names the member's root as its resource, as the sandbox judges it: an Allow naming that ARN counts."""
    attached = full_access()
    attached["Workloads"] = ["iam-and-root"]
    allow = doc(
        {"Effect": "Allow", "Action": ["iam:*", "sts:GetCallerIdentity"], "Resource": "*"},
        {"Effect": "Allow", "Action": ASSUME_ROOT, "Resource": "arn:aws:iam::*:root"},
    )
    denials = preview({FULL_AWS_ACCESS: FULL_AWS_ACCESS_DOCUMENT, "iam-and-root": allow}, attached, MEMBERS, member_operations())
    assert ASSUME_ROOT not in {d.action for d in denials}
    elsewhere = doc(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": ASSUME_ROOT, "Resource": "arn:aws:iam::*:role/x"},
    )
    denials = preview({FULL_AWS_ACCESS: FULL_AWS_ACCESS_DOCUMENT, "iam-and-root": elsewhere}, attached, MEMBERS, member_operations())
    assert {(d.account_id, d.action) for d in denials if d.action == ASSUME_ROOT} == {(PROD.account_id, ASSUME_ROOT)}


def test_deny_leave_attached_outside_transition_denies_leaving_only_there() -> None:
    deny_leave = {"deny-leave": doc({"Sid": "DenyLeave", "Effect": "Deny", "Action": LEAVE, "Resource": "*"})}
    assert run(deny_leave, {"Workloads": ["deny-leave"], MOVED.account_id: ["deny-leave"]}) == [], "the kit never leaves this organization"
    denials = run(deny_leave, {"Workloads": ["deny-leave"], MOVED.account_id: ["deny-leave"]}, extra_actions=[LEAVE])
    assert {(d.account_id, d.where) for d in denials} == {(PROD.account_id, "Workloads"), (MOVED.account_id, MOVED.account_id)}


def test_deny_leave_at_the_root_with_a_transition_condition() -> None:
    """The same exception as a condition on aws:PrincipalOrgPaths, attached once at the root."""
    statement = {"Effect": "Deny", "Action": LEAVE, "Resource": "*"}
    condition = {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": "o-abc123/r-ab12/ou-ab12-tran/*"}}
    denials = run({"deny-leave": doc({**statement, "Condition": condition})}, {ROOT: ["deny-leave"]}, extra_actions=[LEAVE])
    assert {d.account_id for d in denials} == {PROD.account_id, MOVED.account_id}


def test_denying_the_root_user_except_in_assume_root_sessions_spares_the_kit() -> None:
    assert run({"deny-root": doc(DENY_ROOT)}, {ROOT: ["deny-root"]}, extra_actions=["s3:PutBucketPolicy"]) == []
    without_exception = {**DENY_ROOT, "Condition": {"ArnLike": DENY_ROOT["Condition"]["ArnLike"]}}
    denials = run({"deny-root": doc(without_exception)}, {ROOT: ["deny-root"]})
    assert denials and {d.principal for d in denials} == {PrincipalKind.ROOT_SESSION}
    assert {"iam:DeleteLoginProfile", "sts:AssumeRoot"} <= {d.action for d in denials}


def test_full_aws_access_detached_from_an_ou_with_nothing_else_denies_everything_there() -> None:
    attached = full_access()
    attached["Workloads"] = []
    operations = member_operations()
    denials = preview({FULL_AWS_ACCESS: FULL_AWS_ACCESS_DOCUMENT}, attached, MEMBERS, operations, extra_actions=["ec2:RunInstances"])
    assert {d.account_id for d in denials} == {PROD.account_id}
    assert {(d.where, d.policy, d.statement, d.explicit) for d in denials} == {("Workloads", "", "", False)}
    performed = {(kind, a) for ops in operations.values() for kind, actions in ops.items() if kind != "account-profile" for a in actions}
    assert {(d.principal.value, d.action) for d in denials if d.phase} == performed | {(PrincipalKind.ROOT_SESSION.value, ASSUME_ROOT)}
    assert denials[0].sentence().startswith("no SCP attached to Workloads allows")
    # something else allowing iam there lets iam through, and nothing else
    attached["Workloads"] = ["iam-only"]
    iam_only = doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    partial = preview(
        {FULL_AWS_ACCESS: FULL_AWS_ACCESS_DOCUMENT, "iam-only": iam_only}, attached, MEMBERS, operations, extra_actions=["ec2:RunInstances"]
    )
    assert {d.action for d in partial} == {"ec2:RunInstances", ASSUME_ROOT}


def test_what_the_evaluator_cannot_evaluate_is_refused_naming_it() -> None:
    tagged = doc({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}}})
    assert unevaluable({FULL_AWS_ACCESS: FULL_AWS_ACCESS_DOCUMENT, "by-tag": tagged}) == {"by-tag": ["condition key aws:PrincipalTag/team"]}
    with pytest.raises(PreviewError, match="by-tag uses condition key aws:PrincipalTag/team"):
        run({"by-tag": tagged}, {ROOT: ["by-tag"]})
    with pytest.raises(PreviewError, match="Workloads has missing attached"):
        run({}, {"Workloads": ["missing"]})


def test_principals_bring_the_keys_the_sandbox_gives_them() -> None:
    """The preview and the sandbox build a principal's condition keys with the same function (policyeval)."""
    # the sandbox adds the organization keys of wherever the account is in its state (other tests may have left it
    # in one); the preview adds them from the Member it is given (here none): the rest must be the same
    session = principals.context(principals.root(PROD.account_id, assumed=True), "eu-west-1")
    session = {k: v for k, v in session.items() if not k.startswith("aws:principalorg")}
    assert request_context(Member(PROD.account_id), PrincipalKind.ROOT_SESSION, "eu-west-1") == session
    role = request_context(PROD, PrincipalKind.MEMBER_ROLE, None)
    assert role["aws:principalarn"] == f"arn:aws:iam::{PROD.account_id}:role/OrganizationAccountAccessRole"
    assert role["aws:principalorgpaths"] == (PROD.org_path,) and role["aws:principalorgid"] == "o-abc123"
    assert "aws:assumedroot" not in role and "aws:requestedregion" not in role


def step(action: Action, name: str, target: str = ROOT, kind: PolicyKind = PolicyKind.SCP) -> Step:
    return Step(f"{action.name.lower()}:{name}:{target}", action, target, "", {"Name": name, "Type": kind.value, "Target": target})


def test_the_attachment_limit_holds_at_every_step_not_only_at_the_end() -> None:
    """Root with FullAWSAccess and four SCPs: attaching an allow-list before FullAWSAccess leaves makes six for a moment,
    which AWS refuses half way; enabling RCPs attaches RCPFullAWSAccess, which counts among the five."""
    live = {ROOT: {FULL_AWS_ACCESS: PolicyKind.SCP, **{f"deny-{i}": PolicyKind.SCP for i in range(4)}}}
    swap = [step(Action.ATTACH_POLICY, "allow-list"), step(Action.DETACH_POLICY, FULL_AWS_ACCESS)]
    problems = attachment_problems(swap, live, [ROOT], ["SERVICE_CONTROL_POLICY"])
    assert len(problems) == 1 and "attach_policy:allow-list:root would make 6 SERVICE_CONTROL_POLICYs on root" in problems[0]
    assert attachment_problems(swap[::-1], live, [ROOT], ["SERVICE_CONTROL_POLICY"]) == [], "detached first, five at most"
    rcps = [Step("policy-type:RCP", Action.ENABLE_POLICY_TYPE, ROOT, "", {"PolicyType": PolicyKind.RCP.value})]
    rcps += [step(Action.ATTACH_POLICY, f"tls-{i}", kind=PolicyKind.RCP) for i in range(5)]
    problems = attachment_problems(rcps, live, [ROOT, "Workloads"], ["SERVICE_CONTROL_POLICY"])
    assert [p.split(" would")[0] for p in problems] == ["attach_policy:tls-4:root"]
    ou = [Step("ou:Transition", Action.CREATE_OU, "Transition", "", {"Path": "Transition"})]
    ou += [step(Action.ATTACH_POLICY, f"deny-{i}", "Transition") for i in range(5)]
    assert len(attachment_problems(ou, live, [ROOT], ["SERVICE_CONTROL_POLICY"])) == 1, "a new OU starts with FullAWSAccess"
