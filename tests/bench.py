"""`make bench`: performance figures as ratios, printed as `name: value` lines (no timed assertion anywhere).

Inventory (the tree walk: ListRoots, then ListOrganizationalUnitsForParent and ListAccountsForParent page by page):
a sandbox in its own process is bulk-seeded with 1,000 accounts in 50 OUs. `inventory_calls_ratio` is the walk's
calls over the fewest the API allows (ListRoots plus, for every container, one page of each list per 20 children);
`naive_inventory_calls_ratio` is the same for ListAccounts plus ListParents per account. The walk is paced
(orgnb.aws.pacing): here its rate is the sandbox's limit, as an operator sets `organizations_calls_per_second` to
what the account allows, and the sandbox's token bucket holds a second of calls, as AWS's published buckets do.
With 50 ms of latency on every call and a limit of `--rate-limit` calls a second, `inventory_latency_ratio` is the
walk's wall time over calls x latency (the time of a walk that makes one call at a time), the median of three
walks; `inventory_throttled_percent` is the share of their calls the sandbox throttled. At the tighter
`--paced-limit` (40): `inventory_paced_throttled_calls` over three walks, and `inventory_paced_bound_ratio`, their
median wall time over calls / limit plus one latency per level of the tree (the root, then each level of OUs).
Walks the sandbox does not limit go at 1,000 calls a second, the most the parameter allows.
`inventory_10k_seconds` and `inventory_10k_peak_mb` (tracemalloc's peak while walking) are for 10,000 accounts.

Account creation: with the sandbox's CreateAccount taking T seconds, phase 04 creates N accounts. AWS runs at
most five requests at a time, so the best possible makespan is ceil(N/5)·T; creating them one by one takes N·T.
`creation_makespan_ratio` is the measured makespan (the apply) over ceil(N/5)·T (1.00 is ideal). The pipeline's
schedule is scaled so that the sandbox's T plays AWS's 20 s (`PollSchedule.scaled`: the floor between lists, the
cap and the status-call rate scaled with it). `creation_nested_*`: 60 accounts in nested OUs at T = 1 s, the
whole phase 04 apply; `creation_nested_ratio` leaves out the time its OU steps took (from the journal), goal 1.2.
`creation_sim_*`: the real pipeline on a virtual clock against a fake Organizations (tests/creationsim.py, 0.1 s
a call) over T in {20, 60, 180} s and N in {5, 40, 200}, with the kit's default schedule: the largest makespan
ratio (first request to the last end seen) and the most status calls (ListCreateAccountStatus,
DescribeCreateAccountStatus) per account.

Rehearsal: `orgnb rehearse`'s work (brownfield, every phase) in this process, split into kernel start-up (each
notebook's papermill time outside its cells), waiting for AWS (the sandbox; summed from each run's call clock),
our own code in the kernels (cell time less AWS time), and the rest (sandbox start, records, HTML pages).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from orgnb.aws.adminclient import admin_call
from orgnb.aws.capacity import CREATE_ACCOUNT_IN_FLIGHT
from orgnb.aws.inventory import read_root
from orgnb.aws.session import AwsContext, make_context
from orgnb.aws.treewalk import OrganizationalUnit, walk_tree
from orgnb.commands.rehearsal import rehearse, sandboxed
from orgnb.commands.runner import patched_environ
from orgnb.phases import account_creation
from orgnb.phases.account_creation.cadence import PollSchedule
from orgnb.runbook import apply_phase, start_phase
from orgnb.switches import HEADLESS_ENV

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script (make bench): the repository's tests package imports too
    sys.path.insert(0, str(ROOT))
from tests.creationsim import simulate  # noqa: E402

EXAMPLE = ROOT / "parameters" / "example.yaml"
MANAGEMENT = "111122223333"
PAGE = 20  # Organizations' largest page
RUNS = 3  # latency figures are the median of this many walks
UNLIMITED = 1000.0  # the most organization.organizations_calls_per_second allows: the pace of walks the sandbox does not limit
TREE_OPERATIONS = ("organizations:ListRoots", "organizations:ListOrganizationalUnitsForParent", "organizations:ListAccountsForParent")
NAIVE_OPERATIONS = ("organizations:ListAccounts", "organizations:ListParents")


class ExternalSandbox:
    """A greenfield sandbox served by `orgnb sandbox` in its own process (its time and memory stay out of ours)."""

    def __init__(self, folder: Path) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "orgnb.cli", "sandbox", "--profiles-dir", str(folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)  # noqa: S603 - our own CLI
        self.environ: dict[str, str] = {}
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("export "):
                key, _, value = line[len("export ") :].strip().partition("=")
                self.environ[key] = value
            if line.startswith("profiles"):
                break
        if "AWS_ENDPOINT_URL" not in self.environ:
            raise SystemExit("bench: the sandbox did not start")

    def admin(self, route: str, payload: dict[str, Any] | None = None) -> Any:
        """GET or POST an admin route."""
        return admin_call(self.environ["AWS_ENDPOINT_URL"], route, payload)

    def stop(self) -> None:
        """End the sandbox's process."""
        self.process.terminate()
        self.process.wait(timeout=30)


