"""Predict and Quiz: one click records an answer (the first is graded), marks it right or
wrong and explains; a restarted kernel shows the answers given; an answer that cannot be
saved is still shown. The lab is a small one written in tmp_path; no cluster is needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop import course
from workshop.course import Lab, ProgressStore
from workshop.errors import WorkshopError
from workshop.widgets import Predict, Quiz

LAB_YAML = """\
title: Widgets on trial
duration: 4
objectives: [Answer questions, break and repair a ConfigMap]
namespace: {namespace}
steps:
  - id: make
    title: Make the colour ConfigMap
    instructions: Create ConfigMap `colour`.
    minutes: 1
    predict:
      id: guess
      question: "What does `kubectl create configmap colour` make in **{namespace}**?"
      choices: [A Pod, "A `ConfigMap` named colour", A Node]
      answer: 1
      explain: "It makes a **ConfigMap**; `kubectl get configmap colour` shows it."
    checks: [{{kind: exists, object: ConfigMap/colour}}]
    hints: [A ConfigMap holds configuration.]
    solution: [{{apply: solution/blue.yaml}}]
  - id: fix-colour
    title: Repair the colour
    mode: fix
    instructions: Someone painted it red; make it blue again.
    minutes: 2
    breaks: [{{apply: breaks/red.yaml}}]
    checks: [{{kind: exists, object: ConfigMap/colour, fields: {{data.colour: blue}}}}]
    hints:
      - A ConfigMap's data is what pods read.
      - "`kubectl get configmap colour -o yaml` shows its data."
      - "`kubectl edit configmap colour` changes it in place."
    solution: [{{apply: solution/blue.yaml}}]
quiz:
  - id: q-kind
    question: "Which object holds configuration?"
    choices: [ConfigMap, Service]
    answer: 0
    explain: A **ConfigMap** holds configuration.
  - id: q-verb
    question: "Which command shows an object's fields?"
    choices: ["`kubectl get -o yaml`", "`kubectl logs`", "`kubectl top`"]
    answer: 0
    explain: "`-o yaml` prints the whole object."
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: colour
data:
  colour: {colour}
"""


def write_lab(root: Path, namespace: str = "lab-97") -> Lab:
    """A small lab: a guided step with a prediction, a fix step, a two-question quiz."""
    folder = root / "labs" / "97-widgets"
    (folder / "solution").mkdir(parents=True)
    (folder / "breaks").mkdir()
    (folder / "lab.yaml").write_text(LAB_YAML.format(namespace=namespace))
    (folder / "solution" / "blue.yaml").write_text(CONFIGMAP.format(colour="blue"))
    (folder / "breaks" / "red.yaml").write_text(CONFIGMAP.format(colour="red"))
    return course.load_lab(folder)


class Connection:
    """All Predict and Quiz need of a cluster: its context name."""

    context = "recorded"


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    return write_lab(tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.json")


def predict(lab: Lab, store: ProgressStore) -> Predict:
    return Predict(Connection(), lab, "make", progress_store=store)  # type: ignore[arg-type]


def test_a_prediction_is_rendered_markdown_with_a_button_per_choice(
    lab: Lab, store: ProgressStore
) -> None:
    widget = predict(lab, store)
    assert [b.description for b in widget.buttons] == ["A", "B", "C"]
    assert "<code" in widget.heading.value and "<strong>lab-97</strong>" in widget.heading.value
    assert "`" not in widget.heading.value
    assert not widget.answered and widget.feedback.value == ""
    assert store.answers("recorded", lab.id) == {}


def test_a_click_records_marks_and_explains_and_the_first_answer_counts(
    lab: Lab, store: ProgressStore
) -> None:
    widget = predict(lab, store)
    assert widget.choose(0) is False
    assert widget.buttons[0].button_style == "danger"
    assert widget.buttons[1].button_style == "success"  # the right one, shown
    assert "✘" in widget.feedback.value and "the answer is B" in widget.feedback.value
    assert "<strong>ConfigMap</strong>" in widget.feedback.value  # explain, rendered
    assert "Now run the next cell and see." in widget.feedback.value
    given = store.answers("recorded", lab.id)["guess"]
    assert (given.kind, given.first, given.correct, given.choice) == ("predict", 0, False, 0)
    # changing one's mind: the buttons still work, the latest choice is kept, not graded
    assert not any(b.disabled for b in widget.buttons)
    assert widget.choose(1) is True
    assert widget.buttons[0].button_style == "" and widget.buttons[1].button_style == "success"
    assert "✔ Right." in widget.feedback.value
    assert "Your first answer (A, wrong) is the one that counts." in widget.feedback.value
    given = store.answers("recorded", lab.id)["guess"]
    assert (given.first, given.correct, given.choice) == (0, False, 1)


def test_a_restarted_kernel_shows_the_answer_already_given(lab: Lab, store: ProgressStore) -> None:
    predict(lab, store).choose(1)
    again = predict(lab, store)
    assert again.answered and again.choice == 1 and again.correct
    assert again.buttons[1].button_style == "success" and "✔ Right." in again.feedback.value


def test_an_answer_that_cannot_be_saved_is_shown_with_a_note(lab: Lab, tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_text("")
    store = ProgressStore(tmp_path / "not-a-folder" / "progress.json")
    widget = predict(lab, store)
    assert widget.choose(1) is True
    assert "✔ Right." in widget.feedback.value and "<strong>ConfigMap</strong>" in (
        widget.feedback.value
    )
    assert not widget.saved
    assert widget.note.kind == "error" and widget.note.text.startswith(
        "Your answer is shown but not saved:"
    )
    assert widget.note.text.count("\n") == 0  # one sentence


def test_a_step_without_a_prediction_says_so(lab: Lab, store: ProgressStore) -> None:
    with pytest.raises(WorkshopError, match="step fix-colour of lab 97 asks no prediction"):
        Predict(Connection(), lab, "fix-colour", progress_store=store)  # type: ignore[arg-type]


def test_the_quiz_grades_first_answers_and_keeps_the_score_across_kernels(
    lab: Lab, store: ProgressStore
) -> None:
    quiz = Quiz(Connection(), lab, progress_store=store)  # type: ignore[arg-type]
    assert [len(q.buttons) for q in quiz.questions] == [2, 3]
    assert quiz.score_line == "0 of 2 right on the first try (2 still to answer)"
    assert "`" not in quiz.questions[1].box.children[1].children[1].value  # a rendered choice
    assert quiz.choose("q-kind", 0) is True
    assert quiz.choose(1, 2) is False
    assert quiz.choose(1, 0) is True  # right now, but the first answer was wrong
    assert quiz.score == (1, 2) == course.score(lab, context="recorded", progress=store)
    assert quiz.score_line == "1 of 2 right on the first try"
    assert "1 of 2 right on the first try" in quiz.score_html.value
    again = Quiz(Connection(), lab, progress_store=store)  # type: ignore[arg-type]
    assert [q.choice for q in again.questions] == [0, 0]
    assert again.score_line == "1 of 2 right on the first try"
    assert "the one that counts" in again.questions[1].feedback.value


def test_a_lab_without_a_quiz_says_so(tmp_path: Path, store: ProgressStore) -> None:
    lab = write_lab(tmp_path)
    bare = Lab(lab.id, lab.dir, lab.spec.model_copy(update={"quiz": []}))
    with pytest.raises(WorkshopError, match="lab 97 has no quiz"):
        Quiz(Connection(), bare, progress_store=store)  # type: ignore[arg-type]
