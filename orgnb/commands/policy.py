"""Least privilege for CI: the IAM policy a role needs to run given phases, from the calls each phase made.

`phase_operations.json` lists, per phase, the AWS operations the management account's own credentials called
during the rehearsal (the call counter's "caller" scope; calls made inside members, in root sessions or through
the moved accounts' profiles use those principals' permissions, not the CI role's). Those member-side calls go to
`member_operations.json` instead, as IAM actions per phase and kind of principal: phase 07's guardrails preview judges
planned SCPs against them (`orgnb.phases.guardrails.preview`). `make policy-data` rebuilds both files from a
rehearsal's records, and a test fails when a rehearsal calls an operation they do not list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from orgnb.aws.session import CALLER, MEMBER_ROLE
from orgnb.errors import ParameterError, ParameterProblem
from orgnb.evidence.chain import chain_dirs, read_manifest, record_dirs
from orgnb.phases.guardrails.preview import KIT_KINDS, MEMBER_OPERATIONS_PATH
from orgnb.phases.registry import PHASES

DATA_PATH = Path(__file__).resolve().parents[1] / "phase_operations.json"
# Operations whose IAM action has another name, or that need no permission at all (None).
ACTION_NAMES: dict[str, str | None] = {
    "sts:GetCallerIdentity": None,
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:HeadBucket": "s3:ListBucket",
}
# Every phase that applies takes the lease on the organization's root (its own counter, so not in the data file).
LEASE_ACTIONS = ("organizations:ListTagsForResource", "organizations:TagResource", "organizations:UntagResource")
READ_ONLY_PHASES = frozenset({"preparation-audit"})
# Writes a phase makes only on a later run or with other parameters, which the rehearsal cannot show: phase 07
# updates a policy whose content the parameters changed, detaches one from a target they no longer name, and enables
# the policy types they opt into (SCPs come enabled with an organization of all features: CreateOrganization).
LATER_RUN_ACTIONS: dict[str, tuple[str, ...]] = {
    "guardrails": ("organizations:UpdatePolicy", "organizations:DetachPolicy", "organizations:EnablePolicyType")
}
# Actions that can name their resource; everything else Organizations and IAM read is account-wide ("*").
RESOURCES: dict[str, str] = {"sts:AssumeRole": f"arn:aws:iam::*:role/{MEMBER_ROLE}"}


@cache
def _signing_name(service: str) -> str:
    import botocore.session

    return str(botocore.session.get_session().get_service_model(service).signing_name)


def iam_action(operation: str) -> str | None:
    """The IAM action an SDK call `service:Operation` needs (None when it needs none)."""
    if operation in ACTION_NAMES:
        return ACTION_NAMES[operation]
    service, _, name = operation.partition(":")
    return f"{_signing_name(service)}:{name}"


def phase_operations() -> dict[str, list[str]]:
    """The committed operations per phase."""
    operations: dict[str, list[str]] = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    return operations


def _phase_names(phases: Iterable[str]) -> list[str]:
    known = {p.name: p.name for p in PHASES} | {f"{p.number:02d}": p.name for p in PHASES}
    names, problems = [], []
    for phase in phases:
        if phase in known:
            names.append(known[phase])
        else:
            problems.append(ParameterProblem("PHASE", f"{phase!r} is not a phase", f"use one of {', '.join(p.name for p in PHASES)}"))
    if problems:
        raise ParameterError(problems, "command line")
    return names


def policy_for(phases: Iterable[str]) -> dict[str, Any]:
    """An IAM policy document allowing exactly the actions the phases' own calls need."""
    data = phase_operations()
    by_resource: dict[str, set[str]] = {}
    for phase in _phase_names(phases):
        actions = [iam_action(operation) for operation in data.get(phase, [])]
        actions += [] if phase in READ_ONLY_PHASES else list(LEASE_ACTIONS)
        actions += list(LATER_RUN_ACTIONS.get(phase, ()))
        for action in filter(None, actions):
            by_resource.setdefault(RESOURCES.get(action, "*"), set()).add(action)
    statements = [
        {"Sid": "Orgnb" if resource == "*" else "OrgnbMemberRole", "Effect": "Allow", "Action": sorted(actions), "Resource": resource}
        for resource, actions in sorted(by_resource.items(), key=lambda item: item[0] != "*")
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def _scoped_operations(reports_dir: Path) -> dict[str, dict[str, set[str]]]:
    """Operations per phase and call scope, read from the manifests of the records under `reports_dir`."""
    seen: dict[str, dict[str, set[str]]] = {}
    for folder in chain_dirs(reports_dir):
        for record in record_dirs(folder):
            manifest = read_manifest(record)
            if manifest.get("phase"):
                scopes = seen.setdefault(manifest["phase"], {})
                for scope, operations in (manifest.get("operations") or {}).items():
                    scopes.setdefault(scope, set()).update(operations)
    return seen


def observed_operations(reports_dir: Path) -> dict[str, list[str]]:
    """Caller-scope operations per phase, read from the manifests of the records under `reports_dir`."""
    seen = _scoped_operations(reports_dir)
    return {phase: sorted(scopes.get(CALLER, set())) for phase, scopes in sorted(seen.items())}


def observed_member_operations(reports_dir: Path) -> dict[str, dict[str, list[str]]]:
    """The IAM actions the kit performed inside member accounts, per phase and kind of principal (the call scopes of
    `orgnb.aws.session`), read from the records under `reports_dir`; phases with none are left out."""
    observed: dict[str, dict[str, list[str]]] = {}
    for phase, scopes in sorted(_scoped_operations(reports_dir).items()):
        kinds = {kind.value: sorted(set(filter(None, map(iam_action, scopes.get(kind.value, set()))))) for kind in KIT_KINDS}
        kinds = {kind: actions for kind, actions in kinds.items() if actions}
        if kinds:
            observed[phase] = kinds
    return observed


def _write(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_phase_operations(reports_dir: Path) -> dict[str, list[str]]:
    """Rebuild the committed data files from a rehearsal's records: the caller's operations (returned) and the
    member-side actions."""
    observed = observed_operations(reports_dir)
    _write(DATA_PATH, observed)
    _write(MEMBER_OPERATIONS_PATH, observed_member_operations(reports_dir))
    return observed
