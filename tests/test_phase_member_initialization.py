"""Phase 06 after the migration: role, root email through its passcode, names, contacts, root credentials, re-runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError

from orgnb.aws.inventory import caller_identity
from orgnb.aws.session import make_context
from orgnb.engine.plan import Action
from orgnb.errors import OperatorActionPending
from orgnb.phases.member_initialization import final_inventory
from orgnb.phases.memberrole import trusted_principals
from orgnb.runbook import PhaseRun, apply_phase, start_phase
from orgnb.sandbox import Sandbox, registry
from tests.conftest import write_params
from tests.estates import BROWNFIELD, prepare

STANDALONE, MEMBER_A, MEMBER_B, OLD_MGMT = "222233334444", "444455556666", "555566667777", "333344445555"
PLANNED = {
    STANDALONE: ("Gadget sandbox", "aws+gadget-sandbox@example.com"),
    MEMBER_A: ("Legacy prod", "aws+legacy-prod@example.com"),
    MEMBER_B: ("Legacy data", "aws+legacy-data@example.com"),
    OLD_MGMT: ("Legacy workloads", "aws+legacy-workloads@example.com"),
}


def planned(tmp_path: Path, params: Path = BROWNFIELD, name: str = "run") -> PhaseRun:
    run = start_phase("member-initialization", str(params), apply=True, record_dir=str(tmp_path / name))
    run.read()
    run.plan()
    return run


def passcodes(sandbox: Sandbox) -> dict[str, str]:
    codes = {}
    for _, email in PLANNED.values():
        mails = sandbox.admin(f"mailbox?address={email.replace('+', '%2B')}")
        codes[email] = re.findall(r"\b[A-Za-z0-9]{6}$", mails[-1]["body"])[0]
    return codes


def test_moved_accounts_get_role_email_name_contacts_and_lose_root_credentials(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("member-initialization")
    first = planned(tmp_path, name="1")
    kinds = {s.id.split(":")[0] for s in first.planned.steps}
    assert {"member-role", "start-email", "alternate-contact", "delete-root-credentials"} <= kinds
    roles = {s.target: s.action for s in first.planned.steps if s.id.startswith("member-role")}
    assert roles == {STANDALONE: Action.CREATE_MEMBER_ROLE, OLD_MGMT: Action.CREATE_MEMBER_ROLE}  # 05 re-pointed the members' roles
    assert {s.target for s in first.planned.steps if s.irreversible} == {STANDALONE, MEMBER_A, MEMBER_B, OLD_MGMT}
    first.apply()
    first.verify()
    assert first.outcome == "pending" and len(first.planned.awaiting) == 4
    with pytest.raises(OperatorActionPending):
        first.summary()

    # a wrong passcode is refused by AWS: the phase waits for a new one and the pending updates stay open
    wrong = write_params(
        tmp_path, yaml.safe_dump({**yaml.safe_load(BROWNFIELD.read_text()), "otps": dict.fromkeys(passcodes(brownfield), "ZZZZZZ")})
    )
    refused = planned(tmp_path, wrong, "wrong")
    refused.apply()
    refused.verify()
    assert refused.outcome == "pending" and len(refused.result.awaiting) == 4
    assert all("remove it from otps" in why for why in refused.result.awaiting.values())

    params = write_params(tmp_path, yaml.safe_dump({**yaml.safe_load(BROWNFIELD.read_text()), "otps": passcodes(brownfield)}))
    second = planned(tmp_path, params, "2")
    assert [s.id.split(":")[0] for s in second.planned.steps] == ["accept-email"] * 4
    second.apply()
    remaining = second.verify()
    assert second.outcome == "applied" and remaining.is_empty
    for account_id, (name, email) in PLANNED.items():
        assert (registry.record(account_id).name, registry.record(account_id).email) == (name, email)
        role = boto3.Session(
            profile_name={STANDALONE: "standalone", MEMBER_A: "old-member-a", MEMBER_B: "old-member-b", OLD_MGMT: "old-management"}[
                account_id
            ]
        )
        assert role.client("iam").get_role(RoleName="OrganizationAccountAccessRole")["Role"]["Arn"]
    table = final_inventory(second.inventory).set_index("id")
    management, old_management = make_context("management", "us-east-1"), make_context("old-management", "us-east-1")
    for member in (a.id for a in second.inventory.members()):  # created and moved alike
        assert table.loc[member, "member_role"] == "trusts 111122223333"
        assert caller_identity(management.inside(member)).account_id == member
        with pytest.raises(ClientError, match="AccessDenied"):
            old_management.inside(member)
    assert table.loc[MEMBER_A, "root_credentials"] == "no" and table.loc[STANDALONE, "root_credentials"] == "no"
    assert set(table.joined) == {"created", "invited"}
    everything = "".join(p.read_text(errors="replace") for p in (tmp_path / "2").rglob("*") if p.is_file())
    assert not any(code in everything for code in passcodes(brownfield).values())  # passcodes never reach the record

    writes = len(brownfield.calls(writes_only=True))
    third = apply_phase("member-initialization", params, tmp_path / "3")
    assert (third.outcome, third.ctx.counter.write_total, len(brownfield.calls(writes_only=True))) == ("no-changes", 0, writes)


def test_a_created_members_role_trusting_another_account_is_re_pointed_through_the_role(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("member-initialization")
    management = make_context("management", "us-east-1")
    org_ops = next(a["Id"] for a in management.client("organizations").list_accounts()["Accounts"] if a["Name"] == "Org Ops")
    wider = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "999988887777"]}, "Action": "sts:AssumeRole"}
        ],
    }
    management.inside(org_ops).client("iam").update_assume_role_policy(
        RoleName="OrganizationAccountAccessRole", PolicyDocument=json.dumps(wider)
    )
    run = planned(tmp_path)
    [step] = [s for s in run.planned.steps if s.target == org_ops]
    assert step.action == Action.REPOINT_MEMBER_ROLE and "Profile" not in step.params and "999988887777" in step.description
    run.apply()
    document = (
        management.inside(org_ops).client("iam").get_role(RoleName="OrganizationAccountAccessRole")["Role"]["AssumeRolePolicyDocument"]
    )
    assert trusted_principals(document) == ("111122223333",)
