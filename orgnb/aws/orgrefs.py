"""Find where a policy document names an Organization (by id, in org condition keys or anywhere else)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any


def load_policy(document: str | dict[str, Any]) -> dict[str, Any]:
    """A policy document as a dict, whether AWS returned it parsed or as JSON text."""
    return document if isinstance(document, dict) else json.loads(document)


def org_references(document: str | dict[str, Any], org_ids: Collection[str]) -> list[str]:
    """Paths inside `document` whose value names one of `org_ids`, e.g. `Statement[0].Condition.StringEquals.aws:PrincipalOrgID`."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")
        elif isinstance(node, str) and any(org_id in node for org_id in org_ids):
            found.append(path)

    walk(load_policy(document), "")
    return found
