"""The switches a kernel or a command is started with, read from the environment in one place, at the edge.

The headless runner, `orgnb lab` and the CLI set these for the processes they start; `Switches.read()` is called
once by what starts a run (`start_phase`, a CLI command) and the values travel down as arguments. No other module
reads these variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Set by the headless runner for the kernel: no Confirm widget, "plan only" unless apply=True.
HEADLESS_ENV = "ORGNB_HEADLESS"
# Set by `orgnb lab` for its kernels: the parameters file of the sandbox's scenario, used in place of the default below.
LAB_PARAMETERS_ENV = "ORGNB_LAB_PARAMETERS"
# Set by `orgnb lab` (and the test harness) for runs whose record folder is not given: where new records go.
REPORTS_ENV = "ORGNB_REPORTS_DIR"
# Where the phase notebooks are, when not the project's notebooks/ (an installed kit, a test's copy).
NOTEBOOKS_ENV = "ORGNB_NOTEBOOKS"
PROJECT = Path(__file__).resolve().parents[1]
# What every notebook's parameters cell names as `parameters_file` (relative to notebooks/; a test keeps them so).
DEFAULT_PARAMETERS = "../parameters/example.yaml"


@dataclass(frozen=True)
class Switches:
    """How this process was started: headless or live, the lab's parameters file, where records go."""

    headless: bool = False
    lab_parameters: str = ""
    reports_dir: Path | None = None
    notebooks: Path = PROJECT / "notebooks"  # where the phase notebooks are

    @classmethod
    def read(cls, environ: Mapping[str, str] | None = None) -> Switches:
        """The switches in `environ` (the process's environment by default)."""
        env = os.environ if environ is None else environ
        reports = env.get(REPORTS_ENV, "")
        return cls(
            headless=env.get(HEADLESS_ENV, "") not in ("", "0"),
            lab_parameters=env.get(LAB_PARAMETERS_ENV, ""),
            reports_dir=Path(reports) if reports else None,
            notebooks=Path(env[NOTEBOOKS_ENV]) if env.get(NOTEBOOKS_ENV) else PROJECT / "notebooks",
        )

    def parameters_file(self, named: str) -> str | None:
        """The file `orgnb lab` names for an interactive run left on the default parameters file; None otherwise.

        A file named in the notebook's parameters cell always wins, and headless runs get theirs from the runner.
        """
        return self.lab_parameters if self.lab_parameters and named == DEFAULT_PARAMETERS and not self.headless else None

    def reports(self) -> Path:
        """Where a run whose record folder is not given writes: the switch, else the nearest `reports/` folder at or
        above the working directory, else ./reports."""
        if self.reports_dir is not None:
            return self.reports_dir
        here = Path.cwd().resolve()
        for folder in (here, *here.parents):
            if (folder / "reports").is_dir():
                return folder / "reports"
        return here / "reports"
