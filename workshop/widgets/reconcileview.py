"""``ReconcileView``: run an operator in the background, and see what it does.

Start and Stop buttons drive any operator of ``workshop.operators`` (the plain watch loop,
or kopf in a thread); the view lists each reconcile as it happens: why it ran (the event),
on what, the actions it took, and errors in red. Re-running the cell stops the previous
view's operator, so two never fight over the same objects.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Protocol

import ipywidgets

from workshop.errors import WorkshopError
from workshop.operators import Journal, Record
from workshop.widgets import commands
from workshop.widgets.base import CommandLine, Message, Widget
from workshop.widgets.debounce import Debouncer
from workshop.widgets.errors import WaitTimeout

CELL = ' style="vertical-align:top;padding:2px 8px;border-top:1px solid #eaeef2"'


class Runnable(Protocol):
    """What the view needs of an operator: ``workshop.operators.Operator`` and
    ``KopfOperator`` are two."""

    name: str
    namespace: str
    journal: Journal

    def start(self) -> object: ...

    def stop(self) -> None: ...

    @property
    def running(self) -> bool: ...


class ReconcileView(Widget):
    """Start/stop ``operator``; ``records`` are its reconciles, newest last."""

    def __init__(
        self,
        operator: Runnable,
        *,
        title: str | None = None,
        shown: int = 30,
        start: bool = False,
        command: str | None = None,
    ) -> None:
        self.operator = operator
        self.shown = shown
        self.start_button = ipywidgets.Button(
            description="Start", icon="play", button_style="success"
        )
        self.stop_button = ipywidgets.Button(
            description="Stop", icon="stop", button_style="warning"
        )
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.title = ipywidgets.HTML(
            f"<b>{html.escape(title or operator.name)}</b> in namespace "
            f"<code>{html.escape(operator.namespace)}</code>"
        )
        self.status = ipywidgets.HTML()
        self.table = ipywidgets.HTML()
        self.message = Message()
        self.command = CommandLine(
            command or commands.kubectl("get", "events", "--watch", namespace=operator.namespace),
            label="what it does, in a terminal",
        )
        super().__init__(
            ipywidgets.HBox([self.start_button, self.stop_button, self.title, self.status]),
            self.message.widget,
            self.table,
            self.command.widget,
        )
        self.box.add_class("workshop-reconcileview")
        self._debouncer = Debouncer(self._render, delay=0.1)
        self._listener: Callable[[Record], None] = lambda _: self._debouncer.trigger()
        operator.journal.listen(self._listener)
        self._claim(operator.name, operator.namespace)
        self._render()
        if start:
            self.start()

    @property
    def records(self) -> list[Record]:
        return self.operator.journal.records

    @property
    def lines(self) -> list[str]:
        return [r.line() for r in self.records]

    @property
    def errors(self) -> list[Record]:
        return self.operator.journal.errors

    @property
    def running(self) -> bool:
        return self.operator.running

    def start(self) -> ReconcileView:
        """Start the operator in the background (what the Start button does)."""
        if not self.operator.running:
            try:
                self.operator.start()
            except WorkshopError as e:  # shown in the notebook, not raised into it
                self.message.show(f"could not start: {e}", kind="error")
                self._render()
                return self
            self.message.show("running: it reconciles every change, below", kind="ok")
        self._render()
        return self

    def stop(self) -> None:
        """Stop the operator (the Stop button): nothing reconciles until it starts again."""
        if self.operator.running:
            self.operator.stop()
            self.message.show("stopped: changes pile up until it starts again", kind="info")
        self._debouncer.flush()
        self._render()

    def close(self) -> None:
        self.stop()
        self.operator.journal.unlisten(self._listener)
        self._debouncer.close()
        self.box.close()

    def wait_for(
        self, test: Callable[[Record], bool] | str, *, timeout: float = 60.0, since: int = 0
    ) -> Record:
        """Block until a record (from the ``since``-th on) passes ``test``, or mentions a text."""
        check = test if callable(test) else (lambda r, text=test: text in r.line())
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.records[since:] if check(r)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                last = self.lines[-1] if self.records else "nothing yet"
                raise WaitTimeout(
                    f"the operator did not do that within {timeout:.0f}s (last: {last})",
                    hint="is it running? Its errors show in red in the view",
                )
            time.sleep(0.2)

    def _render(self) -> None:
        running = self.operator.running
        self.start_button.disabled = running
        self.stop_button.disabled = not running
        colour, word = ("#1a7f37", "running") if running else ("#57606a", "stopped")
        self.status.value = f'<span style="color:{colour};font-size:12px">● {word}</span>'
        rows = []
        for record in self.records[-self.shown :]:
            stamp = time.strftime("%H:%M:%S", time.localtime(record.at))
            did = "<br>".join(html.escape(a) for a in record.actions) or (
                "" if record.error else '<span style="color:#57606a">nothing to do</span>'
            )
            if record.error:
                error = html.escape(record.error)
                did += ("<br>" if did else "") + (
                    f'<span class="ws-error" style="color:#cf222e">{error}</span>'
                )
            cells = (
                stamp,
                f"<code>{html.escape(record.event)}</code>",
                html.escape(record.key),
                did,
            )
            rows.append("<tr>" + "".join(f"<td{CELL}>{c}</td>" for c in cells) + "</tr>")
        titles = ("time", "event", "object", "what reconcile did")
        head = "<tr>" + "".join(f"<th{CELL}>{t}</th>" for t in titles) + "</tr>"
        body = "".join(rows) or f'<tr><td colspan="4"{CELL}>(no events yet)</td></tr>'
        self.table.value = (
            '<div style="max-height:320px;overflow:auto"><table class="ws-reconciles" '
            'style="font-size:12px;border-collapse:collapse;text-align:left">'
            f"{head}{body}</table></div>"
        )
