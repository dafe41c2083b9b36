"""What a person does in JupyterLab, as Playwright steps: open a notebook, use the Run menu, find a cell."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

KERNEL_IDLE = re.compile(r"\|\s*Idle")


def open_notebook(page: Page, lab_url: str, name: str) -> Locator:
    """Open `name` in a workspace of its own (no tab of another test's), wait until its kernel is idle; its panel."""
    page.goto(f"{lab_url}/workspaces/{Path(name).stem}/tree/{name}")
    panel = page.locator(".jp-NotebookPanel:visible")
    expect(panel).to_have_count(1)
    expect(panel.locator(".jp-Cell").first).to_be_visible()
    wait_idle(page)
    return panel


def wait_idle(page: Page) -> None:
    """Wait until the status bar shows the kernel idle."""
    expect(page.locator("#jp-main-statusbar")).to_contain_text(KERNEL_IDLE)


def run_menu(page: Page, item: str) -> None:
    """Click Run in the menu bar, then `item`."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item:visible .lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def code_cell(notebook: Locator, source: str) -> Locator:
    """The one code cell of `notebook` whose source contains `source`."""
    cells = notebook.locator(".jp-CodeCell").filter(has=notebook.page.locator(".jp-InputArea-editor", has_text=source))
    expect(cells).to_have_count(1)
    return cells


def outputs(cell: Locator) -> Locator:
    """The cell's output area (not the output areas of widgets inside it)."""
    return cell.locator(".jp-Cell-outputArea")


def run_from(page: Page, cell: Locator) -> None:
    """Select `cell` by its prompt, then Run > Run Selected Cell and All Below."""
    cell.locator(".jp-InputPrompt").click()
    run_menu(page, "Run Selected Cell and All Below")


def rows(table_holder: Locator) -> Locator:
    """The body rows of the pandas tables inside `table_holder`."""
    return table_holder.locator("table.dataframe tbody tr")


def screenshot(page: Page, element: Locator, path: Path) -> Path:
    """Scroll `element` to the top of the notebook and save the page as it looks."""
    element.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(path))
    return path
