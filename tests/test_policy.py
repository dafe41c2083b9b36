"""`orgnb policy`: the IAM policy a CI role needs, from the operations each phase called."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgnb.cli import main
from orgnb.commands.policy import iam_action, phase_operations, policy_for
from orgnb.engine.plan import Action
from orgnb.phases.guardrails.preview import KIT_KINDS, member_operations
from orgnb.phases.registry import PHASES


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
    statements = policy_for(["organization-init"])["Statement"]
    actions = {a for s in statements for a in s["Action"]}
    assert {"organizations:CreateOrganization", "account:PutAlternateContact", "organizations:DescribeOrganization"} <= actions
    assert "organizations:CreateAccount" not in actions and "sts:GetCallerIdentity" not in actions
    assert not any(a.endswith(":*") or a == "*" for a in actions)
    both = {a for s in policy_for(["02", "account-creation"])["Statement"] for a in s["Action"]}
    assert actions < both and "organizations:CreateAccount" in both


def test_guardrails_policy_allows_every_write_phase_07_can_plan_even_those_the_rehearsal_does_not_make() -> None:
    """The rehearsal's organization comes with SCPs enabled and its first run updates and detaches nothing; the
    policy still grants what other parameters or a later run need."""
    actions = {a for s in policy_for(["guardrails"])["Statement"] for a in s["Action"]}
    writes = (Action.ENABLE_POLICY_TYPE, Action.CREATE_POLICY, Action.UPDATE_POLICY, Action.ATTACH_POLICY, Action.DETACH_POLICY)
    assert {w.value for w in (*writes, Action.REGISTER_DELEGATED_ADMINISTRATOR)} <= actions


def test_cli_prints_and_writes_the_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "policy.json"
    assert main(["policy", "root-centralization", "-o", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["Version"] == "2012-10-17"
    assert "iam:EnableOrganizationsRootCredentialsManagement" in document["Statement"][0]["Action"]
    assert "actions: " in capsys.readouterr().out


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