@contextlib.contextmanager
def seeded_organization(ous: int, accounts: int) -> Iterator[tuple[ExternalSandbox, dict[str, Any]]]:
    """An external sandbox whose management account runs an organization with `accounts` accounts in `ous` OUs."""
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = ExternalSandbox(Path(tmp))
        try:
            with patched_environ(sandbox.environ):
                make_context("management", "us-east-1").client("organizations").create_organization(FeatureSet="ALL")
                sandbox.admin("settings", {"account_limits": {MANAGEMENT: accounts + 10}})
                seeded = sandbox.admin("seed", {"management_account_id": MANAGEMENT, "ous": ous, "accounts": accounts})
                yield sandbox, seeded
        finally:
            sandbox.stop()


def fewest_tree_calls(shape: dict[str, dict[str, int]]) -> int:
    """ListRoots, then per container one page of each list per 20 children (an empty list still takes one call)."""
    pages = sum(max(1, math.ceil(c["ous"] / PAGE)) + max(1, math.ceil(c["accounts"] / PAGE)) for c in shape.values())
    return 1 + pages


def tree_walk(ctx: AwsContext, calls_per_second: float) -> int:
    """Walk the whole tree at `calls_per_second` at most; the number of accounts found."""
    root = read_root(ctx)
    return len(walk_tree(ctx, root.id, calls_per_second=calls_per_second)[1])


def tree_levels(ous: tuple[OrganizationalUnit, ...]) -> int:
    """Levels of containers in the tree: the root, then one per level of OUs (the walk's chain of dependent calls)."""
    return 1 + max((ou.path.count("/") + 1 for ou in ous), default=0)


