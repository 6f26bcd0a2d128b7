"""ReconcileView starts and stops an operator and shows its journal: events, actions, errors.

The operator here is a stand-in that writes to a real ``Journal``, as the plain loop and
kopf do (the real ones run against the sandbox in tests/integration/test_operators.py).
"""

from __future__ import annotations

import pytest

from workshop.operators import Journal
from workshop.widgets import ReconcileView, WaitTimeout


class Recorder:
    """An operator that reconciles when told to: start/stop, and a journal."""

    def __init__(self, name: str = "kvs-operator", namespace: str = "lab-11") -> None:
        self.name, self.namespace = name, namespace
        self.journal = Journal()
        self.running = False
        self.starts = self.stops = 0

    def start(self) -> Recorder:
        self.running, self.starts = True, self.starts + 1
        self.journal.note("START", f"{self.name} in namespace {self.namespace}", ["watching"])
        return self

    def stop(self) -> None:
        self.running, self.stops = False, self.stops + 1


def test_start_and_stop_drive_the_operator_and_the_buttons() -> None:
    operator = Recorder()
    view = ReconcileView(operator)
    assert not view.running and view.stop_button.disabled and not view.start_button.disabled
    view.start_button.click()
    assert operator.starts == 1 and view.running
    assert view.start_button.disabled and not view.stop_button.disabled
    assert "running" in view.status.value
    view.start()  # already running: not started twice
    assert operator.starts == 1
    view.stop_button.click()
    assert operator.stops == 1 and not view.running
    assert "stopped" in view.status.value
    assert view.command.command == "kubectl get events --watch -n lab-11"


def test_each_reconcile_shows_its_event_actions_and_errors() -> None:
    operator = Recorder()
    view = ReconcileView(operator, start=True)
    operator.journal.note(
        "ADDED",
        "KeyValueStore lab-11/demo",
        ["created secret/demo-auth", "created statefulset/demo"],
    )
    operator.journal.note(
        "Service demo DELETED", "KeyValueStore lab-11/demo", ["created service/demo"]
    )
    operator.journal.note("MODIFIED", "KeyValueStore lab-11/demo", error="403 <forbidden>")
    view.stop()  # flushes the pending render
    assert [r.event for r in view.records] == ["START", "ADDED", "Service demo DELETED", "MODIFIED"]
    assert "created statefulset/demo" in view.table.value
    assert "Service demo DELETED" in view.table.value
    assert 'class="ws-error"' in view.table.value
    assert "403 &lt;forbidden&gt;" in view.table.value  # escaped, never raw HTML
    assert [e.error for e in view.errors] == ["403 <forbidden>"]
    assert view.lines[1].endswith("ADDED KeyValueStore lab-11/demo: created secret/demo-auth; "
                                  "created statefulset/demo")  # fmt: skip


def test_wait_for_finds_a_record_or_says_what_it_saw() -> None:
    operator = Recorder()
    view = ReconcileView(operator, start=True)
    operator.journal.note("MODIFIED", "KeyValueStore lab-11/demo", ["patched statefulset/demo"])
    found = view.wait_for("patched statefulset", timeout=1)
    assert found.event == "MODIFIED"
    assert view.wait_for(lambda r: r.event == "START", timeout=1).key.startswith("kvs-operator")
    with pytest.raises(WaitTimeout, match=r"last: .*patched statefulset/demo"):
        view.wait_for("deleted", timeout=0.3)


def test_a_new_view_of_the_same_operator_stops_the_old_one() -> None:
    first_operator, second_operator = Recorder(), Recorder()
    ReconcileView(first_operator, start=True)
    ReconcileView(second_operator, start=True)
    assert not first_operator.running and second_operator.running


def test_the_journal_keeps_the_last_records_and_cuts_long_lines() -> None:
    journal = Journal(records_kept=3)
    for n in range(5):
        journal.note("MODIFIED", f"KeyValueStore ns/s{n}", ["x" * 1000])
    assert [r.key[-2:] for r in journal.records] == ["s2", "s3", "s4"]
    assert journal.count == 5
    assert all(len(a) <= 300 for a in journal.actions())
