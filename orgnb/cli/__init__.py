"""`orgnb`: a thin command line over the Python API. Every command ends with `key: value` lines."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import urllib.error
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from orgnb.aws.adminclient import admin_call
from orgnb.cli.lease import cmd_lease_break, cmd_lease_show
from orgnb.cli.output import print_lines, say
from orgnb.cli.policy import cmd_policy
from orgnb.cli.records import cmd_record_notebook, cmd_records_diff, cmd_records_list, cmd_records_seal, cmd_records_verify
from orgnb.errors import ExitCode, OrgnbError, ParameterError, ParameterProblem, SandboxError, worst_exit_code
from orgnb.input.parameters import load_parameters
from orgnb.input.paramschema import SCHEMA_PATH, schema_text
from orgnb.input.yamlread import load_yaml
from orgnb.phases.registry import PHASES
from orgnb.switches import Switches

REHEARSAL_SCENARIO = "brownfield"
REHEARSAL_PARAMETERS = "parameters/brownfield.yaml"


def cmd_phases(_: argparse.Namespace) -> int:
    """List the phases and their notebooks."""
    for p in PHASES:
        print(f"{p.number:02d}  {p.name:<22} {'ready  ' if p.implemented else 'planned'}  notebooks/{p.notebook}  {p.purpose}")
    print_lines([("phases", len(PHASES)), ("implemented", sum(p.implemented for p in PHASES)), ("notebooks", Switches.read().notebooks)])
    return ExitCode.OK


def _parse_value(name: str, raw: str) -> Any:
    """A `-p NAME VALUE` value read as YAML (the parameters file's reader: a key written twice is refused)."""
    try:
        return load_yaml(raw) if raw.strip() else raw
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())
        fix = "quote the value or fix it"
        raise ParameterError([ParameterProblem(f"-p {name}", f"{raw!r} is not valid YAML: {problem}", fix)], "command line") from None


def _report(results: list[Any]) -> int:
    for result in results:
        if result.error:
            print(f"{result.phase}: {result.error}", file=sys.stderr)
    return worst_exit_code([r.exit_code for r in results])


def cmd_run(args: argparse.Namespace) -> int:
    """Run one phase headless; --sandbox runs it against a throwaway sandbox."""
    from orgnb.commands.runner import run_phase

    extra = {name: _parse_value(name, value) for name, value in args.param}
    reports = Path(args.reports_dir) if args.reports_dir else Switches.read().reports()
    if args.sandbox:
        from orgnb.commands.rehearsal import sandboxed

        with sandboxed(args.sandbox):
            result = run_phase(args.phase, args.file, args.apply, extra, reports)
    else:
        result = run_phase(args.phase, args.file, args.apply, extra, reports)
    say(result.progress_line())
    print_lines(result.lines())
    return _report([result])


def cmd_rehearse(args: argparse.Namespace) -> int:
    """Every implemented phase, in order, with apply, on one sandbox."""
    from orgnb.commands.rehearsal import rehearse

    reports = Path(args.reports_dir) if args.reports_dir else Switches.read().reports() / "rehearsal"
    results = rehearse(args.scenario, args.file, reports, say=say)  # a line per phase as it ends
    code = _report(list({r.phase: r for r in results}.values()))  # a phase re-run after an operator's fix counts once
    print_lines([("scenario", args.scenario), ("records", " ".join(str(r.record_dir) for r in results)), ("exit_code", int(code))])
    print_lines(results[-1].stop_lines() if results else [])  # the phase it stopped at: what to do
    return code


def cmd_sandbox(args: argparse.Namespace) -> int:
    """Serve a sandbox in the foreground until interrupted."""
    from orgnb.sandbox import Sandbox

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    faults = json.loads(Path(args.faults).read_text(encoding="utf-8")) if args.faults else None
    with Sandbox(args.scenario, port=args.port, profiles_dir=args.profiles_dir, faults=faults) as sandbox:
        for key, value in sandbox.environ().items():
            print(f"export {key}={value}")
        print_lines(
            [
                ("instance", sandbox.instance_id),
                ("scenario", args.scenario),
                ("profiles", " ".join(a.profile for a in sandbox.scenario.accounts)),
            ]
        )
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return ExitCode.OK


