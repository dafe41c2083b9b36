"""Fixtures for the browser tests: `orgnb lab` as a subprocess, Debian's Chromium driven by Playwright, artefacts.

The lab serves a copy of the notebooks, so whatever JupyterLab saves never touches notebooks/. Screenshots, the
lab's output and JupyterLab's log land in reports/browser/ (kept by CI as artefacts, ignored by git).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, ViewportSize, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "reports" / "browser"
CHROMIUM = Path(os.environ.get("ORGNB_CHROMIUM", "/usr/bin/chromium"))
# what is known to work headless on a CI machine without a display, GPU or network
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CHROMIUM_ARGS += ["--no-first-run"]
LAB_START_SECONDS = 180  # sandbox, the phases before 04 (three kernels), JupyterLab: about 40 s on two busy cores
STEP_MS = 60_000  # the longest a single wait in a test may take (a cell's run, a kernel's start)
VIEWPORT: ViewportSize = {"width": 1400, "height": 900}
_FAILED = pytest.StashKey[bool]()


@dataclass
class LabProcess:
    """`orgnb lab` running as a subprocess, as `make lab` starts it."""

    process: subprocess.Popen[bytes]
    output: Path
    state: Path
    url: str = ""

    @property
    def log(self) -> Path:
        """JupyterLab's log."""
        return self.state / "jupyterlab.log"

    def wait_for_url(self) -> str:
        """The `url:` line the lab prints once JupyterLab answers."""
        deadline = time.monotonic() + LAB_START_SECONDS
        while time.monotonic() < deadline:
            for line in self.output.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("url: "):
                    self.url = line.removeprefix("url: ").strip()
                    return self.url
            if self.process.poll() is not None:
                pytest.fail(f"orgnb lab exited with {self.process.returncode} before serving:\n{self.tail()}")
            time.sleep(0.5)
        pytest.fail(f"orgnb lab printed no url within {LAB_START_SECONDS} s:\n{self.tail()}")

    def tail(self) -> str:
        """The lab's own output and the end of JupyterLab's log."""
        out = self.output.read_text(encoding="utf-8", errors="replace")
        log = self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:] if self.log.exists() else []
        return f"{out}\n--- {self.log}\n" + "\n".join(log)

    def stop(self) -> int:
        """SIGTERM, as a service manager would; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                pytest.fail(f"orgnb lab did not stop within 60 s of SIGTERM:\n{self.tail()}")
        return int(self.process.returncode)


@pytest.fixture(scope="session")
def artefacts() -> Path:
    """reports/browser/, emptied at the start of the session."""
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    ARTEFACTS.mkdir(parents=True)
    return ARTEFACTS


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, artefacts: Path, request: pytest.FixtureRequest) -> Iterator[LabProcess]:
    """`orgnb lab --start-at <the test module's START_AT>` on a copy of the notebooks; stopped (and checked) at the end."""
    start_at = str(getattr(request.module, "START_AT", "account-creation"))
    work = tmp_path_factory.mktemp("lab")
    notebooks = work / "notebooks"
    notebooks.mkdir()
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, notebooks)
    output = artefacts / f"orgnb-lab-{start_at}.out"
    command = [sys.executable, "-m", "orgnb.cli", "lab", "--start-at", start_at, "--notebooks", str(notebooks)]
    command += ["--state-dir", str(work / "state")]
    with output.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT)  # noqa: S603
    running = LabProcess(process, output, work / "state")
    try:
        running.wait_for_url()
        yield running
    finally:
        code = running.stop()
        if running.log.exists():
            shutil.copy(running.log, artefacts / f"jupyterlab-{start_at}.log")
    assert code == 0, f"orgnb lab exited with {code} on SIGTERM:\n{running.tail()}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, through Playwright (no browser download: `executable_path`)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: apt-get install chromium (or set ORGNB_CHROMIUM to a Chromium binary)")
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Error as exc:
            pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc.message}")
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture
def page(browser: Browser, lab: LabProcess, artefacts: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser page; on failure, a screenshot and where the lab's logs are."""
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    tab.set_default_timeout(STEP_MS)
    expect.set_options(timeout=STEP_MS)
    yield tab
    if request.node.stash.get(_FAILED, False):
        shot = artefacts / f"{request.node.name}-failed.png"
        tab.screenshot(path=str(shot))
        print(f"failure screenshot: {shot}\norgnb lab output: {lab.output}\nJupyterLab log: {lab.log}\n{lab.tail()}")
    context.close()
