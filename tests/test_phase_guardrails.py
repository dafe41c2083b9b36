"""Phase 07 on the brownfield estate after phase 06: the baseline is attached, bites where it should and only there,
and a second run writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from orgnb.aws.inventory import CallerIdentity, Organization, Root
from orgnb.aws.treewalk import Account, OrganizationalUnit
from orgnb.errors import ParameterError, PreflightRefused
from orgnb.input.parameters import load_parameters
from orgnb.phases.guardrails import GuardrailsInventory, plan_guardrails, write_policy_stubs
from orgnb.phases.guardrails.blast import denial_id, judged
from orgnb.runbook import PhaseRun, apply_phase, start_phase
from orgnb.sandbox import Sandbox
from tests.conftest import write_params
from tests.estates import BROWNFIELD, prepare

MEMBER_A = "444455556666"
TASK = "arn:aws:iam::aws:policy/root-task/"


def client(profile: str, service: str) -> Any:
    return boto3.Session(profile_name=profile).client(service, region_name="us-east-1")


def code_of(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return str(info.value.response["Error"]["Code"])


def with_guardrails(tmp_path: Path, **section: Any) -> Path:
    """brownfield.yaml with keys of its guardrails section replaced (files named in it are relative to tmp_path)."""
    data = yaml.safe_load(BROWNFIELD.read_text())
    data["guardrails"] = {**data["guardrails"], **section}
    return write_params(tmp_path, yaml.safe_dump(data, sort_keys=False))


def refusal(params: Path, tmp_path: Path, match: str) -> str:
    """Read and plan phase 07 with `params`: the PreflightRefused message it must give (matching `match`)."""
    run = start_phase("guardrails", str(params), apply=True, record_dir=str(tmp_path / "reports" / "20260101T000009Z-guardrails"))
    run.read()
    with pytest.raises(PreflightRefused, match=match) as refused:
        run.plan()
    return str(refused.value)


@pytest.fixture
def guarded(brownfield: Sandbox, tmp_path: Path) -> PhaseRun:
    prepare("guardrails")
    run = apply_phase("guardrails", BROWNFIELD, tmp_path / "reports" / "20260101T000000Z-guardrails")
    assert run.outcome == "applied", run.outcome
    return run


def test_the_baseline_is_attached_and_a_second_run_writes_nothing(guarded: PhaseRun, tmp_path: Path) -> None:
    ids = [s.id for s in guarded.planned.steps]
    assert ids[0] == "ou:Transition" and not any(i.startswith("policy-type:") for i in ids), "SCPs come enabled with the organization"
    assert {"attach:orgnb-deny-root-user:root", "attach:orgnb-protect-member-role:root", "attach:orgnb-deny-leave:Workloads"} <= set(ids)
    assert not any(i.endswith(":Transition") and i.startswith("attach:") for i in ids), "the way out stays open"
    assert not any("FullAWSAccess" in i for i in ids), "FullAWSAccess is never detached unless the parameters say so"
    again = apply_phase("guardrails", BROWNFIELD, tmp_path / "reports" / "20260101T000001Z-guardrails")
    assert again.outcome == "no-changes" and again.ctx.counter.write_total == 0
    terraform, template, to_import = write_policy_stubs(again.params, again.inventory, again.record_dir)  # type: ignore[arg-type]
    deny_leave = again.inventory.policy("orgnb-deny-leave")  # type: ignore[attr-defined]
    workloads = again.inventory.ou_by_path()["Workloads"].id
    assert f'id = "{workloads}:{deny_leave.id}"' in terraform.read_text() and "aws_organizations_policy_attachment" in terraform.read_text()
    resources = yaml.safe_load(template.read_text())["Resources"]
    assert workloads in resources["PolicyOrgnbDenyLeave"]["Properties"]["TargetIds"]
    assert {
        "ResourceType": "AWS::Organizations::Policy",
        "LogicalResourceId": "PolicyOrgnbDenyLeave",
        "ResourceIdentifier": {"Id": deny_leave.id},
    } in json.loads(to_import.read_text())


def test_a_member_cannot_leave_unless_moved_to_the_transition_ou(guarded: PhaseRun) -> None:
    member = client("old-member-a", "organizations")
    assert code_of(member.leave_organization) == "AccessDeniedException"
    org = client("management", "organizations")
    transition = guarded.inventory.ou_by_path()["Transition"].id
    parent = org.list_parents(ChildId=MEMBER_A)["Parents"][0]["Id"]
    org.move_account(AccountId=MEMBER_A, SourceParentId=parent, DestinationParentId=transition)
    member.leave_organization()
    assert code_of(member.describe_organization) == "AWSOrganizationsNotInUseException"


def test_central_root_tasks_still_work_and_the_member_role_is_changed_only_by_itself(guarded: PhaseRun) -> None:
    creds = client("management", "sts").assume_root(TargetPrincipal=MEMBER_A, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})[
        "Credentials"
    ]
    root = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"]
    )
    assert isinstance(root.client("iam", region_name="us-east-1").list_access_keys()["AccessKeyMetadata"], list)  # not denied
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}],
    }
    change = {"RoleName": "OrganizationAccountAccessRole", "PolicyDocument": json.dumps(trust)}
    assert code_of(client("old-member-a", "iam").update_assume_role_policy, **change) == "AccessDenied"
    inside = guarded.ctx.inside(MEMBER_A)  # the management account through the role itself
    inside.client("iam").update_assume_role_policy(**change)


def test_a_custom_scp_that_would_break_the_kit_is_refused_before_any_write(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("guardrails")
    deny_iam = {"Version": "2012-10-17", "Statement": [{"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
    (tmp_path / "no-iam.json").write_text(json.dumps(deny_iam))
    custom = [{"name": "no-iam", "file": "no-iam.json", "targets": ["Workloads"]}]
    params = with_guardrails(tmp_path, custom=custom)
    before = len(brownfield.calls(writes_only=True))
    message = refusal(params, tmp_path, "SCP no-iam")
    assert "SCP no-iam (statement NoIam, attached to Workloads) denies iam:" in message
    assert "phase member-initialization" in message and "no-iam/iam:" in message  # the policy, the operation, the id to acknowledge
    assert len(brownfield.calls(writes_only=True)) == before, "nothing written"
    run = start_phase("guardrails", str(params), record_dir=str(tmp_path / "reports" / "20260101T000001Z-guardrails"))
    ids = sorted({denial_id(d) for d in judged(run.params, run.read())[0]})  # type: ignore[arg-type]
    assert ids and all(i.startswith("no-iam/iam:") for i in ids)
    stale = "gone/iam:Nothing/member-role"
    again = start_phase(
        "guardrails", str(with_guardrails(tmp_path, custom=custom, acknowledged=[*ids, stale])), record_dir=str(tmp_path / "r2")
    )
    again.read()
    notes = again.plan().notes
    assert len([n for n in notes if n.startswith("acknowledged: SCP no-iam")]) >= len(ids)  # let through, each named
    assert any(stale in n and "matches no denial" in n for n in notes)
    # a root session is had only through sts:AssumeRoot, judged as the target's root (preview's stricter reading)
    no_sessions = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "NoRootSessions", "Effect": "Deny", "Action": "sts:AssumeRoot", "Resource": "*"}],
    }
    (tmp_path / "no-root-sessions.json").write_text(json.dumps(no_sessions))
    sessions = [{"name": "no-root-sessions", "file": "no-root-sessions.json", "targets": ["Workloads"]}]
    message = refusal(with_guardrails(tmp_path, custom=sessions), tmp_path, "SCP no-root-sessions")
    assert "(statement NoRootSessions, attached to Workloads) denies sts:AssumeRoot to a root session" in message
    assert "used by phase member-initialization" in message and "no-root-sessions/sts:AssumeRoot/root-session" in message
    assert len(brownfield.calls(writes_only=True)) == before, "nothing written"


def test_guardrails_parameters_refuse_what_aws_or_the_kit_would_refuse_later(tmp_path: Path) -> None:
    """Refused on loading (exit 2), before any AWS call: names that are AWS's or the kit's, a name twice, a service
    delegated through its own API, and a transition OU nested below another."""
    bad = {
        "custom": [{"name": "FullAWSAccess", "file": "x.json", "targets": ["root"]}],
        "delegated_administrators": {"guardduty.amazonaws.com": MEMBER_A},
        "baseline": {"transition_ou": "Suspended/Transition"},
    }
    for key, value in bad.items():
        (tmp_path / "x.json").write_text("{}")
        with pytest.raises(ParameterError) as refused:
            load_parameters(with_guardrails(tmp_path, **{key: value}))
        assert "guardrails" in str(refused.value), (key, str(refused.value))
    twice = [{"name": "a", "file": "x.json", "targets": ["root"]}, {"name": "a", "file": "x.json", "targets": ["Workloads"]}]
    with pytest.raises(ParameterError, match="share a name"):
        load_parameters(with_guardrails(tmp_path, custom=twice))
    (tmp_path / "scp-shaped.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": []}))
    declarative = [{"name": "ec2", "file": "scp-shaped.json", "type": "DECLARATIVE_POLICY_EC2", "targets": ["root"]}]
    with pytest.raises(ParameterError, match=r"guardrails\.custom\[0\]\.file.*not an EC2 declarative policy") as refused:
        load_parameters(with_guardrails(tmp_path, custom=declarative))
    assert "'ec2_attributes'" in str(refused.value)


def test_before_scps_are_enabled_the_preview_counts_the_full_aws_access_enabling_attaches() -> None:
    """AWS attaches FullAWSAccess everywhere only when the SCP type is enabled, which this same plan does: judged
    without it, every member would look denied everything and the first real run would be refused."""
    org = Organization("o-abcdefghij", "arn", "ALL", "111122223333", "aws+management-account@example.com")
    workloads = OrganizationalUnit("ou-ab12-11111111", "Workloads", "arn", "r-ab12", "Workloads")
    member = Account(MEMBER_A, "arn", "Legacy prod", "a@example.com", "ACTIVE", "INVITED", None, workloads.id, "Workloads")
    inventory = GuardrailsInventory(
        CallerIdentity("111122223333", "arn:aws:iam::111122223333:user/operator", "AIDA"),
        org,
        root=Root("r-ab12", "Root", "arn", ()),  # no policy type enabled, no policy attached anywhere
        ous=(workloads,),
        accounts=(member,),
        policies=(),
        delegated=frozenset(),
    )
    params = load_parameters(with_guardrails_defaults())
    plan = plan_guardrails(params, inventory)
    assert plan.steps[0].id == "policy-type:SERVICE_CONTROL_POLICY"
    assert "attach:orgnb-deny-leave:Workloads" in [s.id for s in plan.steps]


def with_guardrails_defaults() -> Path:
    """example.yaml: no account to move in, so only the member role and root sessions are judged."""
    return BROWNFIELD.parent / "example.yaml"
