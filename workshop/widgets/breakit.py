"""``BreakIt``: put the cluster in a break-and-fix step's broken state, right when the cell
runs (so Run All and the notebook tests set up the exercise), say what it did, and offer to
break it again after a repair that went wrong.

The terminal equivalent, ``workshop break NN step-id``, is shown beside it. A failure is one
red sentence (what went wrong, what to do), never a traceback; with strict checks (the
notebook tests) it also raises, so CI sees it.
"""

from __future__ import annotations

import html

import ipywidgets

from workshop import course
from workshop.cluster import Cluster
from workshop.course import Lab
from workshop.errors import WorkshopError
from workshop.widgets import markdown
from workshop.widgets.base import CommandLine, Widget
from workshop.widgets.checkbutton import strict_default

ERROR = "#cf222e"


class BreakIt(Widget):
    """Break a ``mode: fix`` step now. ``again()`` does what "Break it again" does;
    ``done`` lists what the last break did, ``error`` is why it failed (or ``None``)."""

    def __init__(
        self,
        cluster: Cluster,
        lab: str | Lab,
        step: str | int,
        *,
        run: bool = True,
        strict: bool | None = None,
    ) -> None:
        self.cluster = cluster
        self.lab = course.place(cluster, course.find_lab(lab) if isinstance(lab, str) else lab)
        self.step = self.lab.step(step)
        self.strict = strict_default() if strict is None else strict
        self.done: list[str] = []
        self.error: WorkshopError | None = None
        self.breaks = 0  # how many times it broke the cluster
        self.title = ipywidgets.HTML(f"<b>Break and fix: {html.escape(self.step.title)}</b>")
        self.report = ipywidgets.HTML()
        self.button = ipywidgets.Button(description="Break it again", icon="bolt")
        self.button.on_click(lambda _: self.run())
        self.command = CommandLine(
            f"workshop break {self.lab.number} {self.step.id}", label="in a terminal"
        )
        super().__init__(self.title, self.report, self.button, self.command.widget)
        self.box.add_class("workshop-breakit")
        if run:
            self.run()
            if self.strict and self.error is not None:
                raise self.error

    def again(self) -> list[str]:
        """What the "Break it again" button does."""
        self.button.click()
        return self.done

    def run(self) -> list[str]:
        said: list[str] = []
        self.button.disabled = True
        try:
            course.break_step(self.cluster, self.lab, self.step.id, say=said.append)
        except WorkshopError as e:
            self.error = e
            self.done = said
            self.report.value = (
                f'<div class="ws-message ws-error" style="color:{ERROR}">'
                f"{markdown.sentence(e.message, e.hint)}</div>"
            )
            return said
        finally:
            self.button.disabled = False
        self.error = None
        self.done = said
        self.breaks += 1
        again = " (again)" if self.breaks > 1 else ""
        lines = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in said)
        self.report.value = (
            f'<div class="ws-broken">The cluster is broken{again}: this is what was done.'
            f'<ul style="margin:2px 0">{lines}</ul>'
            "Find what is wrong and repair it; the check below passes once it is fixed.</div>"
        )
        return said
