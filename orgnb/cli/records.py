"""`orgnb records ...` and `orgnb record-notebook`: verify, seal, list and compare the change records."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from orgnb.cli.output import print_lines
from orgnb.errors import ExitCode, ParameterError, ParameterProblem
from orgnb.switches import Switches


def cmd_records_verify(args: argparse.Namespace) -> int:
    """Check every record's file digests and the hash chain under PATH; name the first broken place."""
    from orgnb.evidence.chain import HEAD, Problem, chain_dirs, read_head, record_dirs, verify_path

    path = Path(args.path) if args.path else Switches.read().reports()
    if not path.exists():
        raise ParameterError([ParameterProblem("PATH", f"{path} does not exist", "pass a reports folder or one record folder")])
    problems = verify_path(path)
    heads = {d.relative_to(path).as_posix(): read_head(d) for d in chain_dirs(path) if (d / HEAD).exists()}
    if args.expect_head:
        newest = (heads.get(".") or {}).get("manifest_sha256")
        if newest != args.expect_head:
            problems.append(
                Problem(HEAD, f"its newest link is {newest}, not the expected {args.expect_head} (records removed or rewritten)")
            )
    for problem in problems:
        print(f"broken: {problem}", file=sys.stderr)
    count = sum(len(record_dirs(d)) for d in chain_dirs(path)) or int((path / "record.json").exists())
    lines: list[tuple[str, Any]] = [("path", path), ("records", count), ("verified", not problems)]
    for where, head in heads.items():  # the newest link of each chain: keep it somewhere else to anchor the chain
        lines.append(("head" if where == "." else f"head_{where.replace('/', '_')}", (head or {}).get("manifest_sha256")))
    if problems:
        lines += [("first_broken", problems[0].place), ("problems", len(problems))]
    print_lines(lines)
    return ExitCode.OK if not problems else ExitCode.FAILED


def cmd_records_seal(args: argparse.Namespace) -> int:
    """Seal an interrupted run's folder as it is (outcome: interrupted)."""
    from orgnb.evidence.records import seal_interrupted

    manifest = seal_interrupted(Path(args.folder))
    print_lines([("record", Path(args.folder).resolve()), ("outcome", manifest["outcome"]), ("sealed", True)])
    return ExitCode.OK


def cmd_records_list(args: argparse.Namespace) -> int:
    """The history of runs under PATH as a table, oldest first."""
    import pandas as pd

    from orgnb.evidence.chain import history

    path = Path(args.path) if args.path else Switches.read().reports()
    rows = history(path)
    if rows:
        print(pd.DataFrame(rows).to_string(index=False))
    ended = [r["outcome"] for r in rows]
    lines = [("path", path), ("records", len(rows)), ("pending", ended.count("pending")), ("failed", ended.count("failed"))]
    print_lines([*lines, ("unverified", sum(r["verified"] != "yes" for r in rows))])
    return ExitCode.OK


def cmd_records_diff(args: argparse.Namespace) -> int:
    """What changed between two records: manifest fields, then the journal's steps."""
    from orgnb.evidence.compare import journal_diff, manifest_changes

    old, new = Path(args.old), Path(args.new)
    changes = manifest_changes(old, new)
    for key, before, after in changes:
        print(f"{key}: {json.dumps(before, sort_keys=True)} -> {json.dumps(after, sort_keys=True)}")
    diff = journal_diff(old, new)
    sys.stdout.writelines(diff)
    print_lines(
        [
            ("old", old),
            ("new", new),
            ("manifest_changes", len(changes)),
            ("journal_lines_changed", sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))),
        ]
    )
    return ExitCode.OK


def cmd_record_notebook(args: argparse.Namespace) -> int:
    """Turn a notebook saved from JupyterLab into a sealed record (scrubbed copy, HTML, manifest, chain)."""
    from orgnb.commands.interactive import record_notebook

    folder, manifest = record_notebook(Path(args.notebook), Path(args.record_dir) if args.record_dir else None)
    print_lines([("record", folder), ("phase", manifest["phase"]), ("outcome", manifest["outcome"]), ("sealed", True)])
    return ExitCode.OK
