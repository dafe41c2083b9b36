"""orgnb.errors's docstring draws the exception tree: every OrgnbError subclass, under its base, with its exit code."""

from __future__ import annotations

import re

import orgnb.errors
from orgnb.errors import OrgnbError
from tests.packagewalk import error_classes

_NODE = re.compile(r"^(?P<indent>[│ ]*)[├└]── (?P<name>\w+)\s*(?:exit (?P<code>\d))?")


def _drawn_tree() -> dict[str, tuple[str, int | None]]:
    """Each class the docstring draws: its parent in the drawing, and the exit code its line states (if any)."""
    doc = orgnb.errors.__doc__ or ""
    drawn: dict[str, tuple[str, int | None]] = {}
    parents = [OrgnbError.__name__]
    for line in doc.splitlines():
        node = _NODE.match(line)
        if node:
            depth = len(node["indent"]) // 4
            del parents[depth + 1 :]
            drawn[node["name"]] = (parents[depth], int(node["code"]) if node["code"] else None)
            parents.append(node["name"])
    return drawn


def test_the_docstring_draws_every_error_class_under_its_base() -> None:
    drawn = _drawn_tree()
    defined = {cls.__name__: cls.__bases__[0].__name__ for cls in error_classes()}
    assert {name: parent for name, (parent, _) in drawn.items()} == defined


def test_the_exit_codes_drawn_are_the_classes_exit_codes() -> None:
    codes = {cls.__name__: int(cls.exit_code) for cls in error_classes()}
    stated = {name: code for name, (_, code) in _drawn_tree().items() if code is not None}
    assert stated and stated == {name: codes[name] for name in stated}
