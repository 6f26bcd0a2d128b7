"""CheckButton runs a lab step's real checks, reveals hints tier by tier, and records progress.

The cluster is held in memory (``RecordedCluster``); the lab is the real labs/00-welcome.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_widgets_questions import write_lab
from workshop import course
from workshop.course import ProgressStore, RecordedCluster
from workshop.widgets import CheckButton, CheckFailed, progress

LAB = "00-welcome"


class Connection:
    """What CheckButton needs of a cluster: a context name and something to read it with."""

    def __init__(self, *objects: dict[str, Any]) -> None:
        self.context = "recorded"
        self.api = RecordedCluster(objects)


NAMESPACE = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": "lab-00"},
    "status": {"phase": "Active"},
}


NAMESPACE_97 = {**NAMESPACE, "metadata": {"name": "lab-97"}}
COLOUR = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "colour", "namespace": "lab-97"},
    "data": {"colour": "blue"},
}


def pod(
    name: str, *, scheduled: bool = True, unschedulable: bool = False, waiting: str = ""
) -> dict[str, Any]:
    """A pod of lab-97 that is not ready: being scheduled, unschedulable, or waiting."""
    conditions = [{"type": "Ready", "status": "False"}]
    if unschedulable:
        conditions.append({"type": "PodScheduled", "status": "False", "reason": "Unschedulable"})
    elif scheduled:
        conditions.append({"type": "PodScheduled", "status": "True"})
    status: dict[str, Any] = {"phase": "Pending", "conditions": conditions}
    if waiting:
        status["containerStatuses"] = [{"name": "app", "state": {"waiting": {"reason": waiting}}}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "lab-97", "labels": {"app": name}},
        "status": status,
    }


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.json")


def test_a_failing_check_says_what_is_missing_and_offers_hints(store: ProgressStore) -> None:
    button = CheckButton(Connection(), LAB, "namespace", progress_store=store, strict=False)  # type: ignore[arg-type]
    assert not button.passed
    assert "lab-00" in button.result_message
    assert "✘" in button.results.value
    assert 'class="ws-check-hint"' in button.results.value  # the failing check's own hint
    assert button.hint_button.layout.display is None  # visible
    assert button.command.command == "workshop check 00-welcome namespace"
    record = store.step("recorded", LAB, "namespace")
    assert (record.attempts, record.passed) == (1, False)


def test_hints_go_tier_by_tier_to_the_solution_and_are_remembered(store: ProgressStore) -> None:
    connection = Connection()
    button = CheckButton(connection, LAB, "namespace", progress_store=store, strict=False)  # type: ignore[arg-type]
    step = course.find_lab(LAB).step("namespace")
    total = len(step.hints) + 1
    first = button.hint()
    assert (first.tier, first.text) == (1, step.hints[0])
    assert button.hint_button.description == f"Show a hint (2/{total})"
    tiers = [button.hint() for _ in range(total)]
    assert tiers[-1].is_solution and "kubectl create namespace lab-00" in tiers[-1].text
    assert button.hint_button.layout.display == "none"
    assert button.hint_area.value.count('class="ws-hint"') == total
    # a new kernel shows what this learner already revealed
    again = CheckButton(connection, LAB, "namespace", progress_store=store, run=False)  # type: ignore[arg-type]
    assert len(again.hints) == total


def test_clicking_again_after_the_fix_passes_and_records_it(store: ProgressStore) -> None:
    connection = Connection()
    button = CheckButton(connection, LAB, "namespace", progress_store=store, strict=False)  # type: ignore[arg-type]
    connection.api.add(NAMESPACE)
    result = button.click()
    assert result is not None and result.passed and button.passed
    assert "✔" in button.results.value and button.button.button_style == "success"
    record = store.step("recorded", LAB, "namespace")
    assert (record.attempts, record.passed, bool(record.completed)) == (2, True, True)


def test_strict_checks_raise_so_a_notebook_test_fails(
    store: ProgressStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKSHOP_STRICT_CHECKS", "1")
    with pytest.raises(CheckFailed) as caught:
        CheckButton(Connection(), LAB, "namespace", progress_store=store)  # type: ignore[arg-type]
    assert (caught.value.lab, caught.value.step) == (LAB, "namespace")
    assert "lab-00" in str(caught.value)
    passing = CheckButton(Connection(NAMESPACE), LAB, "namespace", progress_store=store)  # type: ignore[arg-type]
    assert passing.passed


def test_wait_retries_while_a_pod_is_on_its_way_until_the_check_passes(
    store: ProgressStore, tmp_path: Path
) -> None:
    lab = write_lab(tmp_path)
    connection = Connection(NAMESPACE_97, pod("web", scheduled=False))
    checks = {"n": 0}
    original = connection.api.get

    def get(api_version: str, kind: str, *args: Any) -> Any:
        if kind == "ConfigMap":
            checks["n"] += 1
            if checks["n"] == 3:
                connection.api.add(COLOUR)
        return original(api_version, kind, *args)

    connection.api.get = get  # type: ignore[method-assign,assignment]
    button = CheckButton(connection, lab, "make", wait=10, progress_store=store, strict=True)  # type: ignore[arg-type]
    assert button.passed and checks["n"] == 3
    assert button.in_progress == "pod web is being scheduled"


def test_a_step_not_done_answers_at_once_in_red_once_with_rendered_hints(
    store: ProgressStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[Any] = []
    monkeypatch.setattr(progress, "_display", shown.append)
    lab = write_lab(tmp_path)
    # nothing moving in the namespace, or only what is stuck: waiting would not help
    for stuck in ((), (pod("web", waiting="ImagePullBackOff"),), (pod("big", unschedulable=True),)):
        connection = Connection(NAMESPACE_97, *stuck)
        started = time.monotonic()
        button = CheckButton(connection, lab, "make", wait=30, progress_store=store, strict=False)  # type: ignore[arg-type]
        assert time.monotonic() - started < 5 and button.waited < 5
        assert not button.passed and button.in_progress is None and not shown
        assert button.results.value.count("✘") == 1 and button.message.text.startswith("Not yet")
        assert button.message.kind == "error" and button.button.button_style == "danger"
        assert "<code" in button.results.value  # the check's hint, rendered
    for _ in range(4):
        button.hint()
    assert "`" not in button.hint_area.value and "<code" in button.hint_area.value
    assert "<pre" in button.hint_area.value  # the solution's commands, one per line


def test_a_wait_that_runs_out_hides_its_bar_and_says_it_is_still_in_progress(
    store: ProgressStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[Any] = []
    monkeypatch.setattr(progress, "_display", shown.append)
    lab = write_lab(tmp_path)
    connection = Connection(NAMESPACE_97, pod("web", scheduled=False))
    button = CheckButton(connection, lab, "make", wait=3, progress_store=store, strict=False)  # type: ignore[arg-type]
    assert not button.passed and button.in_progress == "pod web is being scheduled"
    assert button.message.text.startswith("Still in progress after 3s (pod web is being")
    assert len(shown) == 1  # the bar appeared after a second...
    bar = shown[0]
    assert bar.layout.display == "none"  # ...and went away: no "done" over a failure
    assert bar.children[0].bar_style != "success" and "done" not in bar.children[1].value
    assert button.results.value.count("✘") == 1


def test_a_step_a_later_done_step_undid_on_purpose_says_so_and_keeps_its_pass(
    store: ProgressStore, tmp_path: Path
) -> None:
    folder = tmp_path / "labs" / "10-memory"
    folder.mkdir(parents=True)
    steps = "".join(
        f"""
  - id: {step}
    title: Step {step}
    instructions: Do it.
    undoes: {undoes}
    checks: [{{kind: exists, object: ConfigMap/{step}}}]
    hints: [A nudge]
    solution: [{{kubectl: create configmap {step} -n lab-10}}]
"""
        for step, undoes in (("build", []), ("resize", []), ("adopt", ["resize"]))
    )
    (folder / "lab.yaml").write_text(
        "title: In memory\nduration: 5\nobjectives: [Build]\nsteps:" + steps
    )
    lab = course.load_lab(folder)

    def configmap(name: str) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "lab-10"},
        }

    store.record_check("recorded", lab.id, "resize", passed=True, message="done")
    connection = Connection(configmap("build"), configmap("adopt"))
    button = CheckButton(connection, lab, "resize", progress_store=store, strict=False)  # type: ignore[arg-type]
    assert not button.passed
    assert button.button.button_style == "info"
    assert "changed on purpose by step 3 (adopt)" in button.message.text
    assert store.step("recorded", lab.id, "resize").passed  # nothing filed over the pass
    # the later step not done: an ordinary failure to fix
    button = CheckButton(
        Connection(configmap("build")),  # type: ignore[arg-type]
        lab,
        "resize",
        progress_store=store,
        strict=False,
    )
    assert button.button.button_style == "danger"
    assert "Not yet" in button.message.text
