"""A progress bar for every wait longer than a second.

``Waiting`` shows nothing for the first second (short waits stay quiet), then a bar that
fills with the work done, or with the time spent against the timeout when the work cannot
be counted. ``wait_until`` is the loop most notebook waits need.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import ipywidgets

from workshop.widgets.errors import WaitTimeout

T = TypeVar("T")
SHOW_AFTER = 1.0


def _display(widget: Any) -> None:
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is not None:  # only in a notebook or IPython; silent in a terminal
        display(widget)  # type: ignore[no-untyped-call]


class Waiting:
    """A labelled bar for one wait; use as a context manager and call ``update``."""

    def __init__(
        self,
        label: str,
        *,
        timeout: float | None = None,
        total: float | None = None,
        after: float = SHOW_AFTER,
        show: Callable[[Any], None] | None = None,
    ) -> None:
        self.label = label
        self.timeout = timeout
        self.total = total
        self.after = after
        self.shown = False
        self.bar = ipywidgets.FloatProgress(value=0.0, min=0.0, max=1.0, bar_style="info")
        self.text = ipywidgets.HTML()
        self.widget = ipywidgets.HBox([self.bar, self.text])
        self._show = show or _display
        self._started = time.monotonic()
        self._last_text = ""
        self.closed = False

    def __enter__(self) -> Waiting:
        self._started = time.monotonic()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.shown and not self.closed:
            self.finish(ok=kind is None)

    def close(self) -> None:
        """Take the bar away (its caller shows the outcome elsewhere, once)."""
        self.closed = True
        self.widget.layout.display = "none"

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._started

    @property
    def fraction(self) -> float:
        return float(self.bar.value)

    def update(self, done: float | None = None, *, text: str | None = None) -> None:
        """Move the bar: ``done`` out of ``total``, else time spent out of ``timeout``."""
        if done is not None and self.total:
            fraction = done / self.total
        elif self.timeout:
            fraction = self.elapsed / self.timeout
        else:
            fraction = 0.0
        self.bar.value = max(0.0, min(1.0, fraction))
        if text is not None:
            self._last_text = text
        self.text.value = self._caption()
        if not self.shown and self.elapsed >= self.after:
            self.shown = True
            self._show(self.widget)

    def finish(self, *, ok: bool, text: str | None = None) -> None:
        self.bar.value = 1.0 if ok else self.bar.value
        self.bar.bar_style = "success" if ok else "danger"
        if text is not None:
            self._last_text = text
        self.text.value = self._caption(done=True)

    def _caption(self, *, done: bool = False) -> str:
        import html

        seconds = f"{self.elapsed:.0f}s"
        tail = f": {self._last_text}" if self._last_text else ""
        verb = "done" if done and self.bar.bar_style == "success" else self.label
        return (
            '<span style="font-size:12px;margin-left:6px">'
            f"{html.escape(verb)} ({seconds}){html.escape(tail)}</span>"
        )


def wait_until(
    condition: Callable[[], T | None],
    *,
    timeout: float = 60.0,
    what: str = "it",
    interval: float = 0.5,
    describe: Callable[[], str] | None = None,
    show: Callable[[Any], None] | None = None,
) -> T:
    """Call ``condition`` until it returns something truthy, and return that.

    ``describe`` says where things stand (shown beside the bar, and in the timeout error).
    Raises ``WaitTimeout`` after ``timeout`` seconds.
    """
    with Waiting(f"waiting for {what}", timeout=timeout, show=show) as bar:
        while True:
            value = condition()
            if value:
                return value
            state = describe() if describe else None
            if bar.elapsed > timeout:
                raise WaitTimeout(
                    f"waited {timeout:.0f}s for {what}" + (f"; now: {state}" if state else ""),
                    hint="run the cell again to wait longer, or look with kubectl "
                    "(`kubectl get events --sort-by=.lastTimestamp` often tells why)",
                )
            bar.update(text=state)
            time.sleep(interval)
