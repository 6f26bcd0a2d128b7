"""CheckButton runs a lab step's real checks, reveals hints tier by tier, and records progress.

The cluster is held in memory (``RecordedCluster``); the lab is the real labs/00-welcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workshop import course
from workshop.course import ProgressStore, RecordedCluster
from workshop.widgets import CheckButton, CheckFailed

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


def test_wait_retries_until_the_check_passes(store: ProgressStore) -> None:
    connection = Connection()
    calls = {"n": 0}
    original = connection.api.get

    def get(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            connection.api.add(NAMESPACE)
        return original(*args)

    connection.api.get = get  # type: ignore[method-assign]
    button = CheckButton(connection, LAB, "namespace", wait=10, progress_store=store, strict=True)  # type: ignore[arg-type]
    assert button.passed and calls["n"] == 3


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
        Connection(configmap("build")), lab, "resize", progress_store=store, strict=False
    )  # type: ignore[arg-type]
    assert button.button.button_style == "warning"
    assert "Not yet" in button.message.text
