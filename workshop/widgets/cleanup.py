"""``CleanupButton``: remove what a lab created, only once the learner says so.

Running the cell only shows the button (Run All never cleans up); a first click asks for
confirmation, "Yes" runs ``course.reset`` (the lab's namespace and every step's cleanup)
and lists what it removed. The terminal equivalent, ``workshop reset NN``, is shown beside it.
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

ERROR, OK = "#cf222e", "#1a7f37"


class CleanupButton(Widget):
    """``click()`` asks, ``confirm()`` removes (as "Yes"), ``cancel()`` does not;
    ``asking`` says whether the question is on screen, ``removed`` what the reset did."""

    def __init__(self, cluster: Cluster, lab: str | Lab, *, timeout: float = 180.0) -> None:
        self.cluster = cluster
        self.lab = course.place(cluster, course.find_lab(lab) if isinstance(lab, str) else lab)
        self.timeout = timeout
        self.removed: list[str] | None = None
        self.error: WorkshopError | None = None
        self.button = ipywidgets.Button(
            description=f"Clean up lab {self.lab.number}…", icon="trash", button_style="warning"
        )
        self.button.layout.width = "auto"
        self.button.on_click(lambda _: self._ask())
        if getattr(cluster, "seat", None) is not None:  # a class's namespace stays
            what = f"Empty namespace {self.lab.namespace} (your class's: it stays)"
        else:
            what = f"Remove namespace {self.lab.namespace}"
        self.question = ipywidgets.HTML(
            f"<b>{html.escape(what)} and everything the lab created?</b>"
        )
        self.yes = ipywidgets.Button(description="Yes", button_style="danger")
        self.no = ipywidgets.Button(description="Cancel")
        self.yes.on_click(lambda _: self._reset())
        self.no.on_click(lambda _: self._hide())
        self.confirmation = ipywidgets.HBox([self.question, self.yes, self.no])
        self.confirmation.layout.display = "none"
        self.report = ipywidgets.HTML()
        self.command = CommandLine(f"workshop reset {self.lab.number}", label="in a terminal")
        super().__init__(self.button, self.confirmation, self.report, self.command.widget)
        self.box.add_class("workshop-cleanup")

    @property
    def asking(self) -> bool:
        return bool(self.confirmation.layout.display != "none")

    def click(self) -> None:
        """What the "Clean up" button does: ask first."""
        self.button.click()

    def confirm(self) -> list[str] | None:
        """What "Yes" does: reset the lab; what it removed (``None`` if it failed)."""
        self.yes.click()
        return self.removed

    def cancel(self) -> None:
        self.no.click()

    def _ask(self) -> None:
        self.report.value = ""
        self.confirmation.layout.display = None

    def _hide(self) -> None:
        self.confirmation.layout.display = "none"

    def _reset(self) -> None:
        self._hide()
        self.button.disabled = True
        self.report.value = (
            f'<div class="ws-message ws-info">removing what lab {self.lab.number} created…</div>'
        )
        try:
            self.removed = course.reset(self.cluster, self.lab, timeout=self.timeout)
        except WorkshopError as e:
            self.error, self.removed = e, None
            self.report.value = (
                f'<div class="ws-message ws-error" style="color:{ERROR}">'
                f"{markdown.sentence(e.message, e.hint)}</div>"
            )
            return
        finally:
            self.button.disabled = False
        self.error = None
        lines = "".join(f"<li>{html.escape(line)}</li>" for line in self.removed)
        said = (
            f"Lab {self.lab.number} is cleaned up:<ul style='margin:2px 0'>{lines}</ul>"
            if self.removed
            else f"Lab {self.lab.number} had nothing left to remove."
        )
        self.report.value = f'<div class="ws-cleaned" style="color:{OK}">{said}</div>'
