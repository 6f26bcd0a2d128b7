"""The suite's own check that no test leaves a process or a thread running (tests/leftovers.py)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from tests.leftovers import Running, left_after

pytest_plugins = ["pytester"]


def test_a_thread_still_running_is_seen_until_it_ends() -> None:
    before = Running.now()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="waiting")
    thread.start()
    try:
        assert [f"thread 'waiting' ({thread.ident})"] == Running.now().since(before)
    finally:
        stop.set()
        thread.join()
    assert Running.now().since(before) == []


def test_a_child_process_is_seen_until_it_ends() -> None:
    before = Running.now()
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as child:
        try:
            (seen,) = Running.now().since(before)
            assert seen.startswith(f"process {child.pid}: ") and "time.sleep(60)" in seen
        finally:
            child.kill()
    assert Running.now().since(before) == []  # ended and waited for


def test_what_ends_within_the_grace_is_not_left_behind() -> None:
    before = Running.now()
    stop = threading.Event()
    threading.Thread(target=stop.wait, name="ending").start()
    threading.Timer(0.2, stop.set).start()
    assert left_after(before, 10) == []


def test_a_test_that_leaves_a_thread_fails_and_one_that_joins_it_passes(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import threading

        import pytest

        stop = threading.Event()

        @pytest.fixture(scope="module")
        def wide():
            thread = threading.Thread(target=stop.wait, name="module-wide")
            thread.start()
            yield
            stop.set()
            thread.join()

        def test_uses_a_wider_fixture(wide):
            pass

        def test_leaves_a_thread(wide):
            threading.Thread(target=stop.wait, name="leaked").start()

        def test_joins_its_thread(wide):
            thread = threading.Thread(target=lambda: None)
            thread.start()
            thread.join()
        """
    )
    result = pytester.runpytest("-p", "tests.leftovers", "-o", "leftover_grace=0.1")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*test_leaves_a_thread left running: thread 'leaked'*"])
