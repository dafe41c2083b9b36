"""`orgnb policy`: the IAM policy a CI role needs for phases (or one half of it), scoped to the organization."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from orgnb.cli.output import print_lines
from orgnb.errors import ExitCode, ParameterError, ParameterProblem


def cmd_policy(args: argparse.Namespace) -> int:
    """Print the IAM policy a CI role needs for PHASES (from the operations each phase called in the rehearsal)."""
    from orgnb.commands import policy
    from orgnb.commands.policyscope import scope_from

    if args.refresh:
        observed = policy.write_phase_operations(Path(args.refresh))
        print_lines([("written", policy.DATA_PATH), ("phases", len(observed))])
        return ExitCode.OK
    if not args.phases:
        raise ParameterError([ParameterProblem("PHASE", "no phase given", "name one or more phases, e.g. orgnb policy organization-init")])
    half = policy.Half.READ if args.read else policy.Half.WRITE if args.write else policy.Half.BOTH
    scope = scope_from(args.file, args.organization_id)
    document = policy.policy_for(args.phases, scope, half)
    text = json.dumps(document, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    print(text)
    statements = document["Statement"]
    print_lines(
        [
            ("phases", " ".join(args.phases)),
            ("half", half.value),
            ("actions", len({a for s in statements for a in s["Action"]})),
            ("statements", len(statements)),
            ("on_any_resource", len({a for s in statements if s["Resource"] == "*" for a in s["Action"]})),
            ("management_account", scope.management_account_id or "not given: pass -f PARAMETERS (IAM refuses the placeholder)"),
            ("organization", f"{scope.organization_id or 'o-*'} ({scope.note})"),
            ("scope", "the management account's own calls"),
        ]
    )
    return ExitCode.OK
