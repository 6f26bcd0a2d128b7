"""``check``: run a lab's checks on a cluster and file the outcome in the progress store.

The one entry point for the notebook's Check button, ``workshop check`` and tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from workshop.course import placing, reporting
from workshop.course.checks import Reader, StepResult, check_step
from workshop.course.loading import Lab
from workshop.course.progress import ProgressStore
from workshop.course.schema import Step
from workshop.errors import ClusterError


class Connection(Protocol):
    """What checking needs of a cluster: ``workshop.cluster.Cluster`` is one."""

    @property
    def context(self) -> str: ...

    @property
    def api(self) -> Reader: ...


def check(
    cluster: Connection,
    lab: Lab,
    step: str | int | None = None,
    *,
    progress: ProgressStore | None = None,
    record: bool = True,
    undone: bool = True,
) -> list[StepResult]:
    """Check one step (by id or number) or every step, and record each outcome.

    On a class learner's kubeconfig the lab runs in their namespaces, steps outside them
    are skipped with a reason, and each outcome also goes to the class as a LabProgress.
    With ``record=False`` nothing is filed (a caller polling until a step passes files
    only the last outcome, with ``record``). A failed step that a later, done step undoes
    on purpose comes back ``undone_by`` it; ``undone=False`` does not look (that costs
    checking the later step: a poller looks once, at the end, with ``mark_undone``).
    """
    lab = placing.place(cluster, lab)
    steps = [lab.step(step)] if step is not None else lab.steps
    results = [check_one(cluster, lab, one) for one in steps]
    if undone:
        known = {r.step: r for r in results}
        results = [mark_undone(cluster, lab, r, known=known) for r in results]
    if record:
        for result in results:
            record_result(cluster, result, progress=progress)
    return results


def undone_by(
    cluster: Connection,
    lab: Lab,
    step: Step,
    *,
    among: Sequence[Step] | None = None,
    known: Mapping[str, StepResult] | None = None,
) -> str | None:
    """The later step (of ``among``, default all) that undoes ``step`` on purpose
    (``Step.undoes``: the pool resized again, everything destroyed) and whose checks pass;
    ``known`` holds results already at hand, others are checked now."""
    later = lab.steps[lab.steps.index(step) + 1 :] if among is None else among
    for other in later:
        if step.id in other.undoes:
            result = (known or {}).get(other.id) or check_one(cluster, lab, other)
            if result.passed:
                return other.id
    return None


def mark_undone(
    cluster: Connection,
    lab: Lab,
    result: StepResult,
    *,
    known: Mapping[str, StepResult] | None = None,
) -> StepResult:
    """A failed step that a later, done step undoes on purpose is said so (``undone_by``):
    it was done, and is no longer on purpose, not a mistake to fix."""
    if result.passed or result.skipped:
        return result
    by = undone_by(cluster, lab, lab.step(result.step), known=known)
    return replace(result, undone_by=by) if by else result


def record_result(
    cluster: Connection, result: StepResult, *, progress: ProgressStore | None = None
) -> None:
    """File one outcome: the progress store, and the class's LabProgress for a learner.

    A step undone on purpose by a later one is not filed: it keeps the pass it had."""
    if result.undone_by:
        return
    store = progress or ProgressStore()
    store.record_check(
        cluster.context, result.lab, result.step, passed=result.passed, message=result.message
    )
    reporting.report(cluster, result)


def check_one(cluster: Connection, lab: Lab, step: Step) -> StepResult:
    """One step's checks; for a class learner, a step not theirs comes back skipped."""
    if not placing.is_learner(cluster):
        return check_step(cluster.api, lab, step)
    try:
        result = check_step(cluster.api, lab, step)
    except ClusterError as e:
        if e.status != 403:
            raise
        return StepResult(lab.id, step.id, step.title, (), skipped=placing.forbidden_reason(e))
    if not result.passed:
        reason = placing.reason_to_skip(cluster.api, lab, step)
        if reason:
            return replace(result, skipped=reason)
    return result
