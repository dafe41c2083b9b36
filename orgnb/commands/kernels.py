"""Kernels for headless runs: started ahead of their run, over private IPC sockets, with orgnb already imported.

A phase notebook's first cell imports orgnb (and through it pandas, boto3, ipywidgets): with the kernel's own start,
about a second of every run before any work. A rehearsal knows its next phase, so `KernelQueue` starts the next
kernel while the current phase runs, and the run attaches to it (papermill passes `km` through to nbclient's
NotebookClient, which then uses the running kernel and leaves its shutdown to its owner, here `StartedKernel.close`).
The import runs as the kernel boots (IPKernelApp's `exec_lines`), outside the notebook's history: the record's cells
and their execution counts are the same as with a kernel started by papermill.

Why IPC: ipykernel 7 logs "Kernel is running over TCP without encryption" whenever a kernel binds TCP sockets
without CurveZMQ keys (IPKernelApp.init_sockets), so once per notebook, eight times a rehearsal. Over IPC
(jupyter_client's ConnectionFileMixin.transport = "ipc") it has no reason to, and no port on loopback is open to
other local users. The socket path is set outright: for IPC jupyter_client's default `ip` is "kernel-ipc" in the
working directory (ConnectionFileMixin._ip_default), which two kernels from one folder would share.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from jupyter_core.utils import run_sync

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager

LOG = logging.getLogger(__name__)
KERNEL_NAME = "python3"
PRELOAD = "import orgnb"  # what every phase notebook's first cell imports
_SOCKET_PATH_MAX = 107  # bytes in a Unix socket's path on Linux (sun_path); macOS allows 103


def _transport(folder: Path) -> dict[str, str]:
    """The KernelManager settings for IPC sockets in `folder` (none on Windows, which has no IPC, or where the socket
    path would be too long: TCP on loopback then)."""
    sockets = folder / "kernel"  # jupyter_client adds `-<n>` per channel
    if sys.platform == "win32" or len(os.fsencode(sockets)) + len("-65535") > _SOCKET_PATH_MAX:
        return {}
    return {"transport": "ipc", "ip": str(sockets)}


@cache
def _manager_class() -> type[AsyncKernelManager]:
    """jupyter_client's AsyncKernelManager, keeping the clients it hands out: nbclient leaves a client of a kernel it
    was given running (its heartbeat thread and sockets), so closing the kernel stops them too. Async, as nbclient's
    own: with a blocking client its wait for a reply would block the loop that notices a dead kernel."""
    from jupyter_client.manager import AsyncKernelManager

    class TrackingKernelManager(AsyncKernelManager):
        def client(self, **kwargs: Any) -> Any:
            made = super().client(**kwargs)
            self.__dict__.setdefault("orgnb_clients", []).append(made)
            return made

    return TrackingKernelManager


@dataclass
class StartedKernel:
    """A kernel process started for one run in `cwd`, and the private folder holding its sockets."""

    manager: AsyncKernelManager
    folder: Path
    cwd: Path

    def close(self) -> None:
        """Stop the clients made for it, shut the kernel down (if it still runs) and remove its sockets' folder; a
        failure to do so is logged, never raised (the run's record matters more)."""
        try:
            for made in self.manager.__dict__.pop("orgnb_clients", []):
                made.stop_channels()
            if self.manager.has_kernel:  # its run is over: every cell has finished and written its record
                run_sync(self.manager.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - see the docstring
            LOG.warning("could not shut the kernel in %s down cleanly", self.folder, exc_info=True)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_kernel(cwd: Path, env: Mapping[str, str]) -> StartedKernel:
    """Start a python3 kernel in `cwd` with environment `env` that imports orgnb as it boots; returns at once (the
    kernel boots in its own process: a run that attaches waits for it to be ready)."""
    folder = Path(tempfile.mkdtemp(prefix="orgnb-kernel-"))
    try:
        manager = _manager_class()(kernel_name=KERNEL_NAME, **_transport(folder))
        preload = [f"--IPKernelApp.exec_lines={PRELOAD}"]
        run_sync(manager.start_kernel)(cwd=str(cwd), env=dict(env), extra_arguments=preload)  # the loop nbclient runs on later
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return StartedKernel(manager, folder, cwd)


@dataclass
class KernelQueue:
    """Kernels for runs made one after the other: `take` hands over the kernel started for this run and starts the
    next one, which boots while this run executes; closing shuts the spare down."""

    cwd: Path
    env: Mapping[str, str]
    _next: StartedKernel | None = field(default=None, init=False)

    def take(self) -> StartedKernel:
        """The kernel for the run about to start (started now if none is waiting); the next run's starts booting."""
        current = self._next or start_kernel(self.cwd, self.env)
        self._next = start_kernel(self.cwd, self.env)
        return current

    def close(self) -> None:
        """Shut the spare kernel down."""
        if self._next is not None:
            self._next.close()
            self._next = None

    def __enter__(self) -> KernelQueue:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()


def kernel_env(headless: Mapping[str, str]) -> dict[str, str]:
    """The environment a run's kernel gets: this process's, with `headless`'s switches added."""
    return {**os.environ, **headless}
