"""``PlanView``: a Terraform plan as a learner reads it, from ``tofu show -json``.

Each resource gets its action's symbol and colour (``+`` create in green, ``~`` update in
amber, ``-`` destroy in red, ``-/+`` replace), its changed attributes ``before -> after``,
and the attributes that force a replacement are flagged as ``tofu plan`` flags them.
Changes made outside Terraform (drift) come first; sensitive values are never shown.
"""

from __future__ import annotations

import html
import json
from typing import Any, ClassVar

import ipywidgets

from workshop.tools import terraform
from workshop.widgets.base import CommandLine, Widget

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "replace": "-/+", "read": "<="}
COLOURS = {
    "create": "#1a7f37",
    "update": "#9a6700",
    "delete": "#cf222e",
    "replace": "#8250df",
    "read": "#0969da",
}
VERBS = {
    "create": "will be created",
    "update": "will be updated in-place",
    "delete": "will be destroyed",
    "replace": "must be replaced",
    "read": "will be read during apply",
}


def value_text(value: Any, *, unknown: bool = False, sensitive: bool = False) -> str:
    """An attribute's value as ``tofu plan`` prints it."""
    if sensitive:
        return "(sensitive value)"
    if unknown:
        return "(known after apply)"
    if value is None:
        return "null"
    return json.dumps(value)


def change_lines(change: terraform.Change) -> list[str]:
    """One resource's part of the plan, as text."""
    symbol = SYMBOLS.get(change.action, "?")
    lines = [f"{symbol} {change.address} {VERBS.get(change.action, change.action)}"]
    for attribute in change.attributes:
        after = value_text(
            attribute.after, unknown=attribute.unknown, sensitive=attribute.sensitive
        )
        if change.action == "create":
            text = after
        elif change.action == "delete":
            text = value_text(attribute.before, sensitive=attribute.sensitive) + " -> null"
        else:
            before = value_text(attribute.before, sensitive=attribute.sensitive)
            text = f"{before} -> {after}"
        mark = "  # forces replacement" if attribute.forces_replacement else ""
        lines.append(f"    {attribute.name} = {text}{mark}")
    return lines


def plan_text(plan: terraform.Plan) -> str:
    """The whole plan as text: drift, then changes, then the summary line."""
    lines: list[str] = []
    for drift in plan.drift:
        lines.append(f"! {drift.address} has changed outside of Terraform")
        lines.extend(change_lines(drift)[1:])
    for change in plan.changes:
        if change.action != "no-op":
            lines.extend(change_lines(change))
    lines.append(plan.summary())
    return "\n".join(lines)


class PlanView(Widget):
    """A plan, coloured. ``plan`` holds the data; ``text`` is what is shown, as text."""

    STYLE: ClassVar[str] = (
        "font-family:var(--jp-code-font-family,monospace);font-size:12px;line-height:1.5"
    )

    def __init__(self, plan: terraform.Plan, *, folder: str = ".") -> None:
        self.plan = plan
        self.html = ipywidgets.HTML(self._render())
        self.command = CommandLine(f"cd {folder} && tofu plan", label="in a terminal")
        super().__init__(self.html, self.command.widget)
        self.box.add_class("workshop-planview")

    @property
    def text(self) -> str:
        return plan_text(self.plan)

    def _render(self) -> str:
        rows = []
        for drift in self.plan.drift:
            rows.append(
                _row(f"! {drift.address} has changed outside of Terraform", "#0969da", bold=True)
            )
            rows.extend(_row(line, "#0969da") for line in change_lines(drift)[1:])
        for change in self.plan.changes:
            if change.action == "no-op":
                continue
            colour = COLOURS.get(change.action, "#57606a")
            first, *rest = change_lines(change)
            rows.append(_row(first, colour, bold=True))
            for line, attribute in zip(rest, change.attributes, strict=True):
                rows.append(_row(line, "#cf222e" if attribute.forces_replacement else colour))
        counts = (
            f"<b style='color:{COLOURS['create']}'>{self.plan.adds} to add</b>, "
            f"<b style='color:{COLOURS['update']}'>{self.plan.updates} to change</b>, "
            f"<b style='color:{COLOURS['delete']}'>{self.plan.destroys} to destroy</b>"
        )
        summary = "No changes." if self.plan.empty else f"Plan: {counts}."
        body = "".join(rows)
        return f'<div style="{self.STYLE}">{body}<div style="margin-top:4px">{summary}</div></div>'


def _row(text: str, colour: str, *, bold: bool = False) -> str:
    weight = "font-weight:600;" if bold else ""
    return f'<div style="color:{colour};{weight}white-space:pre">{html.escape(text)}</div>'
