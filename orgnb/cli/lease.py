"""`orgnb lease ...`: who holds the apply lease on the organization's root, and breaking a dead run's."""

from __future__ import annotations

import argparse
from typing import Any

from orgnb.cli.output import print_lines
from orgnb.errors import ExitCode
from orgnb.input.parameters import load_parameters


def _lease_target(args: argparse.Namespace) -> tuple[Any, str]:
    """The management account's context (guarded) and its organization's root id, from the parameters file."""
    from orgnb.aws.guards import check_reachable, check_sandbox_mix
    from orgnb.aws.listing import first
    from orgnb.aws.session import make_context

    params = load_parameters(args.file)
    ctx = make_context(params.organization.profile, params.organization.region)
    check_sandbox_mix(ctx)
    check_reachable(ctx)
    return ctx, first(ctx.client("organizations"), "list_roots", "Roots")["Id"]


def cmd_lease_show(args: argparse.Namespace) -> int:
    """Who holds the apply lease on the organization's root, if anyone."""
    from datetime import UTC, datetime

    from orgnb.engine.lease import read_lease

    ctx, root = _lease_target(args)
    lease = read_lease(ctx, root)
    lines: list[tuple[str, Any]] = [("root", root), ("held", lease is not None)]
    if lease is not None:
        lines += [("run", lease.run), ("holder", lease.holder), ("expires", lease.expires.isoformat())]
        lines.append(("live", lease.live(datetime.now(UTC))))
    print_lines(lines)
    return ExitCode.OK


def cmd_lease_break(args: argparse.Namespace) -> int:
    """Remove the lease of a run that died, so the next run need not wait for it to expire."""
    from orgnb.engine.lease import break_lease

    ctx, root = _lease_target(args)
    removed = break_lease(ctx, root, args.run)
    print_lines([("root", root), ("removed", removed is not None), ("run", args.run)])
    return ExitCode.OK
