"""`make bench`: performance figures as ratios, printed as `name: value` lines (no timed assertion anywhere).

Account creation: with the sandbox's CreateAccount taking T seconds, phase 04 creates N accounts. AWS runs at
most five requests at a time, so the best possible makespan is ceil(N/5)·T; creating them one by one takes N·T.
`creation_makespan_ratio` is the measured makespan over ceil(N/5)·T (1.00 is ideal). Polling is scaled to T
(every T/20), so the ratio measures the pipeline rather than the poll interval; against AWS, where T is one to a
few minutes, the default schedule (5 s growing to 30 s, reset whenever a request finishes) plays the same part.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from orgnb.creation import MAX_IN_FLIGHT, PollSchedule
from orgnb.phases import HEADLESS_ENV, account_creation
from orgnb.phases.account_creation import plan_account_creation
from orgnb.phases.catalog import apply_phase
from orgnb.rehearsal import sandboxed
from orgnb.runbook import start_phase
from orgnb.runner import patched_environ

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "parameters" / "example.yaml"
MANAGEMENT = "111122223333"


def _parameters(folder: Path, count: int) -> Path:
    """example.yaml with `count` accounts to create in one OU."""
    text = EXAMPLE.read_text()
    head, tail = text.split("\naccounts:", 1)
    rest = tail[tail.index("\n\n") :] if "\n\n" in tail else ""
    specs = "".join(f"\n  - name: Bench {i:03d}\n    slug: bench-{i:03d}\n    ou: Bench" for i in range(count))
    path = folder / "bench.yaml"
    path.write_text(f"{head}\naccounts:{specs}\n{rest}", encoding="utf-8")
    return path


def creation_makespan(count: int, seconds: float) -> dict[str, float]:
    """Create `count` accounts taking `seconds` each on a fresh greenfield sandbox; the makespan and its bounds."""
    with tempfile.TemporaryDirectory() as tmp, sandboxed("greenfield") as sandbox, patched_environ({HEADLESS_ENV: "1"}):
        folder = Path(tmp)
        params = _parameters(folder, count)
        apply_phase("organization-init", params, folder / "02")
        sandbox.settings(create_account_seconds=seconds, account_limits={MANAGEMENT: count + 10})
        account_creation.POLL = PollSchedule(first=seconds / 20, factor=1.5, cap=seconds / 20)
        run = start_phase("account-creation", str(params), apply=True, record_dir=str(folder / "04"))
        run.read_inventory()
        run.make_plan(plan_account_creation)
        started = time.monotonic()
        run.apply()
        makespan = time.monotonic() - started
        run.verify(plan_account_creation)
        if run.outcome != "applied" or run.result is None or run.result.failed:
            raise SystemExit(f"bench: account creation did not finish cleanly ({run.outcome})")
    ideal = math.ceil(count / MAX_IN_FLIGHT) * seconds
    return {"makespan": makespan, "ideal": ideal, "serial": count * seconds}


def main() -> None:
    """Run the benchmarks and print one `name: value` line per figure."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=20, help="accounts to create (default 20)")
    parser.add_argument("--seconds", type=float, default=2.0, help="the sandbox's creation time T per account (default 2)")
    args = parser.parse_args()
    figures = creation_makespan(args.accounts, args.seconds)
    print(f"accounts: {args.accounts}")
    print(f"creation_seconds: {args.seconds}")
    print(f"creation_makespan_seconds: {figures['makespan']:.2f}")
    print(f"creation_ideal_seconds: {figures['ideal']:.2f}")
    print(f"creation_serial_seconds: {figures['serial']:.2f}")
    print(f"creation_makespan_ratio: {figures['makespan'] / figures['ideal']:.2f}")
    print(f"creation_speedup_vs_serial: {figures['serial'] / figures['makespan']:.2f}")


if __name__ == "__main__":
    main()
