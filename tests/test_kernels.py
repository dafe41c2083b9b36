"""Kernels started ahead of their run: orgnb is imported as they boot, the run's record is unchanged, none is left."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import nbformat
import pytest

from orgnb.commands.kernels import KernelQueue, kernel_env, start_kernel
from orgnb.commands.runner import HEADLESS_SWITCHES, execute_record, run_phase
from orgnb.errors import ExitCode, ParameterError
from orgnb.evidence import records

PROBE = "import os, sys\nprint('preloaded' if 'orgnb' in sys.modules else 'cold', os.environ.get('ORGNB_HEADLESS'), os.getpid())"


def probe_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("record_dir = ''")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(PROBE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def printed(folder: Path) -> list[str]:
    nb = nbformat.read(folder / records.NOTEBOOK, as_version=4)
    probe = nb.cells[-1]
    # parameters, papermill's injected parameters, the probe: the preload is outside the notebook's history
    assert probe.execution_count == 3
    return "".join(o.get("text", "") for o in probe.outputs).split()


def test_each_run_gets_a_kernel_booted_during_the_run_before_with_orgnb_imported(tmp_path: Path) -> None:
    notebook = probe_notebook(tmp_path / "probe.ipynb")
    pids = []
    with KernelQueue(tmp_path, kernel_env(HEADLESS_SWITCHES)) as kernels:
        for i in range(2):
            folder = tmp_path / "reports" / f"20261130T00000{i}Z-probe"
            folder.mkdir(parents=True)
            kernel = kernels.take()
            result = execute_record("probe", notebook, folder, {"record_dir": str(folder)}, None, kernel=kernel)
            assert result.exit_code == ExitCode.OK, result.error
            assert not kernel.manager.has_kernel and not kernel.folder.exists(), "the run closed its kernel"
            state, headless, pid = printed(folder)
            assert (state, headless) == ("preloaded", "1")
            pids.append(int(pid))
        spare = kernels._next  # noqa: SLF001 - the kernel the next run would have had
        assert spare is not None and spare.manager.has_kernel
    assert not spare.manager.has_kernel and not spare.folder.exists(), "closing the queue shuts the spare down"
    assert len(set(pids)) == 2 and os.getpid() not in pids


def test_a_run_without_a_kernel_starts_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "reports" / "20261130T000000Z-probe"
    folder.mkdir(parents=True)
    result = execute_record("probe", probe_notebook(tmp_path / "probe.ipynb"), folder, {"record_dir": str(folder)}, None)
    assert result.exit_code == ExitCode.OK, result.error
    assert printed(folder)[:2] == ["preloaded", "1"]


def test_runs_leave_no_thread_descriptor_or_process_behind(tmp_path: Path) -> None:
    """nbclient keeps a client of a kernel it did not start (heartbeat thread, sockets): closing stops it too."""
    notebook = probe_notebook(tmp_path / "probe.ipynb")

    def footprint() -> tuple[int, int]:
        return threading.active_count(), len(os.listdir("/proc/self/fd"))

    def run(i: int) -> None:
        folder = tmp_path / "reports" / f"20261130T00001{i}Z-probe"
        folder.mkdir(parents=True)
        assert execute_record("probe", notebook, folder, {"record_dir": str(folder)}, None).exit_code == ExitCode.OK

    run(0)  # the first run loads what stays loaded (zmq's context, jupyter_client's modules)
    before = footprint()
    for i in range(1, 4):
        run(i)
    assert footprint() == before


def test_a_kernel_handed_to_a_run_refused_before_it_starts_is_closed(tmp_path: Path) -> None:
    kernel = start_kernel(tmp_path, kernel_env(HEADLESS_SWITCHES))
    with pytest.raises(ParameterError):
        run_phase("organization-init", tmp_path / "missing.yaml", kernel=kernel)
    assert not kernel.manager.has_kernel and not kernel.folder.exists()
