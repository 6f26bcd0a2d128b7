"""Quiz questions and predictions: ``answer`` grades a choice, records it in progress
(the first answer is the graded one) and says why the right choice is right. Given the
cluster, a class learner's answers also go to the class board (``reporting``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from workshop.course import reporting
from workshop.course.loading import Lab
from workshop.course.progress import ProgressStore
from workshop.course.schema import Question
from workshop.errors import WorkshopError


@dataclass(frozen=True)
class Answered:
    question: Question
    kind: Literal["quiz", "predict"]
    choice: int
    correct: bool  # this choice
    graded: bool  # the first choice, the one that counts


def question(lab: Lab, ident: str) -> tuple[Question, Literal["quiz", "predict"]]:
    """A quiz question of the lab, or the prediction of a step (by step id or question id)."""
    for q in lab.spec.quiz:
        if q.id == ident:
            return q, "quiz"
    for step in lab.steps:
        if step.predict and ident in (step.id, step.predict.id):
            return step.predict, "predict"
    known = [q.id for q in lab.spec.quiz] + [s.predict.id for s in lab.steps if s.predict]
    raise WorkshopError(
        f"lab {lab.number} has no question {ident!r}",
        hint=f"its questions: {', '.join(known)}" if known else "this lab has none",
    )


def answer(
    lab: Lab,
    ident: str,
    choice: int,
    *,
    context: str | None = None,
    cluster: Any = None,
    progress: ProgressStore | None = None,
) -> Answered:
    """Grade and record ``choice`` (counted from 0), filed under ``context`` (default: the
    ``cluster``'s). With ``cluster``, a class learner's score goes to the class board too."""
    if context is None:
        if cluster is None:
            raise TypeError("answer() needs context= or cluster=")
        context = str(cluster.context)
    q, kind = question(lab, ident)
    if not 0 <= choice < len(q.choices):
        raise WorkshopError(
            f"question {q.id} has choices 1 to {len(q.choices)}; {choice + 1} is not one"
        )
    store = progress or ProgressStore()
    kept = store.record_answer(
        context, lab.id, q.id, kind=kind, choice=choice, correct=choice == q.answer
    )
    if cluster is not None:
        reporting.report_answers(cluster, lab, store.answers(context, lab.id))
    return Answered(q, kind, choice, choice == q.answer, kept.correct)


def score(lab: Lab, *, context: str, progress: ProgressStore | None = None) -> tuple[int, int]:
    """Quiz questions answered right the first time, out of the lab's quiz questions."""
    given = (progress or ProgressStore()).answers(context, lab.id)
    right = sum(1 for q in lab.spec.quiz if q.id in given and given[q.id].correct)
    return right, len(lab.spec.quiz)


def predictions(
    lab: Lab, *, context: str, progress: ProgressStore | None = None
) -> tuple[int, int]:
    """The predictions made (answered, right or not), out of the lab's predictions."""
    given = (progress or ProgressStore()).answers(context, lab.id)
    asked = [s.predict.id for s in lab.steps if s.predict]
    return sum(1 for p in asked if p in given), len(asked)
