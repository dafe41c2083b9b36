"""Display helpers that read well both live in JupyterLab and in a saved record."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import pandas as pd
from IPython.display import display

from orgnb.aws.treewalk import Account, OrganizationalUnit


def configure_display() -> None:
    """Show whole cell texts in tables: a record must not cut a finding's detail in half."""
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", 500)


class OuTree:
    """An organization's OU tree with its accounts: text in a terminal or record, nested lists in HTML."""

    def __init__(self, title: str, ous: Sequence[OrganizationalUnit], accounts: Sequence[Account]) -> None:
        self.title = title
        self.ous = sorted(ous, key=lambda o: o.path)
        self.accounts = sorted(accounts, key=lambda a: a.name)

    def _children(self, path: str) -> tuple[list[OrganizationalUnit], list[Account]]:
        depth = path.count("/") + 1 if path else 0
        ous = [o for o in self.ous if o.path.rpartition("/")[0] == path and o.path.count("/") == depth]
        return ous, [a for a in self.accounts if a.ou_path == path]

    def lines(self, path: str = "", prefix: str = "") -> list[str]:
        """The tree below `path` as indented text lines."""
        ous, accounts = self._children(path)
        entries: list[tuple[str, str | None]] = [(f"{a.name} ({a.id})", None) for a in accounts] + [(f"{o.name}/", o.path) for o in ous]
        out = []
        for i, (label, child) in enumerate(entries):
            last = i == len(entries) - 1
            out.append(f"{prefix}{'└── ' if last else '├── '}{label}")
            if child is not None:
                out += self.lines(child, prefix + ("    " if last else "│   "))
        return out

    def __repr__(self) -> str:
        return "\n".join([self.title, *self.lines()])

    def _html(self, path: str) -> str:
        ous, accounts = self._children(path)
        items = [f"<li>{html.escape(a.name)} <code>{a.id}</code></li>" for a in accounts]
        items += [f"<li><b>{html.escape(o.name)}/</b>{self._html(o.path)}</li>" for o in ous]
        return f"<ul>{''.join(items)}</ul>" if items else ""

    def _repr_html_(self) -> str:
        return f"<div><b>{html.escape(self.title)}</b>{self._html('')}</div>"


def account_browser(frame: pd.DataFrame, headless: bool) -> Any:
    """A filterable account table in JupyterLab; the plain table in headless runs (records stay readable)."""
    if headless:
        return frame
    hint = "filter: any part of a name, id, email or path"
    text = widgets.Text(placeholder=hint, description="Filter", layout=widgets.Layout(width="32em"))  # the hint shown whole
    output = widgets.Output()

    def refresh(*_: Any) -> None:
        needle = text.value.strip().lower()
        mask = frame.apply(lambda row: needle in " ".join(map(str, row.values)).lower(), axis=1) if needle else slice(None)
        output.clear_output()
        with output:
            display(frame[mask] if needle else frame)

    text.observe(refresh, names="value")
    refresh()
    return widgets.VBox([text, output])
