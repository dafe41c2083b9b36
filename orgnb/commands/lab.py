"""`orgnb lab`: JupyterLab on loopback whose kernels reach a fresh sandbox, to walk the runbook as a person does.

The sandbox runs in this process, as with `orgnb sandbox`. JupyterLab runs as a child process in a session of its
own, so Ctrl-C reaches `orgnb lab` alone, which stops JupyterLab (and with it the kernels) before the sandbox.
Kernels inherit three things: the sandbox's environment, a reports folder of the lab's own (never the
repository's `reports/`), and the scenario's parameters file. A notebook left on its default parameters file
uses that one instead (see `orgnb.switches.Switches.parameters_file`). Kernels are interactive, so Run All stops at the plan
and the Confirm widget.

Each lab gets a new state folder. It holds an empty JupyterLab workspace (no tabs reopened from an earlier
session) and settings overrides that turn off the Jupyter news prompt and update checks (the lab never reaches the
internet).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from orgnb.commands.rehearsal import run_phases
from orgnb.commands.runner import RunResult, patched_environ
from orgnb.errors import ExitCode, LabError, ParameterError, ParameterProblem
from orgnb.input.parameters import load_parameters
from orgnb.sandbox import Sandbox
from orgnb.switches import HEADLESS_ENV, LAB_PARAMETERS_ENV, REPORTS_ENV, Switches

PROJECT = Path(__file__).resolve().parents[2]
SCENARIO_PARAMETERS = {"brownfield": "parameters/brownfield.yaml", "greenfield": "parameters/example.yaml"}
# what kernels must not inherit from the shell: the first would skip the Confirm widget, the rest pick other credentials
NOT_INHERITED = (HEADLESS_ENV, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")
# JupyterLab settings defaults (overrides.json): no "Jupyter news" prompt covering the page, no update check
OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}
READY_SECONDS = 90.0
STOP_SECONDS = 15.0


@dataclass(frozen=True)
class LabOptions:
    """What `orgnb lab` serves: the scenario, parameters and notebooks, the port, and where its state goes."""

    scenario: str = "brownfield"
    parameters_file: Path | None = None  # default: the scenario's (SCENARIO_PARAMETERS)
    notebooks: Path | None = None  # default: the project's notebooks/
    port: int = 0  # 0: a free one
    state_dir: Path | None = None  # kept when given; default: a temporary folder removed on exit
    start_at: str | None = None  # apply the phases before this one first (headless, as the rehearsal does)

    def parameters(self) -> Path:
        """The parameters file, absolute (kernels run in the notebooks' folder)."""
        if self.parameters_file is not None:
            return self.parameters_file.resolve()
        if self.scenario not in SCENARIO_PARAMETERS:
            fix = f"pass -f FILE for scenario {self.scenario!r}"
            raise ParameterError([ParameterProblem("--file", f"no default parameters file for scenario {self.scenario!r}", fix)], "lab")
        return PROJECT / SCENARIO_PARAMETERS[self.scenario]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_overrides(state: Path) -> Path:
    """Write JupyterLab's settings overrides under `state`; the folder to pass as its app settings dir."""
    folder = state / "app-settings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(OVERRIDES, indent=2) + "\n", encoding="utf-8")
    return folder


def jupyter_command(notebooks: Path, port: int, state: Path) -> list[str]:
    """JupyterLab's command line: loopback, no token, no browser, the notebooks as root, a fresh workspace, offline."""
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        f"--ServerApp.root_dir={notebooks}",
        f"--LabApp.workspaces_dir={state / 'workspaces'}",
        f"--LabApp.app_settings_dir={write_overrides(state)}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",  # the PyPI one queries pypi.org
        *(["--allow-root"] if os.geteuid() == 0 else []),  # CI containers run as root; JupyterLab refuses it unless told
    ]


def kernel_environ(sandbox: Mapping[str, str], reports: Path, parameters: Path) -> dict[str, str]:
    """The environment JupyterLab and its kernels start with: this one's, pointed at the sandbox, interactive."""
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    return {**env, **sandbox, REPORTS_ENV: str(reports), LAB_PARAMETERS_ENV: str(parameters)}


