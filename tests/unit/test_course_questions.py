"""Teaching modes in lab.yaml (challenge, fix), predictions and the quiz: what the schema
refuses, and how answers are graded and kept in progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop import course
from workshop.course import ProgressStore
from workshop.errors import WorkshopError

from .test_course_labs import load_error, write_lab
from .test_course_progress import Clock

TAUGHT = """
title: A lab
duration: 10
objectives: [Learn something]
steps:
  - id: first
    title: First step
    instructions: Make a Deployment web.
    mode: challenge
    minutes: 4
    predict:
      id: guess
      question: What happens?
      choices: [Nothing, A pod starts]
      answer: 1
      explain: The Deployment's ReplicaSet creates it.
    checks:
      - {kind: exists, object: Deployment/web}
    hints: [The concept, Where to look, A partial answer]
    solution:
      - apply: manifests/web.yaml
  - id: repair
    title: Repair it
    instructions: Something is broken.
    mode: fix
    breaks:
      - apply: manifests/web.yaml
    checks:
      - {kind: exists, object: Deployment/web, fields: {spec.replicas: 2}}
    hints: [The concept, Where to look, A partial answer]
    solution:
      - kubectl: scale deployment/web --replicas=2 -n lab-07
quiz:
  - id: q1
    question: Which object keeps pods running?
    choices: [Service, ReplicaSet, ConfigMap]
    answer: 1
    explain: A ReplicaSet counts its pods and makes more.
  - id: q2
    question: Is a pod's IP stable?
    choices: ["yes", "no"]
    answer: 1
    explain: Pods come and go; a Service's address stays.
"""


@pytest.fixture
def lab(tmp_path: Path) -> course.Lab:
    return course.load_lab(write_lab(tmp_path, TAUGHT))


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "home" / "progress.json", clock=Clock())


def test_a_lab_with_modes_predictions_and_a_quiz_loads(lab: course.Lab) -> None:
    assert [s.mode for s in lab.steps] == ["challenge", "fix"]
    assert lab.step("first").predict is not None
    assert [q.id for q in lab.spec.quiz] == ["q1", "q2"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            (
                "    mode: fix\n    breaks:\n      - apply: manifests/web.yaml\n",
                "    mode: guided\n    breaks:\n      - apply: manifests/web.yaml\n",
            ),
            "only a fix step breaks",
        ),
        (
            ("    mode: fix\n    breaks:\n      - apply: manifests/web.yaml\n", "    mode: fix\n"),
            "a fix step needs `breaks`",
        ),
        (
            (
                "      answer: 1\n      explain: The Deployment",
                "      answer: 2\n      explain: The Deployment",
            ),
            "answer 2 is not one of the 2 choices",
        ),
        (("choices: [Nothing, A pod starts]", "choices: [Nothing, Nothing]"), "two choices"),
        (("  - id: q2", "  - id: guess"), "two questions have the id 'guess'"),
        (
            (
                "    hints: [The concept, Where to look, A partial answer]\n    solution:\n"
                "      - apply",
                "    hints: [The answer]\n    solution:\n      - apply",
            ),
            "at least 3 hints",
        ),
        (("    minutes: 4", "    minutes: 0"), "minutes"),
    ],
)
def test_what_the_schema_refuses(tmp_path: Path, change: tuple[str, str], said: str) -> None:
    old, new = change
    assert old in TAUGHT
    assert said in load_error(tmp_path, TAUGHT.replace(old, new, 1))


def test_the_first_answer_is_graded_and_the_latest_kept(
    lab: course.Lab, store: ProgressStore
) -> None:
    wrong = course.answer(lab, "q1", 0, context="ctx", progress=store)
    assert (wrong.correct, wrong.graded, wrong.kind) == (False, False, "quiz")
    right = course.answer(lab, "q1", 1, context="ctx", progress=store)
    assert (right.correct, right.graded) == (True, False)  # trying again raises no score
    course.answer(lab, "q2", 1, context="ctx", progress=store)
    assert course.score(lab, context="ctx", progress=store) == (1, 2)
    kept = store.answers("ctx", lab.id)
    assert (kept["q1"].first, kept["q1"].choice) == (0, 1)
    assert course.score(lab, context="other", progress=store) == (0, 2)


def test_a_prediction_is_found_by_its_step_and_kept_apart_from_the_score(
    lab: course.Lab, store: ProgressStore
) -> None:
    said = course.answer(lab, "first", 1, context="ctx", progress=store)
    assert (said.kind, said.correct, said.question.id) == ("predict", True, "guess")
    assert store.answers("ctx", lab.id)["guess"].kind == "predict"
    assert course.score(lab, context="ctx", progress=store) == (0, 2)


@pytest.mark.parametrize(
    ("ident", "choice", "said"), [("q9", 0, "no question"), ("q1", 3, "1 to 3")]
)
def test_a_wrong_question_or_choice_is_one_sentence(
    lab: course.Lab, store: ProgressStore, ident: str, choice: int, said: str
) -> None:
    with pytest.raises(WorkshopError) as info:
        course.answer(lab, ident, choice, context="ctx", progress=store)
    assert said in info.value.message
    assert not store.path.exists()  # nothing recorded


def test_answers_travel_with_an_export_and_the_first_stays_graded(
    lab: course.Lab, tmp_path: Path
) -> None:
    clock = Clock()
    laptop = ProgressStore(tmp_path / "laptop" / "progress.json", clock=clock)
    course.answer(lab, "q1", 1, context="ctx", progress=laptop)  # right, first
    clock.tick()
    binder = ProgressStore(tmp_path / "binder" / "progress.json", clock=clock)
    course.answer(lab, "q1", 0, context="ctx", progress=binder)  # wrong, later
    laptop.export(tmp_path / "laptop.json")
    binder.import_(tmp_path / "laptop.json")
    kept = binder.answers("ctx", lab.id)["q1"]
    assert (kept.first, kept.correct, kept.choice) == (1, True, 0)
