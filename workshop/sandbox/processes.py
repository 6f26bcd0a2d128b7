"""The sandbox's processes as the kernel sees them: alive, memory, and leftovers.

A supervisor killed with SIGKILL (or a machine that crashed) leaves a stale pid file and
may leave components still shutting down: their ports and etcd's data folder stay busy
for a while. Before a new start, ``leftovers`` finds every process that belongs to one
sandbox by its command line (each component names a file under the sandbox's folder) and
``end`` makes sure they are gone, so the new start never races an old one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from workshop.sandbox import jail
from workshop.sandbox.layout import COMPONENTS, Layout

# The workshop's own Python daemons, which name the home rather than a file under it.
_DAEMONS = ("workshop.sandbox.supervisor", "workshop.sandbox.addons")
# The components' binaries (cached as e.g. ``etcd-v3.7.3``); a learner's ``tail -f`` of a
# log under the sandbox's folder is not one of them.
_BINARIES = tuple(c for c in COMPONENTS if c != "addons")


def alive(pid: int, marker: str) -> bool:
    """Whether ``pid`` runs and its command line contains ``marker`` (no pid reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return marker.encode() in cmdline and not _zombie(pid)


def _zombie(pid: int) -> bool:
    return not _running(Path(f"/proc/{pid}/stat"))


def rss(pid: int) -> int | None:
    """Resident memory of ``pid`` in bytes, with the process it runs if it is a jail
    (bubblewrap holds kwok as its child); None once it is gone."""
    own = _rss(pid)
    if own is None:
        return None
    return own + sum(_rss(child) or 0 for child in _jailed(pid))


def _jailed(pid: int) -> list[int]:
    """The processes a bwrap ``pid`` runs (its descendants), or none."""
    try:
        if jail.unwrap(_argv(pid)) == _argv(pid):
            return []
    except OSError:
        return []
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # the field after the command (in parentheses, which may hold spaces)
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        todo += children
    return found


def jailed_by(pid: int) -> list[int]:
    """The processes a bwrap ``pid`` runs (kwok, and what ``kubectl exec`` started), or
    none when ``pid`` is no jail."""
    return _jailed(pid)


def owner(pid: int) -> int | None:
    """The real user id of ``pid`` (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _argv(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def _rss(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def belongs(argv: list[str], layout: Layout) -> bool:
    """Whether a command line is one of this sandbox's processes (pure)."""
    argv = jail.unwrap(argv)  # kwok in its jail: the command bwrap runs
    if any(d in argv for d in _DAEMONS):
        return str(layout.home) in argv
    # the binary, or a script run by an interpreter (``sh kube-apiserver ...``)
    program = any(_component(Path(a).name) for a in argv[:2])
    inside = f"{layout.root}{os.sep}"
    return program and any(inside in arg for arg in argv)


def _component(name: str) -> bool:
    return any(name == b or name.startswith(f"{b}-v") for b in _BINARIES)


def leftovers(layout: Layout, *, keep: set[int] | None = None) -> list[int]:
    """Pids of live processes of this sandbox, except ``keep`` and this process."""
    skip = {os.getpid(), *(keep or ())}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in skip:
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        argv = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
        if argv and belongs(argv, layout) and not _zombie(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def end(pids: list[int], *, grace: float = 5.0) -> list[int]:
    """SIGTERM ``pids``, SIGKILL those still there after ``grace``; wait until all are gone.

    Returns the pids that had to be killed. Raises TimeoutError if one outlives SIGKILL
    (a process stuck in the kernel, e.g. on a dead disk).
    """
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    remaining = _wait_gone(pids, time.monotonic() + grace)
    for pid in remaining:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    stuck = _wait_gone(remaining, time.monotonic() + 10.0)
    if stuck:
        raise TimeoutError(f"processes {stuck} did not exit after SIGKILL")
    return remaining


def _wait_gone(pids: list[int], deadline: float) -> list[int]:
    while True:
        left = [pid for pid in pids if _exists(pid)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


def _exists(pid: int) -> bool:
    """Whether any thread of ``pid`` still runs. The leader of a killed Go process is a
    zombie while its other threads exit, and they hold its files (its listening ports)
    until the last one is gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return False
    return any(_running(task / "stat") for task in tasks)


def _running(stat: Path) -> bool:
    try:
        text = stat.read_text()
    except OSError:
        return False
    return text.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
