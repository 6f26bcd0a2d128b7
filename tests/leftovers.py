"""Nothing left behind: a pytest plugin (hooks, no fixture) that fails what leaves a child
process or a non-daemon thread running.

A test, with its function-scoped fixtures, is checked at its teardown against what ran
before its setup (or after it, when its setup started a wider fixture: the sandbox of the
session lives on, on purpose). What the wider fixtures leave is checked at the session's
last teardown, when all of them are gone. Sockets need no plugin: an unclosed one is a
``ResourceWarning``, an error under ``filterwarnings = error``.

Cheap: ``threading.enumerate()`` and a look at ``/proc`` (Linux; elsewhere only threads).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

GRACE = "leftover_grace"
"""Seconds what is stopping by itself may take, once the test is torn down."""


@dataclass(frozen=True)
class Running:
    """The non-daemon threads and the child processes of this process, at one moment."""

    threads: frozenset[threading.Thread] = frozenset()
    children: dict[tuple[int, str], str] = field(default_factory=dict)  # (pid, start) -> cmd

    @classmethod
    def now(cls) -> Running:
        threads = frozenset(
            t
            for t in threading.enumerate()
            if not t.daemon and t is not threading.main_thread() and t.is_alive()
        )
        return cls(threads, _children())

    def since(self, before: Running) -> list[str]:
        """What runs now that did not run ``before``, in words."""
        threads = [f"thread {t.name!r} ({t.ident})" for t in self.threads - before.threads]
        children = [
            f"process {cmd}" for k, cmd in self.children.items() if k not in before.children
        ]
        return sorted(threads) + sorted(children)


def _children() -> dict[tuple[int, str], str]:
    """Child processes not yet ended (zombies are ended: their Popen warns if never waited)."""
    me, found = os.getpid(), {}
    try:
        entries = list(os.scandir("/proc"))
    except OSError:
        return {}
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            # the name in parentheses may hold spaces: the fields start after the last ")"
            state, ppid, *rest = stat[stat.rindex(")") + 2 :].split()
            if int(ppid) != me or state == "Z":
                continue
            command = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, ValueError):
            continue  # ended meanwhile
        words = command.decode(errors="replace").strip()[:200]
        found[(int(entry.name), rest[17])] = f"{entry.name}: {words}"  # rest[17]: start time
    return found


def left_after(before: Running, grace: float) -> list[str]:
    """What still runs that did not run ``before``, once ``grace`` seconds let it end."""
    deadline = time.monotonic() + grace
    while True:
        now = Running.now()
        left = now.since(before)
        if not left or time.monotonic() >= deadline:
            return left
        for thread in now.threads - before.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        time.sleep(0.05)


START = pytest.StashKey[Running]()
BASELINE = pytest.StashKey[Running]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(GRACE, "seconds a test's threads and processes may take to end", default="5")


def pytest_sessionstart(session: pytest.Session) -> None:
    session.stash[START] = Running.now()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> object:
    before = Running.now()
    info = getattr(item, "_fixtureinfo", None)  # a test function's fixtures
    wider = [
        definition
        for definitions in (info.name2fixturedefs.values() if info else ())
        for definition in definitions[-1:]
        if definition.scope != "function" and definition.cached_result is None
    ]
    try:
        return (yield)
    finally:
        started = any(d.cached_result is not None for d in wider)
        item.stash[BASELINE] = Running.now() if started else before


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    result = yield
    grace = float(item.config.getini(GRACE))
    baseline = item.stash.get(BASELINE, None)
    if baseline is not None and (left := left_after(baseline, grace)):
        pytest.fail(f"{item.nodeid} left running: {'; '.join(left)}", pytrace=False)
    if nextitem is None and (left := left_after(item.session.stash[START], grace)):
        pytest.fail(f"the session's fixtures left running: {'; '.join(left)}", pytrace=False)
    return result
