"""``check``: run a lab's checks on a cluster and file the outcome in the progress store.

The one entry point for the notebook's Check button, ``workshop check`` and tests.
"""

from __future__ import annotations

from typing import Protocol

from workshop.course.checks import Reader, StepResult, check_step
from workshop.course.loading import Lab
from workshop.course.progress import ProgressStore


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
) -> list[StepResult]:
    """Check one step (by id or number) or every step, and record each outcome."""
    store = progress or ProgressStore()
    steps = [lab.step(step)] if step is not None else lab.steps
    results = []
    for one in steps:
        result = check_step(cluster.api, lab, one)
        store.record_check(
            cluster.context, lab.id, one.id, passed=result.passed, message=result.message
        )
        results.append(result)
    return results
