"""Least privilege for CI: the IAM policy a role needs to run given phases, from the calls each phase made.

`phase_operations.json` lists, per phase, the AWS operations the management account's own credentials called
during the rehearsal (the call counter's "caller" scope; calls made inside members, in root sessions or through
the moved accounts' profiles use those principals' permissions, not the CI role's). Those member-side calls go to
`member_operations.json` instead, as IAM actions per phase and kind of principal: phase 07's guardrails preview judges
planned SCPs against them (`orgnb.phases.guardrails.preview`). `make policy-data` rebuilds both files from a
rehearsal's records, and a test fails when a rehearsal calls an operation they do not list.

The policy comes in two halves: the read half is all a plan needs (the plan role's), the write half what only an
apply adds; an apply role gets both. Each action names the resources AWS lets it name, and carries the conditions AWS
offers (`orgnb.commands.policyscope`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from orgnb.aws.apicalls import is_write
from orgnb.aws.rootcreds import AUDIT_POLICY, DELETE_POLICY
from orgnb.aws.session import CALLER
from orgnb.commands.policyscope import ROOT_TASK_WRITES, Grant, Scope, statements
from orgnb.errors import ParameterError, ParameterProblem
from orgnb.evidence.chain import chain_dirs, read_manifest, record_dirs
from orgnb.phases.guardrails.preview import ASSUME_ROOT, KIT_KINDS, MEMBER_OPERATIONS_PATH
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
# Calls a phase makes only on a later run, with other parameters or on another estate, which the rehearsal cannot
# show: phase 07 updates a policy whose content the parameters changed, detaches one from a target they no longer
# name, and enables the policy types they opt into (SCPs come enabled with an organization of all features:
# CreateOrganization); phase 05 reads an account that has joined through its OrganizationAccountAccessRole when its
# profile no longer reaches it.
LATER_RUN_ACTIONS: dict[str, tuple[str, ...]] = {
    "guardrails": ("organizations:UpdatePolicy", "organizations:DetachPolicy", "organizations:EnablePolicyType"),
    "migration": ("sts:AssumeRole",),
}
# The root-task policies each phase's sts:AssumeRoot sessions use (`orgnb.aws.rootcreds`): phases 03 and 06 audit
# members' root credentials while reading, phase 03 deletes them when applying. The rehearsal records neither for
# phase 03 (its run enables the feature the audit needs, and confirms no deletion), so they are named here.
ROOT_TASKS: dict[str, tuple[str, ...]] = {
    "root-centralization": (AUDIT_POLICY, DELETE_POLICY),
    "member-initialization": (AUDIT_POLICY,),
}


UNKNOWN_SCOPE = Scope()  # neither the management account nor the organization known: placeholders


class Half(StrEnum):
    """Which actions a policy grants: what a plan needs (read), what only an apply needs (write), or both."""

    READ = "read"
    WRITE = "write"
    BOTH = "both"


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


def grants_for(phases: Iterable[str]) -> list[Grant]:
    """Every action the phases' own calls need, marked read or write: a write is what `orgnb.aws.apicalls.is_write`
    says changes state, and sts:AssumeRoot for a root task that changes the member."""
    data = phase_operations()
    grants: set[Grant] = set()
    for phase in _phase_names(phases):
        actions = [iam_action(operation) for operation in data.get(phase, [])]
        actions += [] if phase in READ_ONLY_PHASES else list(LEASE_ACTIONS)
        actions += list(LATER_RUN_ACTIONS.get(phase, ()))
        grants.update(Grant(a, is_write(a.partition(":")[2])) for a in filter(None, actions) if a != ASSUME_ROOT)
        grants.update(Grant(ASSUME_ROOT, task in ROOT_TASK_WRITES, task) for task in ROOT_TASKS.get(phase, ()))
    return sorted(grants)


def policy_for(phases: Iterable[str], scope: Scope = UNKNOWN_SCOPE, half: Half = Half.BOTH) -> dict[str, Any]:
    """An IAM policy document allowing exactly the actions the phases' own calls need (or one half of them), each on
    the resources AWS lets it name in `scope`, with the conditions AWS offers."""
    phases = list(phases)
    grants = [g for g in grants_for(phases) if half is Half.BOTH or g.write == (half is Half.WRITE)]
    if not grants:
        fix = "print --read for it: a plan needs only the read half" if half is Half.WRITE else "name a phase that reads"
        raise ParameterError([ParameterProblem("PHASE", f"{' '.join(phases)} need no {half.value} action", fix)], "command line")
    return {"Version": "2012-10-17", "Statement": statements(grants, scope)}


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
