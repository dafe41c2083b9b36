"""The command line as an operator or CI uses it: a subprocess, exit codes and `key: value` lines."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orgnb.commands.policy import observed_member_operations, observed_operations, phase_operations
from orgnb.phases.guardrails.preview import member_operations
from orgnb.phases.registry import PHASES
from orgnb.sandbox import Sandbox
from tests.conftest import GREENFIELD_STEPS
from tests.test_fidelity import documented_operations

N = str(len(GREENFIELD_STEPS))

ROOT = Path(__file__).resolve().parent.parent


def orgnb(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orgnb.cli", *args], capture_output=True, text=True, env=env or dict(os.environ), cwd=ROOT, timeout=timeout
    )


def keys(output: str) -> dict[str, str]:
    return dict(re.findall(r"^([a-z_]+): (.*)$", output, flags=re.MULTILINE))


def visible_text(page: str) -> str:
    """What a browser shows of an HTML page: no styles, scripts or tags."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_phases_lists_all_seven() -> None:
    result = orgnb("phases")
    assert result.returncode == 0
    assert keys(result.stdout)["phases"] == "7" and "notebooks/07-guardrails.ipynb" in result.stdout
    assert "notebooks/02-organization-init.ipynb" in result.stdout


@pytest.mark.parametrize(
    ("replace", "by", "field"),
    [
        ('"111122223333"', "111122223333", "organization.management_account_id"),
        ("    slug: org-ops\n", "    slug: org-ops\n    email: " + "a" * 53 + "@example.com\n", "accounts[0].email"),
        ("    slug: widget-test\n", "    slug: widget-test\n    email: aws+org-ops@example.com\n", "accounts[2].email"),
        ("attestations: {}", "attestations: {}\ncolour: blue", "colour"),
    ],
    ids=["unquoted-id", "65-char-email", "duplicate-email", "unknown-key"],
)
def test_invalid_parameters_exit_2_naming_the_field(
    sandbox: Sandbox, example_params: Path, tmp_path: Path, replace: str, by: str, field: str
) -> None:
    text = example_params.read_text()
    assert replace in text
    params = tmp_path / "p.yaml"
    params.write_text(text.replace(replace, by))
    result = orgnb("run", "organization-init", "-f", str(params), "--apply", "--reports-dir", str(tmp_path / "r"))
    assert result.returncode == 2, result.stderr
    assert f"{field}:" in result.stderr and "fix:" in result.stderr
    assert keys(result.stdout)["exit_code"] == "2"
    assert sandbox.calls() == [] and not (tmp_path / "r").exists()


def test_unknown_notebook_parameter_exits_2(example_params: Path, tmp_path: Path) -> None:
    result = orgnb("run", "organization-init", "-f", str(example_params), "-p", "colour", "blue", "--reports-dir", str(tmp_path))
    assert result.returncode == 2 and "-p colour" in result.stderr


def test_a_notebook_parameter_writing_a_key_twice_exits_2(example_params: Path, tmp_path: Path) -> None:
    result = orgnb("run", "organization-init", "-f", str(example_params), "-p", "tags", "{a: 1, a: 2}", "--reports-dir", str(tmp_path))
    assert result.returncode == 2 and "-p tags" in result.stderr and "key 'a' appears twice" in result.stderr
    assert not list(tmp_path.iterdir()), "no record for a run refused on its command line"


def test_wrong_management_account_exits_3(sandbox: Sandbox, example_params: Path, tmp_path: Path) -> None:
    params = tmp_path / "p.yaml"
    params.write_text(example_params.read_text().replace('"111122223333"', '"999988887777"'))
    result = orgnb("run", "organization-init", "-f", str(params), "--apply", "--reports-dir", str(tmp_path / "r"))
    assert result.returncode == 3, result.stderr
    out = keys(result.stdout)
    assert out["outcome"] == "refused" and out["writes"] == "0" and "PreflightRefused" in out["error"]
    assert sandbox.calls(writes_only=True) == []


