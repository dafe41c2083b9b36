"""How the commands print: `key: value` lines for scripts, and single lines as things happen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def print_lines(lines: Sequence[tuple[str, Any]]) -> None:
    """Print `key: value` lines, each at once (how every command ends, for scripts)."""
    for key, value in lines:
        print(f"{key}: {value}", flush=True)


def say(line: str) -> None:
    """Print one line at once (a phase ending, an operator's action), also when stdout is a pipe."""
    print(line, flush=True)
