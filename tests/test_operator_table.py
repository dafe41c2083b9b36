"""The README's operator's table names every stop the kit knows by name (so it cannot fall behind the code)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orgnb.errors import ERRORS_BY_NAME
from orgnb.remedies import CREATE_ACCOUNT_REMEDIES, OPERATOR_REMEDIES, REFUSAL_REMEDIES
from tests.packagewalk import error_classes

README = Path(__file__).resolve().parents[1] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    found = re.search(r"^## When a run stops\n(.*?)^## ", text, re.S | re.M)
    assert found, "README has no '## When a run stops' section"
    return found.group(1)


def _named_in_table(name: str) -> bool:
    """True when `name` appears as a code span in a row of one of the section's tables."""
    return any(line.startswith("|") and f"`{name}`" in line for line in _section().splitlines())


def _error_classes() -> set[str]:
    """Every OrgnbError subclass the runbook side of the package defines, by name."""
    return {cls.__name__ for cls in error_classes()} | set(ERRORS_BY_NAME)


@pytest.mark.parametrize(
    "name",
    sorted(
        _error_classes()
        | set(CREATE_ACCOUNT_REMEDIES)
        | set(OPERATOR_REMEDIES)
        | {code for _, code in REFUSAL_REMEDIES}
        | {operation for operation, _ in REFUSAL_REMEDIES}
    ),
)
def test_every_known_stop_is_in_the_operators_table(name: str) -> None:
    assert _named_in_table(name), f"README's 'When a run stops' tables do not name `{name}`: add a row saying what it means and what to do"


def test_every_exit_code_has_its_table() -> None:
    section = _section()
    for code in (2, 3, 4, 1):
        assert f"**Exit {code}:" in section
