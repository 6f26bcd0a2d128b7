"""``check``: run a lab's checks on a cluster and file the outcome in the progress store.

The one entry point for the notebook's Check button, ``workshop check`` and tests.
"""

from __future__ import annotations

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
) -> list[StepResult]:
    """Check one step (by id or number) or every step, and record each outcome.

    On a class learner's kubeconfig the lab runs in their namespaces, steps outside them
    are skipped with a reason, and each outcome also goes to the class as a LabProgress.
    With ``record=False`` nothing is filed (a caller polling until a step passes files
    only the last outcome, with ``record``).
    """
    lab = placing.place(cluster, lab)
    steps = [lab.step(step)] if step is not None else lab.steps
    results = []
    for one in steps:
        result = check_one(cluster, lab, one)
        if record:
            record_result(cluster, result, progress=progress)
        results.append(result)
    return results


def record_result(
    cluster: Connection, result: StepResult, *, progress: ProgressStore | None = None
) -> None:
    """File one outcome: the progress store, and the class's LabProgress for a learner."""
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
