"""What an operator did, one record per reconcile: the event, the actions, the error.

Both forms of operator (the plain watch loop and kopf) write here, and ``ReconcileView``
shows it. Pure and thread-safe: writers are the operator's threads, readers the notebook.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_RECORDS = 500
MAX_TEXT = 300  # an API answer can be long; a line in a notebook should not be


def short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


@dataclass(frozen=True)
class Record:
    """One reconcile: why it ran (``event``), on what (``key``), what it did, or its error."""

    at: float
    event: str  # ADDED, MODIFIED, DELETED, RESYNC, a child's change, or a kopf cause
    key: str  # Kind namespace/name
    actions: tuple[str, ...] = ()
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def line(self) -> str:
        """The record as one line of text, as the view shows it."""
        stamp = time.strftime("%H:%M:%S", time.localtime(self.at))
        did = "; ".join(self.actions) if self.actions else "nothing to do"
        text = f"{stamp} {self.event} {self.key}: {did}"
        return f"{text} -- ERROR {self.error}" if self.error else text


@dataclass
class Journal:
    """The last ``MAX_RECORDS`` records, with a callback on each new one."""

    records_kept: int = MAX_RECORDS
    _records: deque[Record] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _listeners: list[Callable[[Record], None]] = field(default_factory=list, repr=False)
    _count: int = 0

    def add(self, record: Record) -> None:
        with self._lock:
            self._records.append(record)
            while len(self._records) > self.records_kept:
                self._records.popleft()
            self._count += 1
            listeners = list(self._listeners)
        for listener in listeners:
            listener(record)

    def note(
        self,
        event: str,
        key: str,
        actions: list[str] | tuple[str, ...] = (),
        *,
        error: str | None = None,
        seconds: float = 0.0,
    ) -> Record:
        record = Record(
            time.time(),
            event,
            key,
            tuple(short(a) for a in actions),
            short(error) if error else None,
            seconds,
        )
        self.add(record)
        return record

    def listen(self, listener: Callable[[Record], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unlisten(self, listener: Callable[[Record], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    @property
    def records(self) -> list[Record]:
        with self._lock:
            return list(self._records)

    @property
    def count(self) -> int:
        """Records written since the start (older ones may have been dropped)."""
        return self._count

    @property
    def errors(self) -> list[Record]:
        return [r for r in self.records if r.error]

    def actions(self) -> list[str]:
        """Every action of the kept records, oldest first."""
        return [a for r in self.records for a in r.actions]
