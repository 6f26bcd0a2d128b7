"""Progress into the cluster: a ``LabProgress`` object per lab step, in a class learner's
home namespace, written by their own checks with their own rights.

``workshop class create`` installs the CRD (``labprogresses.classroom.workshop.dev``); the
class board watches these objects across the class. One object per step, named
``<lab>.<step>`` (``04-hello-world.scale``), counts attempts and failures and keeps the
last message, when the learner started the step and when they last checked it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from workshop.course.checks import StepResult
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
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": f"{result.lab}.{result.step}",
            "namespace": seat.home,
            "labels": {
                CLASS_LABEL: seat.class_name,
                LEARNER_LABEL: seat.learner,
                LAB_LABEL: result.lab,
            },
        },
        "spec": {"learner": seat.learner, **{k: v for k, v in spec.items() if v is not None}},
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