def test_run_with_a_throwaway_sandbox(example_params: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = orgnb("run", "organization-init", "-f", str(example_params), "--sandbox", "--apply", "--reports-dir", str(tmp_path), env=env)
    assert result.returncode == 0, result.stderr
    out = keys(result.stdout)
    assert (out["plan_steps"], out["applied"], out["writes"], out["outcome"]) == (N, N, N, "applied")
    assert Path(out["record"]).joinpath("notebook.ipynb").exists()


def test_rehearse_runs_the_implemented_phases_on_brownfield(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    result = orgnb("rehearse", "--reports-dir", str(tmp_path), env=env)
    assert result.returncode == 0, result.stderr
    out = keys(result.stdout)
    assert out["exit_code"] == "0" and out["scenario"] == "brownfield"
    records = out["records"].split()
    # 05 moves every account in one run (direct transfers need no payment method); 06 stops at the root-email
    # passcodes: the rehearsal does what the operator would (reads them in the mailbox) and runs 06 again
    phases = [p.name for p in PHASES if p.implemented]
    assert [Path(r).name.split("-", 1)[1] for r in records] == [*phases[:6], "member-initialization", *phases[6:]]  # 06 resumed
    assert "migration: outcome applied, 22 applied, 22 writes, exit 0" in result.stdout and "payment method" not in result.stdout
    migration = json.loads(Path(records[4], "record.json").read_text())["operations"]  # every scope: caller, profiles, roles
    assert not [op for ops in migration.values() for op in ops if op == "organizations:LeaveOrganization"]
    assert sum(ops.get("organizations:AcceptHandshake", 0) for ops in migration.values()) == 4
    # every call the rehearsal made, in every scope, is on the sandbox's fidelity page
    made = {op for r in records for ops in json.loads(Path(r, "record.json").read_text())["operations"].values() for op in ops}
    assert made - documented_operations() == set()
    assert result.stdout.count("operator: read the passcode sent to") == 4
    # issue 17: a line per phase as it ends (06's stop before the operator's actions), no kernel transport warning
    assert result.stdout.index("member-initialization: outcome pending") < result.stdout.index("operator: read the passcode")
    assert re.search(r"^account-creation: outcome applied, .*, exit 0, \d+\.\d s$", result.stdout, flags=re.MULTILINE)
    assert "without encryption" not in result.stdout + result.stderr
    assert "member-initialization: outcome pending" in result.stdout
    assert "member-initialization: outcome applied, 4 applied, 4 writes, exit 0" in result.stdout
    assert "preparation-audit: outcome audited, 0 applied, 0 writes" in result.stdout
    assert f"organization-init: outcome applied, {N} applied, {N} writes" in result.stdout
    # 03: trusted access for IAM and both root features (no member yet to audit); 04: 4 OUs and 3 accounts
    assert "root-centralization: outcome applied, 3 applied, 3 writes" in result.stdout
    assert "account-creation: outcome applied, 7 applied" in result.stdout
    journal = [json.loads(line) for line in Path(records[3], "journal.jsonl").read_text().splitlines()]  # 04
    placed = {e["step"]: e["result"].get("ou", "/") for e in journal if e["event"] == "done" and e["step"].startswith("create-account:")}
    assert placed == {
        "create-account:aws+org-ops@example.com": "/",
        "create-account:aws+widget-prod@example.com": "Workloads/Prod",
        "create-account:aws+widget-test@example.com": "Workloads/Test",
    }
    assert Path(records[3], "iac", "accounts-import.tf").read_text().count("import {") == 3
    # issue 7: the records form a chain that verifies; each HTML page reads without Jupyter
    assert keys(orgnb("records", "verify", str(tmp_path)).stdout)["verified"] == "True"
    # 06's first run waits for the passcodes: its notebook and page open with that, not papermill's exception banner
    waiting = Path(records[5])
    cells = json.loads((waiting / "notebook.ipynb").read_text())["cells"]
    assert cells[0]["metadata"]["tags"] == ["orgnb-pending-banner"] and "papermill-error-cell-tag" not in json.dumps(cells)
    banner = "".join(cells[0]["source"])
    assert banner.count("the passcode AWS sends to") == 4
    assert "orgnb run member-initialization -f parameters/brownfield.yaml --apply" in banner
    page = visible_text((waiting / "notebook.html").read_text())
    assert "This run waits for a person" in page and "An Exception was encountered" not in page
    assert all(f"{account}" in page for account in ("222233334444", "333344445555", "444455556666", "555566667777"))
    listing = orgnb("records", "list", str(tmp_path)).stdout
    assert keys(listing)["pending"] == "1" and keys(listing)["failed"] == "0"
    assert re.search(rf"{waiting.name}\s+member-initialization\s+headless\s+pending\s+4\s+0\s", listing)
    page = visible_text(Path(records[1], "notebook.html").read_text())
    assert all(s in page for s in ("Plan", "create-organization", "event", "done", "outcome: applied", "parameters_file = "))
    assert "run.apply()" not in page and "start_phase" not in page  # code inputs are hidden, the injected parameters shown
    # the committed policy data covers every call the management account made in the rehearsal
    committed = phase_operations()
    assert all(set(ops) <= set(committed[phase]) for phase, ops in observed_operations(tmp_path).items())
    # and every action the kit performed inside members, by phase and principal (the guardrails preview judges these)
    members = member_operations()
    observed = observed_member_operations(tmp_path)
    assert all(set(acts) <= set(members[phase][kind]) for phase, kinds in observed.items() for kind, acts in kinds.items())
    # one flipped byte, then one deleted record: verify names the place
    journal_04 = Path(records[3], "journal.jsonl")
    original = journal_04.read_bytes()
    journal_04.write_bytes(original.replace(b'"done"', b'"dona"', 1))
    broken = orgnb("records", "verify", str(tmp_path))
    assert broken.returncode == 1 and keys(broken.stdout)["first_broken"] == f"{Path(records[3]).name}/journal.jsonl"
    journal_04.write_bytes(original)
    shutil.rmtree(records[2])
    broken = orgnb("records", "verify", str(tmp_path))
    assert broken.returncode == 1 and keys(broken.stdout)["first_broken"] == Path(records[2]).name


@pytest.mark.soak
def test_foreground_sandbox_run_twice_and_call_log(example_params: Path, tmp_path: Path) -> None:
    """The issue's walk-through: serve, export, apply, apply again (0 writes), and the log shows nothing new."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "orgnb.cli", "sandbox", "--scenario", "greenfield", "--profiles-dir", str(tmp_path / "profiles")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while not any(line.startswith("profiles:") for line in lines) and time.monotonic() < deadline:
            lines.append(server.stdout.readline().strip())
        exports = dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))
        assert set(exports) >= {"AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"}
        assert "profiles: management" in lines
        env.update(exports)
        reports = str(tmp_path / "reports")
        first = orgnb("run", "organization-init", "-f", str(example_params), "--apply", "--reports-dir", reports, env=env)
        assert first.returncode == 0 and keys(first.stdout)["writes"] == N, first.stderr
        writes = orgnb("sandbox", "calls", "--writes", env=env)
        assert keys(writes.stdout)["calls"] == N
        assert '"operation": "CreateOrganization"' in writes.stdout
        second = orgnb("run", "organization-init", "-f", str(example_params), "--apply", "--reports-dir", reports, env=env)
        assert second.returncode == 0 and keys(second.stdout)["writes"] == "0"
        assert orgnb("sandbox", "calls", "--writes", env=env).stdout == writes.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode == 0


def test_sandbox_calls_without_endpoint(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    assert orgnb("sandbox", "calls", env=env).returncode == 2


def test_sandbox_mailbox_shows_invitations(brownfield: Sandbox) -> None:
    import boto3

    org = boto3.Session(profile_name="management").client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    handshake = org.invite_account_to_organization(Target={"Id": "222233334444", "Type": "ACCOUNT"})["Handshake"]["Id"]
    result = orgnb("sandbox", "mailbox", "gadget-dev@example.com")
    assert result.returncode == 0, result.stderr
    assert keys(result.stdout)["messages"] == "1" and handshake in result.stdout
    assert keys(orgnb("sandbox", "mailbox", "nobody@example.com").stdout)["messages"] == "0"
