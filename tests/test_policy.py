"""`orgnb policy`: the IAM policy a CI role needs, from the operations each phase called."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from orgnb.aws.session import CALLER
from orgnb.cli import main
from orgnb.commands.policy import grants_for, iam_action, phase_operations, policy_for
from orgnb.engine.plan import Action
from orgnb.phases.guardrails.preview import KIT_KINDS, member_operations
from orgnb.phases.registry import PHASES
from orgnb.runbook import apply_phase, start_phase
from orgnb.switches import Switches
from tests.estates import BROWNFIELD


def actions_of(document: dict[str, Any]) -> set[str]:
    return {a for s in document["Statement"] for a in s["Action"]}


def test_every_phase_has_operations_and_they_map_to_iam_actions() -> None:
    data = phase_operations()
    assert set(data) == {
        "preparation-audit",
        "organization-init",
        "root-centralization",
        "account-creation",
        "migration",
        "member-initialization",
        "guardrails",
    }
    assert iam_action("service-quotas:GetServiceQuota") == "servicequotas:GetServiceQuota"
    assert iam_action("s3:ListBuckets") == "s3:ListAllMyBuckets" and iam_action("sts:GetCallerIdentity") is None


def test_policy_allows_what_a_phase_writes_and_nothing_of_other_phases() -> None:
    actions = actions_of(policy_for(["organization-init"]))
    assert {"organizations:CreateOrganization", "account:PutAlternateContact", "organizations:DescribeOrganization"} <= actions
    assert "organizations:CreateAccount" not in actions and "sts:GetCallerIdentity" not in actions
    assert not any(a.endswith(":*") or a == "*" for a in actions)
    both = actions_of(policy_for(["02", "account-creation"]))
    assert actions < both and "organizations:CreateAccount" in both


def test_guardrails_policy_allows_every_write_phase_07_can_plan_even_those_the_rehearsal_does_not_make() -> None:
    """The rehearsal's organization comes with SCPs enabled and its first run updates and detaches nothing; the
    policy still grants what other parameters or a later run need."""
    actions = actions_of(policy_for(["guardrails"]))
    writes = (Action.ENABLE_POLICY_TYPE, Action.CREATE_POLICY, Action.UPDATE_POLICY, Action.ATTACH_POLICY, Action.DETACH_POLICY)
    assert {w.value for w in (*writes, Action.REGISTER_DELEGATED_ADMINISTRATOR)} <= actions


def test_cli_prints_and_writes_the_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "policy.json"
    assert main(["policy", "root-centralization", "-o", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["Version"] == "2012-10-17"
    assert "iam:EnableOrganizationsRootCredentialsManagement" in actions_of(document)
    out = capsys.readouterr().out
    assert "actions: " in out and "management_account: not given" in out


def test_unknown_phase_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "organisation-init"]) == 2
    assert "'organisation-init' is not a phase" in capsys.readouterr().err


def test_member_operations_are_iam_actions_by_phase_and_principal() -> None:
    data = member_operations()
    assert set(data) <= {p.name for p in PHASES} and set(data) >= {"migration", "member-initialization"}
    assert {kind for kinds in data.values() for kind in kinds} <= {k.value for k in KIT_KINDS}
    assert {"iam:DeleteLoginProfile", "iam:DeactivateMFADevice"} <= set(data["member-initialization"]["root-session"])
    assert "iam:UpdateAssumeRolePolicy" in data["migration"]["account-profile"]
    actions = {a for kinds in data.values() for found in kinds.values() for a in found}
    assert "s3:ListAllMyBuckets" in actions and "sso:ListInstances" in actions, "IAM action names, not SDK operations"
    assert not any(a.startswith(("sso-admin:", "sts:GetCallerIdentity")) for a in actions)
    assert all(found == sorted(set(found)) for kinds in data.values() for found in kinds.values())


def test_a_plan_of_each_phase_calls_only_what_the_read_half_grants(brownfield: object, tmp_path: Path) -> None:
    """Each phase planned (not applied) on the estate the phases before it leave, as the plan role would: every call
    the management account's own credentials make is in the phase's read half; then the phase is applied for the
    next one."""
    planned = []
    for phase in PHASES:
        run = start_phase(phase.name, str(BROWNFIELD), apply=False, record_dir=str(tmp_path / phase.name), switches=Switches(headless=True))
        if phase.planner is None:
            run.collect()
        else:
            run.read()
            run.plan()
        called = {iam_action(op) for op in run.ctx.counter.operations().get(CALLER, {})} - {None}
        read_half = {g.action for g in grants_for([phase.name]) if not g.write}
        assert called <= read_half, (phase.name, called - read_half)
        planned.append((phase.name, called))
        if phase.planner is not None:
            apply_phase(phase.name, BROWNFIELD, tmp_path / f"{phase.name}-applied")
    reads_in_members = {name for name, called in planned if "sts:AssumeRole" in called}
    assert {"member-initialization", "guardrails"} <= reads_in_members, "phases 06 and 07 plan from inside members"
    assert any("sts:AssumeRoot" in called for _, called in planned), "phase 06 audits members' root users as it plans"


def test_the_ci_example_gives_plan_jobs_the_read_half_and_apply_jobs_the_write_half_for_the_phases_they_run() -> None:
    text = (Path(__file__).resolve().parents[1] / "orgnb" / "examples" / "github-actions.yml").read_text(encoding="utf-8")
    block = text[text.index("# Permissions") : text.index("# Trust policy")]
    comment = re.sub(r"\s+", " ", " ".join(line.lstrip("#") for line in block.splitlines()))
    halves = {half: set(m.split()) for half, m in re.findall(r"`orgnb policy --(read|write) -f \S+ ([^`]+)`", comment)}
    jobs = yaml.safe_load(text)["jobs"]
    ran = {job: {m for s in jobs[job]["steps"] for m in re.findall(r"orgnb run (\S+)", s.get("run", ""))} for job in ("plan", "apply")}
    assert ran["plan"] and ran["plan"] <= halves["read"] and ran["apply"] and ran["apply"] <= halves["write"]
    assert "preparation-audit" in halves["read"], "the weekly audit runs with the plan role"
    assert "ORGNB_PLAN_ROLE_ARN: the read half only" in comment and "ORGNB_ROLE_ARN: the read half above plus the write half" in comment
