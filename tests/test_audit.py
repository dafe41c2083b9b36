"""The preparation audit over the brownfield estate: collected once through boto3, judged by the checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from orgnb.aws.orgrefs import org_references
from orgnb.aws.session import make_context
from orgnb.errors import AuditFailed
from orgnb.input.parameters import Parameters, validate_parameters
from orgnb.phases.preparation_audit import collect_audit, conclude_audit, run_checks
from orgnb.phases.preparation_audit.findings import Findings, Status
from orgnb.runbook import start_phase
from orgnb.sandbox import Sandbox

BROWNFIELD = Path(__file__).resolve().parent.parent / "parameters" / "brownfield.yaml"


def params(**changes: object) -> Parameters:
    data = yaml.safe_load(BROWNFIELD.read_text())
    data.update(changes)
    return validate_parameters(data)


def audit(p: Parameters, profile: str = "management") -> Findings:
    return run_checks(collect_audit(make_context(profile, "us-east-1"), p))


def status(findings: Findings, finding_id: str) -> Status:
    return findings.by_id(finding_id).status


def test_brownfield_audit(brownfield: Sandbox) -> None:
    findings = audit(params())
    assert brownfield.calls(writes_only=True) == [], "the audit only reads"
    assert status(findings, "identity.caller") == Status.PASS
    assert status(findings, "identity.organization") == Status.PASS
    assert status(findings, "management.workloads") == Status.PASS
    for field in ("invites[0]", "migrations[0]", "migrations[1]", "old_managements[0]"):
        assert status(findings, f"moving.{field}") == Status.PASS
    assert "2 member(s) move first" in findings.by_id("moving.old_managements[0]").detail
    assert "direct transfer" in findings.by_id("moving.migrations[0]").detail
    # a member created in the old organization arrives with a role its new management account cannot use
    role = findings.by_id("moving.role-trust.migrations[0].OrganizationAccountAccessRole.management")
    assert role.status == Status.WARN and "trusts 333344445555" in role.detail and "111122223333 alone" in role.remediation
    assert status(findings, "moving.close-instead.old_managements[0]") == Status.PASS
    features = findings.frame("features")
    assert set(features["status"]) == {"WARN"}
    details = " ".join(features["detail"])
    for expected in ("cloudtrail.amazonaws.com", "sso.amazonaws.com", "deny-leave", "444455556666 for guardduty.amazonaws.com"):
        assert expected in details
    assert "role/ci-deployer" in findings.by_id("features.references.migrations[0].iam-role-trust.1").detail
    assert "legacy-prod-artifacts" in findings.by_id("features.references.migrations[0].s3-bucket-policy.2").detail
    assert "key/" in findings.by_id("features.references.old_managements[0].kms-key-policy.1").detail
    assert status(findings, "capacity.accounts") == Status.PASS
    assert "= 8 of 10 (Service Quotas)" in findings.by_id("capacity.accounts").detail
    assert status(findings, "root.mfa") == Status.PASS and status(findings, "root.access-keys") == Status.PASS
    assert status(findings, "root.vault") == Status.PASS, "attested in brownfield.yaml"
    manual = {f.id for f in findings if f.status == Status.MANUAL}
    assert manual == {"moving.credits", "moving.finance", "emails.alias", "emails.test"}
    # the founder's sign-up contact has a phone (phase 02 replaces it with the planned one)
    assert status(findings, "contacts.primary") == Status.PASS and findings.failed == []
    assert findings.by_id("contacts.primary").detail == "Dana Whitfield, +1 206 555 0147"


def test_wrong_list_and_unreachable_accounts(brownfield: Sandbox) -> None:
    p = params(
        invites=[{"account_id": "444455556666", "profile": "old-member-a"}, {"account_id": "666677778888"}],
        migrations=[],
        old_managements=[],
    )
    findings = audit(p)
    assert status(findings, "moving.invites[0]") == Status.FAIL
    assert "member account of o-" in findings.by_id("moving.invites[0]").detail
    assert status(findings, "moving.invites[1]") == Status.WARN and "no profile" in findings.by_id("moving.invites[1]").detail
    assert status(findings, "moving.finance") == Status.PASS


def test_a_role_trusting_an_account_outside_the_planned_organization_is_flagged(brownfield: Sandbox) -> None:
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}]}
    make_context("old-member-b", "us-east-1").client("iam").create_role(RoleName="vendor-audit", AssumeRolePolicyDocument=json.dumps(trust))
    findings = audit(params())
    flagged = findings.by_id("moving.role-trust.migrations[1].vendor-audit")
    assert flagged.status == Status.WARN and "trusts 999988887777, outside the planned organization" in flagged.detail
    ids = {f.id for f in findings if f.id.startswith("moving.role-trust")}
    assert not any(i.endswith(("ci-deployer", "OrganizationAccountAccessRole")) for i in ids), "accounts in the plan are not flagged"


def test_profile_acting_in_another_account(brownfield: Sandbox) -> None:
    findings = audit(params(invites=[{"account_id": "222233334444", "profile": "old-member-b"}], migrations=[], old_managements=[]))
    assert "acts in 555566667777" in findings.by_id("moving.invites[0]").detail


def test_repurposed_management_account_with_workloads(brownfield: Sandbox) -> None:
    data = yaml.safe_load(BROWNFIELD.read_text())
    data["organization"].update(management_account_id="333344445555", profile="old-management")
    data.update(migrations=[], old_managements=[], invites=[])
    findings = audit(validate_parameters(data), profile="old-management")
    assert status(findings, "management.workloads") == Status.WARN
    assert "1 instances" in findings.by_id("management.workloads").detail
    assert status(findings, "identity.organization") == Status.PASS
    assert status(findings, "root.mfa") == Status.FAIL
    assert status(findings, "emails.management") == Status.WARN and "legacy-aws@example.com" in findings.by_id("emails.management").detail
    assert status(findings, "contacts.primary") == Status.PASS


def test_quota_too_small_fails(brownfield: Sandbox) -> None:
    more = [{"name": f"Team {n}", "slug": f"team-{n}"} for n in range(4)]
    findings = audit(params(accounts=yaml.safe_load(BROWNFIELD.read_text())["accounts"] + more))
    assert status(findings, "capacity.accounts") == Status.FAIL and "= 12 of 10" in findings.by_id("capacity.accounts").detail


def test_strict_audit_fails_the_run(brownfield: Sandbox, tmp_path: Path) -> None:
    bad = tmp_path / "p.yaml"
    data = yaml.safe_load(BROWNFIELD.read_text())
    data["invites"][0]["account_id"] = "444455556666"
    data["invites"][0]["profile"] = "old-member-a"
    data["migrations"] = data["migrations"][1:]
    bad.write_text(yaml.safe_dump(data))
    run = start_phase("preparation-audit", str(bad), record_dir=str(tmp_path / "rec"))
    findings = run.collect()
    counts = conclude_audit(run, findings=run_checks(findings), strict=False)
    assert counts["FAIL"] == 1
    with pytest.raises(AuditFailed, match="moving.invites"):
        conclude_audit(run, run_checks(findings), strict=True)
    assert (tmp_path / "rec" / "findings.json").exists()


def test_org_references_finds_every_place() -> None:
    doc = {
        "Statement": [
            {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc1234567"}}},
            {"Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-abc1234567/r-ab12/*"]}}},
            {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-other00000"}}},
        ]
    }
    assert org_references(doc, {"o-abc1234567"}) == [
        "Statement[0].Condition.StringEquals.aws:PrincipalOrgID",
        "Statement[1].Condition.ForAnyValue:StringLike.aws:PrincipalOrgPaths[0]",
    ]
