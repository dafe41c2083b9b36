"""`orgnb lab`: the parameters file its kernels use, JupyterLab's command line and settings, start and stop.

The browser tests (tests/browser, `make test-browser`) click through the notebooks it serves.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from orgnb import runbook
from orgnb.commands.interactive import find_record_dir, parameters_path
from orgnb.commands.lab import LabOptions, jupyter_command, kernel_environ
from orgnb.errors import ParameterError
from orgnb.runbook import start_phase
from orgnb.sandbox import Sandbox
from orgnb.switches import DEFAULT_PARAMETERS, HEADLESS_ENV, LAB_PARAMETERS_ENV, REPORTS_ENV, Switches

ROOT = Path(__file__).resolve().parent.parent
BROWNFIELD = ROOT / "parameters" / "brownfield.yaml"


@pytest.mark.parametrize("notebook", sorted(Switches.read().notebooks.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_notebook_names_the_default_parameters_file(notebook: Path) -> None:
    cell = next(c for c in nbformat.read(notebook, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    assert f'parameters_file: str = "{DEFAULT_PARAMETERS}"' in cell.source  # what orgnb lab replaces


def test_the_lab_parameters_replace_only_the_default_and_only_interactively() -> None:
    assert Switches.read({}).parameters_file(DEFAULT_PARAMETERS) is None
    lab = Switches.read({LAB_PARAMETERS_ENV: str(BROWNFIELD)})
    assert lab.parameters_file(DEFAULT_PARAMETERS) == str(BROWNFIELD)
    assert lab.parameters_file("../parameters/my-org.yaml") is None  # a file the operator named wins
    headless = Switches.read({LAB_PARAMETERS_ENV: str(BROWNFIELD), HEADLESS_ENV: "1"})
    assert headless.parameters_file(DEFAULT_PARAMETERS) is None  # headless runs get theirs from the runner
    assert Switches.read({HEADLESS_ENV: "0"}).headless is False and Switches.read({REPORTS_ENV: "/r"}).reports() == Path("/r")


def test_an_interactive_run_says_which_parameters_file_it_uses_and_its_record_finds_it(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(HEADLESS_ENV, raising=False)
    monkeypatch.setenv(LAB_PARAMETERS_ENV, str(BROWNFIELD))
    shown: list[dict[str, object]] = []
    monkeypatch.setattr(runbook, "display", lambda bundle, raw: shown.append(bundle))  # what the kernel would send
    run = start_phase("organization-init", DEFAULT_PARAMETERS, record_dir=str(tmp_path / "reports" / "r-organization-init"))
    assert run.params.migrations  # brownfield.yaml's, which example.yaml has none of
    printed = capsys.readouterr().out
    assert f"parameters: {BROWNFIELD} ({LAB_PARAMETERS_ENV}, in place of {DEFAULT_PARAMETERS})" in printed
    [bundle] = shown
    assert bundle["text/plain"] == "record: r-organization-init"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("run = orgnb.start_phase(...)")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text=printed), nbformat.v4.new_output("display_data", data=bundle)]
    assert parameters_path(nb) == BROWNFIELD  # what record-notebook digests
    assert find_record_dir(nb, tmp_path / "02-organization-init.ipynb") == run.record_dir.resolve()


def test_jupyterlab_serves_loopback_without_token_in_a_fresh_workspace_without_news(tmp_path: Path) -> None:
    command = jupyter_command(tmp_path / "notebooks", 8899, tmp_path / "state")
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert {"--no-browser", "--ServerApp.ip=127.0.0.1", "--ServerApp.port=8899", "--IdentityProvider.token="} <= set(command)
    assert f"--ServerApp.root_dir={tmp_path / 'notebooks'}" in command
    assert f"--LabApp.workspaces_dir={tmp_path / 'state' / 'workspaces'}" in command
    assert "--LabApp.news_url=None" in command
    overrides = json.loads((tmp_path / "state" / "app-settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false", "checkForUpdates": False}


def test_kernels_inherit_the_sandbox_and_never_the_headless_switch_or_other_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HEADLESS_ENV, "1")
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA" + "EXAMPLE" * 2 + "00")  # made at run time: no key shape in the source
    env = kernel_environ({"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, Path("/r"), BROWNFIELD)
    assert HEADLESS_ENV not in env and "AWS_PROFILE" not in env and "AWS_ACCESS_KEY_ID" not in env
    assert (env["AWS_ENDPOINT_URL"], env[REPORTS_ENV], env[LAB_PARAMETERS_ENV]) == ("http://127.0.0.1:1", "/r", str(BROWNFIELD))


def test_each_scenario_has_its_parameters_file_or_asks_for_one() -> None:
    assert LabOptions().parameters() == BROWNFIELD
    assert LabOptions(scenario="greenfield").parameters() == ROOT / "parameters" / "example.yaml"
    with pytest.raises(ParameterError, match="pass -f FILE"):
        LabOptions(scenario="elsewhere").parameters()


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - loopback
        return resp.status, resp.read()


def test_orgnb_lab_serves_until_sigterm_then_stops_everything(tmp_path: Path) -> None:
    out = tmp_path / "lab.out"
    with out.open("wb") as sink:
        lab = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "orgnb.cli", "lab", "--scenario", "greenfield"], cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 90
        lines: dict[str, str] = {}
        while "url" not in lines and time.monotonic() < deadline and lab.poll() is None:
            time.sleep(0.3)
            lines = dict(line.split(": ", 1) for line in out.read_text().splitlines() if ": " in line and not line.startswith("export"))
        assert "url" in lines, out.read_text()
        base = lines["url"].removesuffix("/lab")
        assert _get(f"{base}/api/status")[0] == 200  # no token asked
        settings = json.loads(_get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification")[1])
        defaults = {k: v.get("default") for k, v in settings["schema"]["properties"].items()}
        assert (defaults["fetchNews"], defaults["checkForUpdates"]) == ("false", False)  # no news prompt covering the page
        endpoint = next(line.split("=", 1)[1] for line in out.read_text().splitlines() if line.startswith("export AWS_ENDPOINT_URL="))
        assert _get(f"{endpoint}/orgnb-api/instance")[0] == 200
    finally:
        lab.send_signal(signal.SIGTERM)
        code = lab.wait(60)
    assert code == 0, out.read_text()
    state = Path(lines["state"].removesuffix(" (removed on exit)"))
    assert not state.exists()  # workspace, settings, log and records of a lab without --state-dir go with it
    with pytest.raises(urllib.error.URLError):
        _get(f"{endpoint}/orgnb-api/instance")
    with pytest.raises(urllib.error.URLError):
        _get(f"{base}/api/status")
