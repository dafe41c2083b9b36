"""Every OrgnbError subclass the runbook side of the package defines, found by importing each module of `orgnb`."""

from __future__ import annotations

import importlib
import pkgutil

import orgnb
from orgnb.errors import OrgnbError


def error_classes() -> set[type[OrgnbError]]:
    """Every OrgnbError subclass defined in `orgnb` outside `orgnb.sandbox` (the sandbox answers as AWS, not with these)."""
    for module in pkgutil.walk_packages(orgnb.__path__, "orgnb."):
        if not module.name.startswith("orgnb.sandbox") and not module.name.endswith(".__main__"):  # __main__ runs the CLI
            importlib.import_module(module.name)
    subclasses: set[type[OrgnbError]] = set()
    todo = [OrgnbError]
    while todo:
        for cls in todo.pop().__subclasses__():
            subclasses.add(cls)
            todo.append(cls)
    return {cls for cls in subclasses if cls.__module__.startswith("orgnb.") and not cls.__module__.startswith("orgnb.sandbox")}
