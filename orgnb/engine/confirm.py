"""The interactive Confirm widget: the operator types the plan hash's first 8 characters, then applies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from orgnb.engine.plan import Plan


def confirm_widget(plan: Plan, on_confirm: Callable[[], Any]) -> widgets.VBox:
    """A text box, a button enabled once the text matches `plan.short_hash`, and an output area."""
    held = sum(1 for s in plan.steps if s.needs_confirmation)
    unconfirmed = f" ({held} irreversible step(s) not confirmed in confirm_irreversible will not run)" if held else ""
    intro = widgets.HTML(
        f"<b>{len(plan.steps)} step(s)</b> will change AWS{unconfirmed}. To apply, type the first 8 characters of the plan hash "
        f"(<code>{plan.hash}</code>) and press Confirm."
    )
    # sized to their text: JupyterLab's default widths cut the placeholder and the button's label short
    text = widgets.Text(placeholder="first 8 characters of the plan hash", description="Plan hash", layout=widgets.Layout(width="32em"))
    button = widgets.Button(
        description="Confirm and apply", disabled=True, button_style="danger", icon="check", layout=widgets.Layout(width="fit-content")
    )
    output = widgets.Output()

    def on_text(change: dict[str, Any]) -> None:
        button.disabled = str(change["new"]).strip() != plan.short_hash

    def on_click(_: widgets.Button) -> None:
        button.disabled = text.disabled = True
        with output:
            on_confirm()

    text.observe(on_text, names="value")
    button.on_click(on_click)
    return widgets.VBox([intro, text, button, output])
