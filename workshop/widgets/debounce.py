"""Coalescing bursts of changes into one re-render: a watch can deliver hundreds of events
when a Deployment scales, and the page needs one update, not hundreds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Debouncer:
    """Run ``action`` once things calm down: ``delay`` after the last ``trigger``, and at most
    ``max_delay`` after the first unhandled one (so a steady stream still shows progress)."""

    def __init__(
        self, action: Callable[[], None], *, delay: float = 0.15, max_delay: float = 1.0
    ) -> None:
        self.action = action
        self.delay = delay
        self.max_delay = max_delay
        self.runs = 0  # how many times the action ran (tests and curious learners)
        self._cond = threading.Condition()
        self._first: float | None = None
        self._last = 0.0
        self._closed = False
        self._thread: threading.Thread | None = None

    def trigger(self) -> None:
        """Ask for the action; it runs later, once, for every trigger until then."""
        with self._cond:
            if self._closed:
                return
            now = time.monotonic()
            self._last = now
            if self._first is None:
                self._first = now
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="workshop-debounce", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def flush(self) -> None:
        """Run the action now if a trigger is pending."""
        with self._cond:
            pending = self._first is not None
            self._first = None
        if pending:
            self._run()

    def close(self) -> None:
        """Drop what is pending and stop the background thread."""
        with self._cond:
            self._closed = True
            self._first = None
            self._cond.notify()

    def _due(self) -> float | None:
        if self._first is None:
            return None
        return min(self._last + self.delay, self._first + self.max_delay)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    due = self._due()
                    if due is None:
                        self._cond.wait()
                        continue
                    remaining = due - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                if self._closed:
                    return
                self._first = None
            self._run()

    def _run(self) -> None:
        self.runs += 1
        self.action()
