"""The interactive path in a real browser: `orgnb lab` (what `make lab` runs), JupyterLab, Chromium, a person's clicks.

One lab serves both tests: the brownfield sandbox after phases 02 and 03 (`--start-at account-creation`). What is
checked is what a person sees: rendered tables, the Confirm button's state, the output of the widgets.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from orgnb.input.parameters import load_parameters
from tests.browser.conftest import VIEWPORT, LabProcess
from tests.browser.lab_ui import code_cell, open_notebook, outputs, rows, run_from, run_menu, screenshot, wait_idle

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
BROWNFIELD = load_parameters(ROOT / "parameters" / "brownfield.yaml")
HEADLINE = re.compile(r"plan account-creation: (\d+) step\(s\), hash ([0-9a-f]{64})")
STATUSES = {"PASS", "WARN", "FAIL", "MANUAL"}
TALL: ViewportSize = {"width": 1400, "height": 1300}


def test_account_creation_confirmed_in_jupyterlab(page: Page, lab: LabProcess, artefacts: Path) -> None:
    notebook = open_notebook(page, lab.url, "04-account-creation.ipynb")
    run_menu(page, "Run All Cells")
    summary = code_cell(notebook, "run.summary()")
    # Run All went through every cell and stopped short of AWS: the plan waits for Confirm
    expect(outputs(summary)).to_contain_text("outcome: awaiting-confirmation")
    expect(outputs(code_cell(notebook, "run.verify("))).to_contain_text("not applied yet")

    plan_cell = code_cell(notebook, "run.plan()")
    headline = HEADLINE.search(outputs(plan_cell).text_content() or "")
    assert headline, f"no plan headline in {outputs(plan_cell).text_content()!r}"
    steps, plan_hash = int(headline.group(1)), headline.group(2)
    expect(rows(outputs(plan_cell))).to_have_count(steps)
    for account in BROWNFIELD.accounts:
        expect(rows(outputs(plan_cell)).filter(has_text="create-account:").filter(has_text=account.slug)).to_have_count(1)

    apply_cell = code_cell(notebook, "run.apply()")
    shown = apply_cell.locator(".widget-html code").text_content() or ""  # the hash as the widget shows it to the person
    assert shown == plan_hash, f"the Confirm widget shows {shown!r}, the plan cell printed {plan_hash!r}"
    box = apply_cell.locator(".widget-text input")
    button = apply_cell.locator("button", has_text="Confirm and apply")
    expect(button).to_be_disabled()
    box.scroll_into_view_if_needed()
    box.press_sequentially(shown[:7], delay=20)
    expect(button).to_be_disabled()
    box.press_sequentially(shown[7])
    expect(button).to_be_enabled()
    screenshot(page, plan_cell, artefacts / "04-account-creation-1-plan-and-hash.png")

    button.click()
    progress = apply_cell.locator(".widget-output")
    expect(progress.locator(".widget-hprogress")).to_be_visible()  # the accounts' progress bar
    expect(progress).to_contain_text(f"applied {steps} step(s) of plan {shown[:8]}")
    for account in BROWNFIELD.accounts:
        expect(progress).to_contain_text(re.compile(rf"{re.escape(account.name)}: created \d{{12}}"))
    expect(button).to_be_disabled()  # one click applies once
    page.set_viewport_size(TALL)  # the plan, the Confirm widget and the progress in one picture (the README's)
    screenshot(page, plan_cell, artefacts / "04-account-creation-2-applied.png")
    page.set_viewport_size(VIEWPORT)

    verify = code_cell(notebook, "run.verify(")
    run_from(page, verify)
    expect(outputs(summary)).to_contain_text("outcome: applied")
    wait_idle(page)
    expect(outputs(verify)).to_contain_text("verification: 0 step(s) still planned")
    inventory = rows(verify.locator(".widget-output"))  # the account browser's table
    for account in BROWNFIELD.accounts:
        expect(inventory.filter(has_text=account.name).filter(has_text="ACTIVE")).to_have_count(1)
    journal = rows(outputs(code_cell(notebook, "run.journal.frame()")))
    for account in BROWNFIELD.accounts:
        expect(journal.filter(has_text="create-account:").filter(has_text=account.slug).filter(has_text="done")).to_have_count(1)
    expect(outputs(summary)).to_contain_text(f"applied: {steps}")
    screenshot(page, verify, artefacts / "04-account-creation-3-inventory.png")


def test_audit_findings_and_filter_in_jupyterlab(page: Page, lab: LabProcess, artefacts: Path) -> None:
    notebook = open_notebook(page, lab.url, "01-preparation-audit.ipynb")
    run_menu(page, "Run All Cells")
    summary = code_cell(notebook, "run.summary()")
    expect(outputs(summary)).to_contain_text("outcome: audited")
    findings = rows(outputs(summary))
    expect(findings.first).to_be_visible()
    statuses = {cells[3] for cells in (row.locator("td").all_text_contents() for row in findings.all())}
    assert statuses and statuses <= STATUSES, f"finding statuses {statuses}"
    expect(outputs(code_cell(notebook, 'findings.frame("capacity")'))).to_contain_text("capacity.accounts")

    browser_cell = code_cell(notebook, "orgnb.account_browser(")
    table = rows(browser_cell.locator(".widget-output"))
    expect(table.first).to_be_visible()
    everyone = table.count()
    assert everyone >= 2, f"the account browser lists {everyone} account(s)"
    account_id = table.last.locator("td").nth(1).text_content() or ""  # a person picks an id from the table
    assert re.fullmatch(r"\d{12}", account_id), f"not an account id: {account_id!r}"
    box = browser_cell.locator(".widget-text input")
    box.scroll_into_view_if_needed()
    box.press_sequentially(account_id, delay=20)
    expect(table).to_have_count(1)
    expect(table.first).to_contain_text(account_id)
    screenshot(page, browser_cell, artefacts / "01-preparation-audit-filtered.png")
    box.fill("")
    expect(table).to_have_count(everyone)
