"""A burst of changes becomes one re-render; a steady stream still shows progress."""

from __future__ import annotations

import threading
import time

from workshop.widgets.debounce import Debouncer


def test_a_burst_runs_the_action_once() -> None:
    runs = []
    debouncer = Debouncer(lambda: runs.append(1), delay=30.0, max_delay=60.0)
    for _ in range(200):
        debouncer.trigger()
    assert runs == []  # still waiting for calm
    debouncer.flush()
    debouncer.flush()  # nothing is pending any more: the burst was one run
    assert runs == [1]
    debouncer.close()


def test_a_trigger_runs_the_action_once_things_calm_down() -> None:
    done = threading.Event()
    runs = []

    def action() -> None:
        runs.append(1)
        done.set()

    debouncer = Debouncer(action, delay=0.05, max_delay=5.0)
    debouncer.trigger()
    assert done.wait(10)
    debouncer.flush()  # it ran by itself: nothing left to run
    assert runs == [1]
    debouncer.close()


def test_a_steady_stream_runs_at_least_every_max_delay() -> None:
    runs = []
    # never calm for 30 s: only max_delay can make it run
    debouncer = Debouncer(lambda: runs.append(1), delay=30.0, max_delay=0.3)
    deadline = time.monotonic() + 30
    while len(runs) < 2 and time.monotonic() < deadline:
        debouncer.trigger()
        time.sleep(0.05)
    debouncer.close()
    assert len(runs) >= 2


def test_flush_runs_now_and_close_drops_what_is_pending() -> None:
    runs = []
    debouncer = Debouncer(lambda: runs.append(1), delay=30.0)
    debouncer.flush()
    assert runs == []  # nothing pending, nothing run
    debouncer.trigger()
    debouncer.flush()
    assert runs == [1]
    debouncer.trigger()
    debouncer.close()
    debouncer.trigger()
    debouncer.flush()  # a trigger after close asks for nothing
    assert runs == [1]
