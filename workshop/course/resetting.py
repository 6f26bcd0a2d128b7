"""``reset``: remove what a lab created (its namespace and what its steps' cleanup lists),
then wait until it is gone, so the lab can start again from scratch."""

from __future__ import annotations

import time
from collections.abc import Callable

from workshop.cluster import Cluster
from workshop.course import actions
from workshop.course.loading import Lab
from workshop.course.objects import ObjectName
from workshop.errors import StepError, WorkshopError

TIMEOUT = 180.0
POLL = 0.5


def reset(
    cluster: Cluster,
    lab: Lab,
    *,
    timeout: float = TIMEOUT,
    say: Callable[[str], None] | None = None,
) -> list[str]:
    """Delete the lab's namespace and run every cleanup, then wait; what was done."""
    tell = say or (lambda _: None)
    pending: list[tuple[ObjectName, str | None]] = []
    commands: list[str] = []
    if cluster.api.delete("v1", "Namespace", lab.namespace, None):
        tell(f"deleting namespace {lab.namespace}")
        pending.append((ObjectName("v1", "Namespace", lab.namespace), None))
    for step in reversed(lab.steps):
        for action in reversed(step.cleanup):
            tell(f"{step.id}: {actions.describe(lab, action)}")
            try:
                deleted = actions.run_cleanup(cluster, lab, action)
            except WorkshopError as e:
                raise StepError(
                    f"cleanup of step {step.id}: {e.message}", lab=lab.id, step=step.id, hint=e.hint
                ) from e
            if deleted:
                pending.append(deleted)
            elif action.kubectl is not None or action.python is not None:
                commands.append(actions.describe(lab, action))
    _wait_gone(cluster, lab, pending, timeout)
    return [f"removed {target.show()}" for target, _ in pending] + [f"ran {c}" for c in commands]


def _wait_gone(
    cluster: Cluster, lab: Lab, pending: list[tuple[ObjectName, str | None]], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        pending = [
            (target, namespace)
            for target, namespace in pending
            if cluster.api.get(target.api_version, target.kind, target.name or "", namespace)
        ]
        if not pending:
            return
        if time.monotonic() > deadline:
            names = ", ".join(target.show() for target, _ in pending)
            raise StepError(
                f"reset of lab {lab.id}: {names} still being deleted after {timeout:.0f}s",
                lab=lab.id,
                step=None,
                hint=f"`kubectl get namespace {lab.namespace} -o yaml` shows what holds it "
                "(finalizers, conditions)",
            )
        time.sleep(POLL)
