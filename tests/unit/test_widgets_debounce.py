"""A burst of changes becomes one re-render; a steady stream still shows progress."""

from __future__ import annotations

import threading
import time

from workshop.widgets.debounce import Debouncer


def test_a_burst_runs_the_action_once() -> None:
    done = threading.Event()
    calls: list[float] = []

    def action() -> None:
        calls.append(time.monotonic())
        done.set()

    debouncer = Debouncer(action, delay=0.05, max_delay=5.0)
    for _ in range(200):
        debouncer.trigger()
    assert done.wait(5)
    time.sleep(0.2)
    assert len(calls) == 1
    debouncer.close()


def test_a_steady_stream_runs_at_least_every_max_delay() -> None:
    runs = []
    debouncer = Debouncer(lambda: runs.append(1), delay=0.2, max_delay=0.3)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # a trigger every 50 ms never lets it calm down
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
    time.sleep(0.1)
    assert runs == [1]