def cmd_lab(args: argparse.Namespace) -> int:
    """JupyterLab on loopback, its kernels pointed at a fresh sandbox, until interrupted."""
    from orgnb.commands.lab import Lab, LabOptions

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    options = LabOptions(
        scenario=args.scenario,
        parameters_file=Path(args.file) if args.file else None,
        notebooks=Path(args.notebooks) if args.notebooks else None,
        port=args.port,
        state_dir=Path(args.state_dir) if args.state_dir else None,
        start_at=args.start_at,
    )
    try:
        lab = Lab(options).start()  # stops what it started when it fails or is interrupted
    except KeyboardInterrupt:
        print("interrupted while starting: the sandbox and JupyterLab are stopped", file=sys.stderr)
        return ExitCode.FAILED
    try:
        for result in lab.estate:
            print(f"{result.phase}: outcome {result.outcome}, {result.applied} applied, record {result.record_dir}", flush=True)
        for key, value in lab.exports().items():
            print(f"export {key}={value}", flush=True)
        print_lines(lab.lines())
        while lab.running() and not stop.wait(0.5):
            pass
        if not stop.is_set() and not lab.running():
            print(f"JupyterLab exited on its own: see {lab.log}", file=sys.stderr)
            return ExitCode.FAILED
    except KeyboardInterrupt:
        pass
    finally:
        lab.stop()
    return ExitCode.OK


def _admin_get(args: argparse.Namespace, route: str) -> Any:
    """GET one of the running sandbox's admin routes (found through --endpoint or AWS_ENDPOINT_URL)."""
    endpoint = args.endpoint or os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint:
        raise ParameterError(
            [ParameterProblem("AWS_ENDPOINT_URL", "not set", "apply the exports `orgnb sandbox` printed, or pass --endpoint")]
        )
    try:
        return admin_call(endpoint, route, timeout=10)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SandboxError(f"no sandbox answered at {endpoint}: {exc}") from None


def cmd_sandbox_calls(args: argparse.Namespace) -> int:
    """Print the call log of the sandbox AWS_ENDPOINT_URL points at, as JSON lines."""
    calls = _admin_get(args, "calls" + ("?writes=1" if args.writes else ""))
    for call in calls:
        print(json.dumps(call, sort_keys=True))
    print_lines([("calls", len(calls)), ("writes", sum(1 for c in calls if c["write"]))])
    return ExitCode.OK