class LabServer:
    """JupyterLab as a child process in its own session, logging to a file."""

    def __init__(self, command: list[str], env: Mapping[str, str], log: Path, port: int) -> None:
        self.command = command
        self.env = dict(env)
        self.log = log
        self.url = f"http://127.0.0.1:{port}/lab"
        self._status = f"http://127.0.0.1:{port}/api/status"
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self) -> LabServer:
        """Start JupyterLab and wait until it answers."""
        self._log_file = self.log.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.command, env=self.env, stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.wait_ready()
        return self

    def running(self) -> bool:
        """True while the JupyterLab process lives."""
        return self._process is not None and self._process.poll() is None

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        """Wait until JupyterLab's status route answers; LabError (with the log's end) if it exits or takes too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise LabError(f"JupyterLab exited while starting: see {self.log}\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self._status, timeout=2):  # noqa: S310 - loopback
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise LabError(f"JupyterLab did not answer at {self._status} within {timeout:.0f} s: see {self.log}\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        """The last lines JupyterLab logged."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Stop JupyterLab as Ctrl-C would (it shuts its kernels down); kill its session if it does not go in time."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # its own session: JupyterLab and the kernels it started
                process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


class Lab:
    """A sandbox, brought to a phase's starting estate when asked, and JupyterLab with its kernels pointed at it."""

    def __init__(self, options: LabOptions) -> None:
        self.options = options
        self.parameters = options.parameters()
        load_parameters(self.parameters)  # a mistake stops here, before anything starts
        self.notebooks = (options.notebooks or Switches.read().notebooks).resolve()
        self.state = options.state_dir.resolve() if options.state_dir else Path(tempfile.mkdtemp(prefix="orgnb-lab-"))
        self.reports = self.state / "reports"
        self.log = self.state / "jupyterlab.log"
        self.estate: list[RunResult] = []  # the phases applied before start_at
        self.sandbox: Sandbox | None = None
        self.server: LabServer | None = None

    def start(self) -> Lab:
        """Start the sandbox, prepare the estate, start JupyterLab; stop it all on failure."""
        self.reports.mkdir(parents=True, exist_ok=True)
        try:
            self.sandbox = sandbox = Sandbox(self.options.scenario).start()
            if self.options.start_at:
                self._prepare_estate(sandbox, self.options.start_at)
            port = self.options.port or free_port()
            env = kernel_environ(sandbox.environ(), self.reports, self.parameters)
            self.server = LabServer(jupyter_command(self.notebooks, port, self.state), env, self.log, port)
            self.server.start()
        except BaseException:
            self.stop()
            raise
        return self

    def _prepare_estate(self, sandbox: Sandbox, phase: str) -> None:
        """Apply the phases before `phase` headless, as the rehearsal does; LabError names the one that did not end ok."""
        with patched_environ(sandbox.environ()):
            self.estate = run_phases(sandbox, self.parameters, self.reports, before=phase)
        if self.estate and self.estate[-1].exit_code != ExitCode.OK:
            last = self.estate[-1]
            raise LabError(f"{last.phase} ended {last.outcome} before {phase} could start: see {last.record_dir} ({last.error})")

    def running(self) -> bool:
        """True while JupyterLab serves."""
        return self.server is not None and self.server.running()

    @property
    def url(self) -> str:
        """JupyterLab's address."""
        if self.server is None:
            raise LabError("the lab is not running")
        return self.server.url

    def exports(self) -> dict[str, str]:
        """What to export in another shell to act on the lab's sandbox and records (`orgnb record-notebook`...)."""
        if self.sandbox is None:
            raise LabError("the lab is not running")
        return {**self.sandbox.environ(), REPORTS_ENV: str(self.reports), LAB_PARAMETERS_ENV: str(self.parameters)}

    def lines(self) -> list[tuple[str, Any]]:
        """The `key: value` lines `orgnb lab` prints once JupyterLab answers."""
        kept = "kept" if self.options.state_dir else "removed on exit"
        return [
            ("url", self.url),
            ("scenario", self.options.scenario),
            ("parameters", self.parameters),
            ("notebooks", self.notebooks),
            ("reports", self.reports),
            ("log", self.log),
            ("state", f"{self.state} ({kept})"),
        ]

    def stop(self) -> None:
        """Stop JupyterLab, then the sandbox; remove the state folder unless it was given."""
        if self.server is not None:
            self.server.stop()
        if self.sandbox is not None:
            self.sandbox.stop()
            self.sandbox = None
        if self.options.state_dir is None:
            shutil.rmtree(self.state, ignore_errors=True)

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
