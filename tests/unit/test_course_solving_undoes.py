"""``solve`` leaves alone a step that a later, done step undoes on purpose (``undoes``): a
pool resized again, a cluster destroyed. The solve loop is the real one; what a step's
checks say and what its solution does are kept in memory."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from workshop import course
from workshop.course import solving
from workshop.course.checks import CheckResult, StepResult
from workshop.course.loading import Lab

LAB = """
title: Terraform, in memory
duration: 5
objectives: [Build, change and destroy]
steps:
"""
STEP = """
  - id: {id}
    title: Step {id}
    instructions: Do it.
    undoes: {undoes}
    checks: [{{kind: exists, object: ConfigMap/{id}}}]
    hints: [A nudge]
    solution: [{{kubectl: create configmap {id}}}]
"""
UNDOES = {"apply": [], "resize": [], "drift": ["resize"], "destroy": ["apply", "resize", "drift"]}


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    folder = tmp_path / "labs" / "10-memory"
    folder.mkdir(parents=True)
    steps = "".join(STEP.format(id=s, undoes=u) for s, u in UNDOES.items())
    (folder / "lab.yaml").write_text(textwrap.dedent(LAB) + steps)
    return course.load_lab(folder)


class World:
    """Which steps' outcomes hold; a solution makes its own hold and undoes the others'."""

    def __init__(self, lab: Lab, monkeypatch: pytest.MonkeyPatch, holding: set[str]) -> None:
        self.lab = lab
        self.holding = set(holding)
        self.solved: list[str] = []
        monkeypatch.setattr(solving, "prepare", lambda cluster, lab: False)
        monkeypatch.setattr(solving.placing, "place", lambda cluster, lab: lab)
        monkeypatch.setattr(solving.placing, "is_learner", lambda cluster: False)
        monkeypatch.setattr(solving.checking, "check_one", self.check)
        monkeypatch.setattr(solving.actions, "run_action", self.run)
        monkeypatch.setattr(
            solving, "wait_for", lambda api, lab, step, **kw: self.check(0, lab, step)
        )

    def check(self, cluster: Any, lab: Lab, step: Any) -> StepResult:
        result = CheckResult(step.id in self.holding, f"{step.id} holds: {step.id in self.holding}")
        return StepResult(lab.id, step.id, step.title, (result,))

    def run(self, cluster: Any, lab: Lab, action: Any) -> None:
        step = action.kubectl[-1]
        self.solved.append(step)
        self.holding.add(step)
        self.holding -= set(lab.step(step).undoes)


def solve(world: World, tmp_path: Path, upto: str) -> list[str]:
    store = course.ProgressStore(tmp_path / "progress.json")
    cluster: Any = type("C", (), {"context": "test", "api": None})()
    done = course.solve(cluster, world.lab, upto, progress=store)
    return [s.step for s in done if s.applied]


def test_a_step_undone_by_a_done_later_step_is_not_solved_again(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(lab, monkeypatch, holding={"apply", "drift"})  # resize undone by drift
    assert solve(world, tmp_path, "destroy") == ["destroy"]
    assert world.holding == {"destroy"}
    # everything destroyed: solving the whole lab again has nothing to do
    assert solve(world, tmp_path, "destroy") == []


def test_an_undoing_step_counts_only_within_the_steps_being_solved(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(lab, monkeypatch, holding={"destroy"})
    assert solve(world, tmp_path, "resize") == ["apply", "resize"]
    world = World(lab, monkeypatch, holding=set())
    assert solve(world, tmp_path, "destroy") == ["apply", "resize", "drift", "destroy"]


def test_checking_names_the_later_step_that_undid_a_step_and_files_no_failure_for_it(
    lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    World(lab, monkeypatch, holding={"apply", "drift"})  # resize undone by drift
    store = course.ProgressStore(tmp_path / "progress.json")
    store.record_check("test", lab.id, "resize", passed=True, message="4 nodes")
    cluster: Any = type("C", (), {"context": "test", "api": None})()
    results = {r.step: r for r in course.check(cluster, lab, progress=store)}
    assert results["resize"].undone_by == "drift" and not results["resize"].passed
    assert results["resize"].to_json()["undone_by"] == "drift"
    assert results["destroy"].undone_by is None and not results["destroy"].passed  # to do
    assert results["apply"].undone_by is None and results["apply"].passed
    assert store.step("test", lab.id, "resize").passed  # the earlier pass stands
    assert not store.step("test", lab.id, "destroy").passed
    # one step alone: the later steps that undo it are looked at
    (alone,) = course.check(cluster, lab, "resize", record=False)
    assert alone.undone_by == "drift"
    (polled,) = course.check(cluster, lab, "resize", record=False, undone=False)
    assert polled.undone_by is None
    assert course.mark_undone(cluster, lab, polled).undone_by == "drift"


def test_a_step_failing_with_no_later_step_done_is_just_failing(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    World(lab, monkeypatch, holding={"apply"})
    cluster: Any = type("C", (), {"context": "test", "api": None})()
    (resize,) = course.check(cluster, lab, "resize", record=False)
    assert not resize.passed and resize.undone_by is None
