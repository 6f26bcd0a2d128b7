"""The progress bar stays hidden for short waits, fills up, and says why a wait timed out."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from workshop.widgets import Waiting, WaitTimeout, wait_until


def test_short_waits_show_nothing() -> None:
    shown: list[Any] = []
    with Waiting("quick", timeout=10, show=shown.append) as bar:
        bar.update(text="almost")
    assert shown == []


def test_a_long_wait_shows_a_bar_that_fills_with_the_work_done() -> None:
    shown: list[Any] = []
    with Waiting("pods", total=4, after=0.0, show=shown.append) as bar:
        bar.update(1, text="1/4 ready")
        assert bar.fraction == 0.25
        bar.update(3)
    assert shown == [bar.widget]
    assert bar.fraction == 1.0 and bar.bar.bar_style == "success"
    assert "done" in bar.text.value and "1/4 ready" in bar.text.value


def test_a_failed_wait_turns_red() -> None:
    with (
        pytest.raises(RuntimeError),
        Waiting("x", timeout=1, after=0.0, show=lambda _: None) as bar,
    ):
        bar.update(text="still waiting")
        raise RuntimeError("boom")
    assert bar.bar.bar_style == "danger"


def test_wait_until_returns_the_first_truthy_answer() -> None:
    answers = iter([None, None, "http://127.0.0.1:8080/"])
    assert wait_until(lambda: next(answers), timeout=5, interval=0.01) == "http://127.0.0.1:8080/"


def test_wait_until_times_out_with_where_things_stand() -> None:
    counter = itertools.count()
    with pytest.raises(WaitTimeout) as caught:
        wait_until(
            lambda: None,
            timeout=0.05,
            interval=0.01,
            what="an EXTERNAL-IP",
            describe=lambda: f"<pending> after {next(counter)} looks",
            show=lambda _: None,
        )
    assert "waited 0s for an EXTERNAL-IP; now: <pending> after" in str(caught.value)
    assert caught.value.hint