def cmd_sandbox_mailbox(args: argparse.Namespace) -> int:
    """Print the sandbox mailbox (invitations, one-time passcodes), optionally one address's, as JSON lines."""
    query = f"?address={urllib.parse.quote(args.address)}" if args.address else ""
    mails = _admin_get(args, "mailbox" + query)
    for mail in mails:
        print(json.dumps(mail, sort_keys=True))
    print_lines([("messages", len(mails))])
    return ExitCode.OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Static validation of a parameters file (no AWS call)."""
    params = load_parameters(args.file)
    print_lines([("parameters", args.file), ("planned_emails", len(list(params.planned_emails()))), ("valid", True)])
    return ExitCode.OK


def cmd_schema(args: argparse.Namespace) -> int:
    """Write parameters/schema.json from the model (or --check that it is current)."""
    current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
    if args.check:
        ok = current == schema_text()
        print_lines([("schema", SCHEMA_PATH), ("current", ok)])
        return ExitCode.OK if ok else ExitCode.FAILED
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print_lines([("schema", SCHEMA_PATH), ("written", True)])
    return ExitCode.OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(prog="orgnb", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("phases", help="list the phases and their notebooks").set_defaults(func=cmd_phases)

    run = sub.add_parser("run", help="run one phase headless with papermill")
    run.add_argument("phase")
    run.add_argument("-f", "--file", required=True, help="parameters YAML file")
    run.add_argument("--apply", action="store_true", help="apply the plan (default: plan only)")
    run.add_argument("--sandbox", nargs="?", const="greenfield", metavar="SCENARIO", help="run against a throwaway sandbox")
    run.add_argument("-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help="set a notebook parameter")
    run.add_argument("--reports-dir", help="where records go (default: reports/)")
    run.set_defaults(func=cmd_run)

    rehearse = sub.add_parser("rehearse", help="every implemented phase with apply, on one sandbox")
    rehearse.add_argument("--scenario", default=REHEARSAL_SCENARIO)
    rehearse.add_argument("-f", "--file", default=REHEARSAL_PARAMETERS)
    rehearse.add_argument("--reports-dir", help="where records go (default: reports/rehearsal/)")
    rehearse.set_defaults(func=cmd_rehearse)

    sandbox = sub.add_parser("sandbox", help="serve an emulated AWS on loopback")
    sandbox.add_argument("--scenario", default="greenfield")
    sandbox.add_argument("--port", type=int, default=0)
    sandbox.add_argument("--profiles-dir", help="where to write the AWS config and credentials files")
    sandbox.add_argument("--faults", help="JSON file of faults to inject: throttle, fail_nth, latency_ms (see orgnb.sandbox.faults)")
    sandbox.set_defaults(func=cmd_sandbox)
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command")
    calls = sandbox_sub.add_parser("calls", help="the call log of the running sandbox, as JSON lines")
    calls.add_argument("--writes", action="store_true", help="only calls that may change state")
    calls.add_argument("--endpoint", help="sandbox URL (default: AWS_ENDPOINT_URL)")
    calls.set_defaults(func=cmd_sandbox_calls)
    mail = sandbox_sub.add_parser("mailbox", help="email the sandbox delivered (invitations, OTPs), as JSON lines")
    mail.add_argument("address", nargs="?", help="only messages to this address")
    mail.add_argument("--endpoint", help="sandbox URL (default: AWS_ENDPOINT_URL)")
    mail.set_defaults(func=cmd_sandbox_mailbox)

    lab = sub.add_parser("lab", help="JupyterLab on loopback, its kernels pointed at a fresh sandbox (the interactive path)")
    lab.add_argument("--scenario", default=REHEARSAL_SCENARIO)
    lab.add_argument("-f", "--file", help="parameters file (default: the scenario's, parameters/brownfield.yaml or example.yaml)")
    lab.add_argument("--start-at", metavar="PHASE", help="apply the phases before PHASE first (headless), so PHASE can start")
    lab.add_argument("--port", type=int, default=0, help="JupyterLab's port (default: a free one)")
    lab.add_argument("--notebooks", help="folder JupyterLab opens (default: the project's notebooks/)")
    lab.add_argument("--state-dir", help="keep the lab's workspace, settings, log and records here (default: a temporary folder)")
    lab.set_defaults(func=cmd_lab)

    recs = sub.add_parser("records", help="verify or list the change records")
    recs_sub = recs.add_subparsers(dest="records_command", required=True)
    verify = recs_sub.add_parser("verify", help="check digests and the hash chain; name the first broken place")
    verify.add_argument("path", nargs="?", help="a reports folder or one record (default: reports/)")
    verify.add_argument("--expect-head", metavar="SHA256", help="the newest manifest digest you kept elsewhere (a CI log, a ticket)")
    verify.set_defaults(func=cmd_records_verify)
    seal = recs_sub.add_parser("seal", help="seal, as it is, a record folder whose run was killed before sealing it")
    seal.add_argument("folder")
    seal.set_defaults(func=cmd_records_seal)
    listing = recs_sub.add_parser("list", help="the history of runs as a table")
    listing.add_argument("path", nargs="?", help="a reports folder (default: reports/)")
    listing.set_defaults(func=cmd_records_list)
    diff = recs_sub.add_parser("diff", help="what changed between two records of a phase")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.set_defaults(func=cmd_records_diff)

    recnb = sub.add_parser("record-notebook", help="seal a notebook saved from JupyterLab as a record")
    recnb.add_argument("notebook", help="the .ipynb saved after Confirm and the cells below it ran")
    recnb.add_argument("--record-dir", help="the run's record folder (default: the one the notebook shows)")
    recnb.set_defaults(func=cmd_record_notebook)

    pol = sub.add_parser("policy", help="the least-privilege IAM policy a CI role needs for phases")
    pol.add_argument("phases", nargs="*", metavar="PHASE", help="phase names or numbers (01..07)")
    pol.add_argument("-o", "--output", help="also write the policy document (JSON only) to this file")
    half = pol.add_mutually_exclusive_group()
    half.add_argument("--read", action="store_true", help="only the read half: what a plan needs (the plan role's policy)")
    half.add_argument("--write", action="store_true", help="only the write half: what an apply adds to the read half")
    pol.add_argument(
        "-f", "--file", help="parameters YAML file: the management account id for the ARNs (and the profile to read the organization id)"
    )
    pol.add_argument("--organization-id", metavar="o-...", help="the organization's id for the ARNs (else read from AWS with -f)")
    pol.add_argument("--refresh", metavar="REPORTS", help="rebuild the per-phase operations from a rehearsal's records")
    pol.set_defaults(func=cmd_policy)

    lease = sub.add_parser("lease", help="the apply lease on the organization's root")
    lease_sub = lease.add_subparsers(dest="lease_command", required=True)
    show = lease_sub.add_parser("show", help="who holds the lease")
    show.add_argument("-f", "--file", required=True, help="parameters YAML file")
    show.set_defaults(func=cmd_lease_show)
    brk = lease_sub.add_parser("break", help="remove the lease of a run that died (name it)")
    brk.add_argument("-f", "--file", required=True, help="parameters YAML file")
    brk.add_argument("--run", required=True, help="the record folder name of the run that died")
    brk.set_defaults(func=cmd_lease_break)

    validate = sub.add_parser("validate", help="check a parameters file without calling AWS")
    validate.add_argument("-f", "--file", required=True)
    validate.set_defaults(func=cmd_validate)

    schema = sub.add_parser("schema", help="write parameters/schema.json from the model")
    schema.add_argument("--check", action="store_true", help="fail when the file is not current")
    schema.set_defaults(func=cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse, dispatch, map orgnb's errors to exit codes."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except OrgnbError as exc:
        print(str(exc), file=sys.stderr)
        print_lines([("outcome", type(exc).__name__), ("exit_code", int(exc.exit_code))])
        return int(exc.exit_code)
