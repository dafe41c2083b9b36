"""Phase 07 in a real browser: `orgnb lab --start-at guardrails` (phases 01-06 applied first), its plan table, the
effective SCPs and the blast radius as a person sees them before confirming."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LabProcess
from tests.browser.lab_ui import code_cell, open_notebook, outputs, rows, run_menu, screenshot

pytestmark = pytest.mark.browser

START_AT = "guardrails"  # read by the lab fixture
HEADLINE = re.compile(r"plan guardrails: (\d+) step\(s\), hash ([0-9a-f]{64})")
BASELINE = ("orgnb-deny-leave", "orgnb-deny-root-user", "orgnb-protect-member-role")


def test_guardrails_plan_effective_scps_and_blast_radius_in_jupyterlab(page: Page, lab: LabProcess, artefacts: Path) -> None:
    notebook = open_notebook(page, lab.url, "07-guardrails.ipynb")
    run_menu(page, "Run All Cells")
    expect(outputs(code_cell(notebook, "run.summary()"))).to_contain_text("outcome: awaiting-confirmation")

    plan_cell = code_cell(notebook, "run.plan()")
    headline = HEADLINE.search(outputs(plan_cell).text_content() or "")
    assert headline, f"no plan headline in {outputs(plan_cell).text_content()!r}"
    expect(rows(outputs(plan_cell))).to_have_count(int(headline.group(1)))
    for policy in BASELINE:
        expect(rows(outputs(plan_cell)).filter(has_text=f"policy:{policy}")).to_have_count(1)
    expect(rows(outputs(plan_cell)).filter(has_text="attach:orgnb-deny-leave:Transition")).to_have_count(0)

    scps = rows(outputs(code_cell(notebook, "orgnb.effective_scps(")))
    expect(scps.filter(has_text="Legacy prod").filter(has_text="orgnb-deny-root-user")).to_have_count(1)
    blast = code_cell(notebook, "orgnb.blast_radius(")
    expect(rows(outputs(blast))).to_have_count(0)  # the baseline denies the kit nothing: an empty table
    expect(outputs(blast)).to_contain_text("status")
    screenshot(page, plan_cell, artefacts / "07-guardrails-plan.png")
