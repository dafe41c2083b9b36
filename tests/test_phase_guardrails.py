"""Phase 07 on the brownfield estate after phase 06: the baseline is attached, bites where it should and only there,
and a second run writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from orgnb.runbook import PhaseRun, apply_phase
from orgnb.sandbox import Sandbox
from tests.estates import BROWNFIELD, prepare

MEMBER_A = "444455556666"
TASK = "arn:aws:iam::aws:policy/root-task/"


def client(profile: str, service: str) -> Any:
    return boto3.Session(profile_name=profile).client(service, region_name="us-east-1")


def code_of(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return str(info.value.response["Error"]["Code"])


@pytest.fixture
def guarded(brownfield: Sandbox, tmp_path: Path) -> PhaseRun:
    prepare("guardrails")
    run = apply_phase("guardrails", BROWNFIELD, tmp_path / "reports" / "20260101T000000Z-guardrails")
    assert run.outcome == "applied", run.outcome
    return run


def test_the_baseline_is_attached_and_a_second_run_writes_nothing(guarded: PhaseRun, tmp_path: Path) -> None:
    ids = [s.id for s in guarded.planned.steps]
    assert ids[:2] == ["policy-type:SERVICE_CONTROL_POLICY", "ou:Transition"]
    assert {"attach:orgnb-deny-root-user:root", "attach:orgnb-protect-member-role:root", "attach:orgnb-deny-leave:Workloads"} <= set(ids)
    assert not any(i.endswith(":Transition") and i.startswith("attach:") for i in ids), "the way out stays open"
    assert not any("FullAWSAccess" in i for i in ids), "FullAWSAccess is never detached unless the parameters say so"
    again = apply_phase("guardrails", BROWNFIELD, tmp_path / "reports" / "20260101T000001Z-guardrails")
    assert again.outcome == "no-changes" and again.ctx.counter.write_total == 0


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
