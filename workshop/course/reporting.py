"""Progress into the cluster: a ``LabProgress`` object per lab step, in a class learner's
home namespace, written by their own checks with their own rights.

``workshop class create`` installs the CRD (``labprogresses.classroom.workshop.dev``); the
class board watches these objects across the class. One object per step, named
``<lab>.<step>`` (``04-hello-world.scale``), counts attempts and failures and keeps the
last message, when the learner started the step and when they last checked it.

Answers go the same way: one object per lab, named ``answers.<lab>`` (never a step's name:
those start with the lab's number), holds the quiz score (right the first time, out of the
lab's questions) and the predictions made, rewritten at each answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from workshop.course.checks import StepResult
from workshop.course.loading import Lab
from workshop.course.progress import Answer
from workshop.errors import ClusterError

GROUP = "classroom.workshop.dev"
VERSION = "v1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "LabProgress"
PLURAL = "labprogresses"
CLASS_LABEL = "workshop.dev/class"
LEARNER_LABEL = "workshop.dev/learner"
LAB_LABEL = "workshop.dev/lab"
MESSAGE_MAX = 500
ANSWERS_PREFIX = "answers."

log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def state_of(result: StepResult) -> str:
    if result.skipped:
        return "skipped"
    return "passed" if result.passed else "failed"


def record(previous: dict[str, Any] | None, result: StepResult, *, now: str) -> dict[str, Any]:
    """The new ``spec`` after one check of the step (pure: the old spec and the result in)."""
    old = dict(previous or {})
    state = state_of(result)
    failed = state == "failed"
    return {
        "lab": result.lab,
        "step": result.step,
        "state": state,
        "passed": result.passed,
        "attempts": int(old.get("attempts") or 0) + 1,
        "failures": int(old.get("failures") or 0) + (1 if failed else 0),
        "message": result.message[:MESSAGE_MAX],
        "started": old.get("started") or now,
        "updated": now,
        "completed": old.get("completed") or (now if result.passed else None),
    }


def manifest(seat: Any, result: StepResult, spec: dict[str, Any]) -> dict[str, Any]:
    return _manifest(seat, f"{result.lab}.{result.step}", result.lab, spec)


def _manifest(seat: Any, name: str, lab: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": name,
            "namespace": seat.home,
            "labels": {
                CLASS_LABEL: seat.class_name,
                LEARNER_LABEL: seat.learner,
                LAB_LABEL: lab,
            },
        },
        "spec": {"learner": seat.learner, **{k: v for k, v in spec.items() if v is not None}},
    }


def answers_name(lab: str) -> str:
    return ANSWERS_PREFIX + lab


def is_answers(obj: Mapping[str, Any]) -> bool:
    """A lab's answers (quiz and predictions), not a step's checks."""
    return str((obj.get("metadata") or {}).get("name", "")).startswith(ANSWERS_PREFIX)


def answers_spec(lab: Lab, given: Mapping[str, Answer], *, now: str) -> dict[str, Any]:
    """The ``spec`` of a lab's answers (pure): the quiz score, first answers only, and the
    predictions made (and made right) out of the lab's."""
    quiz = [q.id for q in lab.spec.quiz]
    predictions = [s.predict.id for s in lab.steps if s.predict]
    return {
        "lab": lab.id,
        "quiz": {
            "right": sum(1 for q in quiz if q in given and given[q].correct),
            "answered": sum(1 for q in quiz if q in given),
            "total": len(quiz),
        },
        "predictions": {
            "made": sum(1 for p in predictions if p in given),
            "right": sum(1 for p in predictions if p in given and given[p].correct),
            "total": len(predictions),
        },
        "updated": now,
    }


def report(cluster: Any, result: StepResult) -> str | None:
    """Write the learner's ``LabProgress`` for this step; what went wrong, or ``None``.

    A report that cannot be written never fails the check itself: the learner's own
    progress file has it, and the instructor sees a stale board.
    """
    seat = getattr(cluster, "seat", None)
    if seat is None:
        return None
    name = f"{result.lab}.{result.step}"
    try:
        found = cluster.api.get(API_VERSION, KIND, name, seat.home)
        spec = record((found or {}).get("spec"), result, now=_now())
        cluster.api.apply(manifest(seat, result, spec))
    except ClusterError as e:
        log.warning("could not report progress to the class: %s", e.message)
        return e.message
    return None


def report_answers(cluster: Any, lab: Lab, given: Mapping[str, Answer]) -> str | None:
    """Write the learner's answers to ``lab`` (a ``LabProgress`` of its own); what went
    wrong, or ``None``. As for checks, a report that cannot be written fails nothing."""
    seat = getattr(cluster, "seat", None)
    if seat is None:
        return None
    spec = answers_spec(lab, given, now=_now())
    try:
        cluster.api.apply(_manifest(seat, answers_name(lab.id), lab.id, spec))
    except ClusterError as e:
        log.warning("could not report answers to the class: %s", e.message)
        return e.message
    return None
