"""Clients that share no code with boto3, against a brownfield sandbox: the AWS SDK for JavaScript v3 and org-formation.

`make interop` installs the pinned npm packages (tests/interop/package-lock.json, `npm ci --ignore-scripts`) and runs
these tests; node runs as a subprocess with the sandbox's environment (AWS_ENDPOINT_URL and the profiles' files).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from orgnb.sandbox import Sandbox

pytestmark = pytest.mark.interop

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NODE_MODULES = HERE / "node_modules"
ORG_FORMATION = NODE_MODULES / ".bin" / "org-formation"
SERVICES = ("organizations", "iam", "sts", "account")  # what the SDK script drives; the runbook's other calls are not its subject
NODE_SECONDS = 300  # a bound on a hung subprocess, not a performance figure


@pytest.fixture(autouse=True)
def _npm_packages() -> None:
    if not ORG_FORMATION.exists():
        pytest.fail(f"the npm packages are not installed in {NODE_MODULES}: run `make interop` (npm ci --ignore-scripts)")


def _node(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a node program with the sandbox's environment (the fixture put it in os.environ)."""
    env = {**os.environ, "NODE_NO_WARNINGS": "1"}  # the SDK warns that node 20 support ends in 2027
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=NODE_SECONDS, check=False)


def _runbook_operations() -> set[str]:
    """The Organizations, IAM, STS and Account operations some phase calls (orgnb/phase_operations.json)."""
    phases = json.loads((ROOT / "orgnb" / "phase_operations.json").read_text(encoding="utf-8"))
    return {op for operations in phases.values() for op in operations if op.split(":")[0] in SERVICES}


def test_sdk_v3_reads_every_answer_as_a_typed_result(brownfield: Sandbox) -> None:
    run = _node(["node", "sdk-check.mjs"], HERE)
    assert run.returncode == 0, run.stderr
    checks = json.loads(run.stdout)["checks"]
    failed = [f"{c['name']}: {c['detail']}" for c in checks if not c["ok"]]
    assert not failed, "\n".join(failed)
    covered = {op for c in checks for op in c["operations"]}
    assert covered >= _runbook_operations(), sorted(_runbook_operations() - covered)
    errors = {c["detail"]["error"] for c in checks if not c["operations"] and isinstance(c["detail"], dict) and "error" in c["detail"]}
    assert {"AccountNotFoundException", "AccessDenied", "NoSuchEntityException"} <= errors


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (`!Ref`), read as plain values."""


_TemplateLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
)


def _resources(template: Path, kind: str) -> list[dict[str, Any]]:
    """The Properties of every resource of type `kind` in an org-formation template."""
    document = yaml.load(template.read_text(encoding="utf-8"), Loader=_TemplateLoader)  # a SafeLoader subclass
    return [r["Properties"] for r in document["Organization"].values() if r["Type"] == kind]


def _organization(profile: str) -> tuple[set[str], set[tuple[str, str]], set[str]]:
    """The OU names, (account id, name) pairs and customer-managed SCP names of the organization `profile` manages."""
    org = boto3.Session(profile_name=profile).client("organizations")
    ous: set[str] = set()
    parents = [org.list_roots()["Roots"][0]["Id"]]
    while parents:
        pages = org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parents.pop())
        children = [ou for page in pages for ou in page["OrganizationalUnits"]]
        ous |= {ou["Name"] for ou in children}
        parents += [ou["Id"] for ou in children]
    accounts = {(a["Id"], a["Name"]) for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]}
    pages = org.get_paginator("list_policies").paginate(Filter="SERVICE_CONTROL_POLICY")
    scps = {p["Name"] for page in pages for p in page["Policies"] if not p["AwsManaged"]}
    return ous, accounts, scps


def test_org_formation_init_names_the_whole_organization(brownfield: Sandbox, tmp_path: Path) -> None:
    # brownfield's organization is the old one: profile old-management manages it (profile management has none yet)
    run = _node([str(ORG_FORMATION), "init", "template.yml", "--profile", "old-management", "--print-stack"], tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    template = tmp_path / "template.yml"
    ous, accounts, scps = _organization("old-management")
    assert {p["OrganizationalUnitName"] for p in _resources(template, "OC::ORG::OrganizationalUnit")} == ous
    named = _resources(template, "OC::ORG::Account") + _resources(template, "OC::ORG::MasterAccount")
    assert {(p["AccountId"], p["AccountName"]) for p in named} == accounts
    assert {p["PolicyName"] for p in _resources(template, "OC::ORG::ServiceControlPolicy")} == scps
    assert ous and len(accounts) == 3 and len(scps) == 2  # the scenario's Production OU, three accounts, two SCPs
