"""Phase 07's options, slower to set up (each starts from its own estate): policies that depend on the
parameters, an account still to move, a custom policy added then dropped. `make soak` runs them, as .ci/run does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orgnb.phases.guardrails.blast import TO_CREATE, judged
from orgnb.runbook import PhaseRun, apply_phase, start_phase
from orgnb.sandbox import Sandbox
from tests.estates import BROWNFIELD, prepare
from tests.test_phase_guardrails import MEMBER_A, client, guarded, refusal, with_guardrails

pytestmark = pytest.mark.soak
__all__ = ["guarded"]  # the fixture, shared with the main phase 07 tests


def test_an_account_still_to_move_keeps_its_profile_operations_judged(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("migration")  # phases 02-04 done: the old organization's accounts are still to move
    message = refusal(BROWNFIELD, tmp_path, "orgnb-protect-member-role")
    assert "iam:UpdateAssumeRolePolicy" in message and "profile" in message


def test_accounts_phase_04_has_yet_to_create_are_judged_in_their_planned_ou(brownfield: Sandbox, tmp_path: Path) -> None:
    prepare("account-creation")  # phases 02-03 done: no account created yet
    deny_iam = {"Version": "2012-10-17", "Statement": [{"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}
    (tmp_path / "no-iam.json").write_text(json.dumps(deny_iam))
    params = with_guardrails(tmp_path, custom=[{"name": "no-iam", "file": "no-iam.json", "targets": ["Workloads"]}])
    run = start_phase("guardrails", str(params), record_dir=str(tmp_path / "reports" / "20260101T000000Z-guardrails"))
    denials, _ = judged(run.params, run.read())  # type: ignore[arg-type]
    headed = {f"{TO_CREATE}{a.slug}": a.ou for a in run.params.accounts if (a.ou or "").startswith("Workloads")}
    assert headed, "brownfield plans accounts under Workloads"
    assert {(d.account_id, d.ou_path) for d in denials if d.account_id.startswith(TO_CREATE)} == set(headed.items())


def test_the_opt_in_policies_enable_their_types_and_a_region_limit_is_judged_in_the_kits_region(
    brownfield: Sandbox, tmp_path: Path
) -> None:
    prepare("guardrails")
    opt_in = {"require_tls": True, "ai_opt_out": True, "allowed_regions": ["us-east-1", "eu-west-1"]}
    ec2 = {"ec2_attributes": {"image_block_public_access": {"state": {"@@assign": "block_new_sharing"}}}}
    (tmp_path / "ec2.json").write_text(json.dumps(ec2))
    declarative = [{"name": "ec2-baseline", "file": "ec2.json", "type": "DECLARATIVE_POLICY_EC2", "targets": ["Workloads"]}]
    params = with_guardrails(tmp_path, baseline=opt_in, custom=declarative)
    run = apply_phase("guardrails", params, tmp_path / "reports" / "20260101T000000Z-guardrails")
    assert run.outcome == "applied", run.outcome
    types = [s.params["PolicyType"] for s in run.planned.steps if s.id.startswith("policy-type:")]  # type: ignore[union-attr]
    assert types == ["RESOURCE_CONTROL_POLICY", "AISERVICES_OPT_OUT_POLICY", "DECLARATIVE_POLICY_EC2"]  # SCPs: with the organization
    workloads = next(
        ou["Id"]
        for ou in client("management", "organizations").list_organizational_units_for_parent(
            ParentId=client("management", "organizations").list_roots()["Roots"][0]["Id"]
        )["OrganizationalUnits"]
        if ou["Name"] == "Workloads"
    )
    on_workloads = client("management", "organizations").list_policies_for_target(TargetId=workloads, Filter="DECLARATIVE_POLICY_EC2")
    assert [p["Name"] for p in on_workloads["Policies"]] == ["ec2-baseline"]
    regions = run.inventory.policy("orgnb-allowed-regions").document  # type: ignore[union-attr]
    assert regions["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == ["eu-west-1", "us-east-1"]
    assert apply_phase("guardrails", params, tmp_path / "reports" / "20260101T000001Z-guardrails").ctx.counter.write_total == 0
    # the kit's own member-side calls go to global services, which the region limit exempts; a CI role's EC2 call
    # in the organization's region (us-east-1) is refused once that region is not allowed
    elsewhere = with_guardrails(
        tmp_path, baseline={**opt_in, "allowed_regions": ["eu-west-1"]}, custom=declarative, extra_actions=["ec2:DescribeInstances"]
    )
    message = refusal(elsewhere, tmp_path, "orgnb-allowed-regions")
    assert "ec2:DescribeInstances" in message and "extra actions" in message


def test_full_aws_access_leaves_only_where_something_else_allows_and_delegated_administrators_follow_trusted_access(
    brownfield: Sandbox, tmp_path: Path
) -> None:
    prepare("guardrails")
    allow = {"Version": "2012-10-17", "Statement": [{"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"}]}
    (tmp_path / "allow.json").write_text(json.dumps(allow))
    params = with_guardrails(
        tmp_path,
        custom=[{"name": "allow-all", "file": "allow.json", "targets": ["Workloads"]}],
        detach_full_aws_access=["Workloads", "Sandbox"],
        delegated_administrators={"ssm.amazonaws.com": MEMBER_A},
    )
    run = apply_phase("guardrails", params, tmp_path / "reports" / "20260101T000000Z-guardrails")
    ids = [s.id for s in run.planned.steps]  # type: ignore[union-attr]
    assert "detach:FullAWSAccess:Workloads" in ids and "detach:FullAWSAccess:Sandbox" not in ids
    assert any("FullAWSAccess stays on Sandbox" in n for n in run.planned.notes)  # type: ignore[union-attr]
    assert ids.index("trusted-access:ssm.amazonaws.com") < ids.index("delegate:ssm.amazonaws.com")
    assert run.outcome == "applied", run.outcome
    org = client("management", "organizations")
    admins = org.list_delegated_administrators(ServicePrincipal="ssm.amazonaws.com")["DelegatedAdministrators"]
    assert [a["Id"] for a in admins] == [MEMBER_A]


def test_a_custom_policy_dropped_from_the_parameters_is_detached_and_kept(guarded: PhaseRun, tmp_path: Path) -> None:
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "NoPublicBuckets", "Effect": "Deny", "Action": "s3:PutBucketPublicAccessBlock", "Resource": "*"}],
    }
    (tmp_path / "deny.json").write_text(json.dumps(deny))
    with_custom = with_guardrails(tmp_path, custom=[{"name": "no-public-buckets", "file": "deny.json", "targets": ["Sandbox"]}])
    added = apply_phase("guardrails", with_custom, tmp_path / "reports" / "20260101T000002Z-guardrails")
    assert [s.id for s in added.planned.steps] == ["policy:no-public-buckets", "attach:no-public-buckets:Sandbox"]  # type: ignore[union-attr]
    dropped = apply_phase("guardrails", BROWNFIELD, tmp_path / "reports" / "20260101T000003Z-guardrails")
    assert [s.id for s in dropped.planned.steps] == ["detach:no-public-buckets:Sandbox"]  # type: ignore[union-attr]
    assert dropped.outcome == "applied" and dropped.inventory.policy("no-public-buckets").targets == frozenset()  # type: ignore[union-attr]
    assert apply_phase("guardrails", BROWNFIELD, tmp_path / "reports" / "20260101T000004Z-guardrails").ctx.counter.write_total == 0