def naive_walk(ctx: AwsContext) -> int:
    """What simple scripts do: every account (ListAccounts), then each account's parent (ListParents)."""
    org = ctx.client("organizations")
    accounts = [a for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
    for account in accounts:
        org.list_parents(ChildId=account["Id"])
    return len(accounts)


def counted(walk: Callable[[AwsContext], int], operations: tuple[str, ...]) -> tuple[int, int, float]:
    """Run `walk` with a fresh context: accounts found, calls of `operations` made, wall seconds."""
    ctx = make_context("management", "us-east-1")
    started = time.monotonic()
    found = walk(ctx)
    seconds = time.monotonic() - started
    return found, sum(n for op, n in ctx.counter.calls.items() if op in operations), seconds


def latency_walks(sandbox: ExternalSandbox, latency_ms: int, limit: float) -> dict[str, float]:
    """RUNS walks paced at `limit`, each against a fresh sandbox bucket of `limit` calls a second holding a second of
    them (AWS's published buckets hold at least that), with `latency_ms` on every call: median wall time and calls,
    and the calls the sandbox served and throttled over all of them."""
    walls, calls, served, throttled = [], [], 0, 0
    for _ in range(RUNS):
        sandbox.admin("faults", {"latency_ms": {"organizations:*": latency_ms}, "rate_limit": {"organizations:*": [limit, limit]}})
        _, made, wall = counted(lambda ctx: tree_walk(ctx, limit), TREE_OPERATIONS)
        counts = sandbox.admin("faults")
        walls.append(wall)
        calls.append(made)
        served += sum(counts["calls"].values())
        throttled += sum(counts["rate_limited"].values())
    return {"seconds": statistics.median(walls), "calls": statistics.median(calls), "served": served, "throttled": throttled}


def inventory_figures(ous: int, accounts: int, latency_ms: int, rate_limit: float, paced_limit: float) -> dict[str, float]:
    """Calls (concurrent and naive walks) against the fewest possible, then wall time with latency and a rate limit."""
    with seeded_organization(ous, accounts) as (sandbox, seeded), patched_environ(sandbox.environ):
        lower = fewest_tree_calls(seeded["shape"])
        found, calls, _ = counted(lambda ctx: tree_walk(ctx, UNLIMITED), TREE_OPERATIONS)
        naive_found, naive_calls, _ = counted(naive_walk, NAIVE_OPERATIONS)
        if found != naive_found or found < accounts:
            raise SystemExit(f"bench: the walks found {found} and {naive_found} accounts, expected {accounts} and more")
        ctx = make_context("management", "us-east-1")
        levels = tree_levels(walk_tree(ctx, read_root(ctx).id, calls_per_second=UNLIMITED)[0])
        loose = latency_walks(sandbox, latency_ms, rate_limit)
        tight = latency_walks(sandbox, latency_ms, paced_limit)
    bound = tight["calls"] / paced_limit + levels * latency_ms / 1000
    return {
        "inventory_accounts": found,
        "inventory_lower_bound_calls": lower,
        "inventory_calls": calls,
        "inventory_calls_ratio": calls / lower,
        "naive_inventory_calls": naive_calls,
        "naive_inventory_calls_ratio": naive_calls / lower,
        "inventory_latency_seconds": loose["seconds"],
        "inventory_latency_ratio": loose["seconds"] / (loose["calls"] * latency_ms / 1000),
        "inventory_throttled_percent": 100 * loose["throttled"] / loose["served"] if loose["served"] else 0.0,
        "inventory_paced_limit": paced_limit,
        "inventory_paced_throttled_calls": tight["throttled"],
        "inventory_paced_seconds": tight["seconds"],
        "inventory_paced_bound_seconds": bound,
        "inventory_paced_bound_ratio": tight["seconds"] / bound,
    }


def inventory_10k(ous: int, accounts: int) -> dict[str, float]:
    """Wall time of the walk over `accounts` accounts, then (in a second walk) tracemalloc's peak during it."""
    with seeded_organization(ous, accounts) as (sandbox, _), patched_environ(sandbox.environ):
        found, _, seconds = counted(lambda ctx: tree_walk(ctx, UNLIMITED), TREE_OPERATIONS)
        tracemalloc.start()
        counted(lambda ctx: tree_walk(ctx, UNLIMITED), TREE_OPERATIONS)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    if found < accounts:
        raise SystemExit(f"bench: the walk found {found} of {accounts} accounts")
    return {"inventory_10k_accounts": found, "inventory_10k_seconds": seconds, "inventory_10k_peak_mb": peak / 2**20}


def _cells_seconds(notebook: dict[str, Any]) -> float:
    return sum(c.get("metadata", {}).get("papermill", {}).get("duration") or 0 for c in notebook["cells"])


def rehearsal_figures() -> dict[str, float]:
    """The brownfield rehearsal's wall time, split into kernel start-up, AWS, our code in the kernels, and the rest."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        results = rehearse("brownfield", ROOT / "parameters" / "brownfield.yaml", Path(tmp) / "reports")
        total = time.monotonic() - started
        if not results or results[-1].exit_code != 0:
            raise SystemExit("bench: the rehearsal did not finish cleanly")
        kernels = cells = aws = 0.0
        for result in results:
            notebook = json.loads((result.record_dir / "notebook.ipynb").read_text(encoding="utf-8"))
            record = json.loads((result.record_dir / "record.json").read_text(encoding="utf-8"))
            kernels += notebook["metadata"]["papermill"]["duration"] - _cells_seconds(notebook)
            cells += _cells_seconds(notebook)
            aws += record.get("aws_seconds") or 0.0
    return {
        "rehearsal_seconds": total,
        "rehearsal_runs": len(results),
        "rehearsal_kernel_seconds": kernels,
        "rehearsal_aws_seconds": aws,
        "rehearsal_own_code_seconds": cells - aws,
        "rehearsal_other_seconds": total - kernels - cells,
    }


def _flat(i: int) -> str:
    return "Bench"


def _nested(i: int) -> str:
    """Four units of three teams each, under one parent: 17 OUs three levels deep."""
    return f"Nested/Unit{i % 4}/Team{i % 12 // 4}"


def _parameters(folder: Path, count: int, ou: Callable[[int], str]) -> Path:
    """example.yaml with `count` accounts to create, the i-th in OU `ou(i)`."""
    text = EXAMPLE.read_text()
    head, tail = text.split("\naccounts:", 1)
    rest = tail[tail.index("\n\n") :] if "\n\n" in tail else ""
    specs = "".join(f"\n  - name: Bench {i:03d}\n    slug: bench-{i:03d}\n    ou: {ou(i)}" for i in range(count))
    path = folder / "bench.yaml"
    path.write_text(f"{head}\naccounts:{specs}\n{rest}", encoding="utf-8")
    return path


def _ou_seconds(entries: list[dict[str, Any]]) -> float:
    """From the first OU step's begin to the last one's end, in the journal."""
    moments = [datetime.fromisoformat(e["ts"]) for e in entries if str(e.get("step", "")).startswith("ou:") and e["event"] != "plan"]
    return (max(moments) - min(moments)).total_seconds() if moments else 0.0


def creation_makespan(count: int, seconds: float, ou: Callable[[int], str] = _flat) -> dict[str, float]:
    """Create `count` accounts taking `seconds` each on a fresh greenfield sandbox; the makespan, its OU steps and bounds."""
    with tempfile.TemporaryDirectory() as tmp, sandboxed("greenfield") as sandbox, patched_environ({HEADLESS_ENV: "1"}):
        folder = Path(tmp)
        params = _parameters(folder, count, ou)
        apply_phase("organization-init", params, folder / "02")
        sandbox.settings(create_account_seconds=seconds, account_limits={MANAGEMENT: count + 10})
        account_creation.POLL = PollSchedule().scaled(seconds / 20)  # the sandbox's T plays AWS's 20 s
        run = start_phase("account-creation", str(params), apply=True, record_dir=str(folder / "04"))
        run.read()
        run.plan()
        started = time.monotonic()
        run.apply()
        makespan = time.monotonic() - started
        run.verify()
        if run.outcome != "applied" or run.result is None or run.result.failed:
            raise SystemExit(f"bench: account creation did not finish cleanly ({run.outcome})")
        ous = _ou_seconds(run.journal.entries())
    ideal = math.ceil(count / CREATE_ACCOUNT_IN_FLIGHT) * seconds
    return {"makespan": makespan, "ous": ous, "ideal": ideal, "serial": count * seconds}


def creation_simulation() -> dict[str, float]:
    """The pipeline on a virtual clock over AWS-like creation times: its worst makespan ratio and status calls per account."""
    runs = [simulate(count, seconds) for seconds in (20.0, 60.0, 180.0) for count in (5, 40, 200)]
    if any(r.applied != r.accounts or r.most_in_flight > CREATE_ACCOUNT_IN_FLIGHT for r in runs):
        raise SystemExit("bench: a simulated creation did not finish cleanly")
    return {
        "creation_sim_makespan_ratio_max": max(r.ratio for r in runs),
        "creation_sim_status_calls_per_account": max(r.calls_per_account for r in runs),
    }


def creation_figures(accounts: int, seconds: float) -> dict[str, float]:
    """The sandbox's creation makespan (flat, then 60 accounts in nested OUs at T = 1 s), then the simulation."""
    flat = creation_makespan(accounts, seconds)
    nested = creation_makespan(60, 1.0, _nested)
    return {
        "creation_accounts": accounts,
        "creation_seconds_per_account": seconds,
        "creation_makespan_seconds": flat["makespan"],
        "creation_ideal_seconds": flat["ideal"],
        "creation_serial_seconds": flat["serial"],
        "creation_makespan_ratio": flat["makespan"] / flat["ideal"],
        "creation_nested_seconds": nested["makespan"],
        "creation_nested_ou_seconds": nested["ous"],
        "creation_nested_ratio": (nested["makespan"] - nested["ous"]) / nested["ideal"],
        **creation_simulation(),
    }


def main() -> None:
    """Run the benchmarks and print one `name: value` line per figure."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=40, help="accounts phase 04 creates (default 40)")
    parser.add_argument("--seconds", type=float, default=2.0, help="the sandbox's creation time T per account (default 2)")
    parser.add_argument("--latency-ms", type=int, default=50, help="latency per call for the inventory (default 50)")
    parser.add_argument("--rate-limit", type=float, default=100.0, help="Organizations calls a second the sandbox allows (default 100)")
    parser.add_argument("--paced-limit", type=float, default=40.0, help="the tighter limit the paced walk is measured at (default 40)")
    parser.add_argument("--only", choices=("inventory", "10k", "creation", "rehearsal"), action="append", help="run only these parts")
    args = parser.parse_args()
    parts = set(args.only or ("inventory", "10k", "creation", "rehearsal"))
    figures: dict[str, float] = {}
    if "inventory" in parts:
        figures.update(inventory_figures(50, 1000, args.latency_ms, args.rate_limit, args.paced_limit))
    if "creation" in parts:
        figures.update(creation_figures(args.accounts, args.seconds))
    if "rehearsal" in parts:
        figures.update(rehearsal_figures())
    if "10k" in parts:
        figures.update(inventory_10k(50, 10_000))
    for name, value in figures.items():
        print(f"{name}: {value:.2f}" if isinstance(value, float) else f"{name}: {value}")


if __name__ == "__main__":
    main()
