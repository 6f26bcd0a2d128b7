"""Fast-forward: ``solve`` applies each step's solution in order and waits for its checks.

Steps whose checks already pass are left alone, so solving twice changes nothing and a
learner can solve only the step they are stuck on; so are steps that a later step, done
already, undoes on purpose (``Step.undoes``: the pool resized again, everything destroyed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from workshop.cluster import Cluster
from workshop.course import actions, checking, placing
from workshop.course.checks import Reader, StepResult, check_step
from workshop.course.loading import Lab
from workshop.course.progress import ProgressStore
from workshop.course.schema import Step
from workshop.errors import ClusterError, StepError, WorkshopError

TIMEOUT = 120.0
POLL = 0.5
LAB_LABEL = "workshop/lab"

Say = Callable[[str], None]


@dataclass(frozen=True)
class Solved:
    step: str
    applied: bool  # False when its checks already passed
    seconds: float
    result: StepResult


def prepare(cluster: Cluster, lab: Lab) -> bool:
    """Create the lab's namespace unless creating it is one of its steps; True if created.

    A class learner's namespaces exist already (the class created them): nothing to do.
    """
    lab = placing.place(cluster, lab)
    if placing.is_learner(cluster):
        if cluster.api.get("v1", "Namespace", lab.namespace, None) is None:
            raise StepError(
                f"your class has no namespace {lab.namespace} for lab {lab.id}",
                lab=lab.id,
                step=None,
                hint="ask your instructor: `workshop class create` makes one per lab",
            )
        return False
    if not lab.spec.create_namespace:
        return False
    if cluster.api.get("v1", "Namespace", lab.namespace, None) is not None:
        return False
    cluster.api.apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": lab.namespace, "labels": {LAB_LABEL: lab.id}},
        }
    )
    return True


def solve(
    cluster: Cluster,
    lab: Lab,
    upto: str | int | None = None,
    *,
    timeout: float = TIMEOUT,
    say: Say | None = None,
    progress: ProgressStore | None = None,
    skip: Collection[str] = (),
    only: bool = False,
) -> list[Solved]:
    """Apply the solutions of the steps up to ``upto`` (all when ``None``), in order.

    Steps named in ``skip`` are left out (e.g. those needing a load balancer the cluster
    lacks; ``Step.requires`` says which). With ``only``, the step ``upto`` alone: what a
    learner's own cell does in its place (a challenge, a repair), nothing before it.
    """
    if only and upto is None:
        raise ValueError("only= needs the step to solve")
    store = progress or ProgressStore()
    tell = say or (lambda _: None)
    lab = placing.place(cluster, lab)
    if prepare(cluster, lab):
        tell(f"created namespace {lab.namespace}")
    done = []
    steps = [lab.step(upto)] if only and upto is not None else lab.steps_upto(upto)
    for step in steps:
        if step.id in skip:
            continue
        started = time.monotonic()
        before = checking.check_one(cluster, lab, step)
        later = [s for s in steps[steps.index(step) + 1 :] if s.id not in skip]
        leave = _left_alone(cluster, lab, step, before, later)
        if leave:
            tell(f"{step.id}: {leave}")
            done.append(Solved(step.id, False, 0.0, before))
            continue
        reason: str | None = None
        for action in step.solution:
            tell(f"{step.id}: {actions.describe(lab, action)}")
            try:
                actions.run_action(cluster, lab, action)
            except ClusterError as e:
                # a class's rights (403) or limits (422: a LimitRange) refuse it
                if not (placing.is_learner(cluster) and e.status in (403, 422)):
                    raise StepError(
                        f"step {step.id} ({step.title}): {e.message}",
                        lab=lab.id,
                        step=step.id,
                        hint=e.hint,
                    ) from e
                reason = placing.forbidden_reason(e)
                break
            except WorkshopError as e:
                if placing.is_learner(cluster) and "forbidden" in e.message.lower():
                    reason = placing.forbidden_reason(ClusterError(e.message, status=403))
                    break
                raise StepError(
                    f"step {step.id} ({step.title}): {e.message}",
                    lab=lab.id,
                    step=step.id,
                    hint=e.hint,
                ) from e
        if reason:  # a class learner may not do this step: never a raw Forbidden
            tell(f"{step.id}: {reason}")
            done.append(Solved(step.id, False, 0.0, replace(before, skipped=reason)))
            continue
        try:
            result = wait_for(cluster.api, lab, step, timeout=timeout, say=tell)
        except ClusterError as e:
            if not (placing.is_learner(cluster) and e.status == 403):
                raise
            skipped = replace(before, skipped=placing.forbidden_reason(e))
            tell(f"{step.id}: {skipped.skipped}")
            done.append(Solved(step.id, True, time.monotonic() - started, skipped))
            continue
        store.record_check(
            cluster.context, lab.id, step.id, passed=True, message=result.message, solved=True
        )
        done.append(Solved(step.id, True, time.monotonic() - started, result))
    return done


def _left_alone(
    cluster: Cluster, lab: Lab, step: Step, before: StepResult, later: list[Step]
) -> str | None:
    """Why ``solve`` leaves ``step`` as it is: not a class learner's to do, done already,
    or undone on purpose by a later step that is done; None: solve it."""
    if before.skipped and placing.is_learner(cluster):
        return before.skipped
    if before.passed:
        return "already done"
    undone_by = checking.undone_by(cluster, lab, step, among=later)
    return f"undone on purpose by {undone_by}, which is done" if undone_by else None


def wait_for(
    reader: Reader, lab: Lab, step: Step, *, timeout: float = TIMEOUT, say: Say | None = None
) -> StepResult:
    """Check ``step`` until it passes; ``StepError`` with the last failure after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_message = ""
    while True:
        result = check_step(reader, lab, step)
        if result.passed:
            return result
        if say and result.message != last_message:
            say(f"{step.id}: waiting: {result.message}")
            last_message = result.message
        if time.monotonic() > deadline:
            needs = f" (it needs: {', '.join(step.requires)})" if step.requires else ""
            raise StepError(
                f"step {step.id} ({step.title}): the solution is applied but its checks "
                f"still fail after {timeout:.0f}s{needs}: {result.message}",
                lab=lab.id,
                step=step.id,
                hint=result.hint,
            )
        time.sleep(POLL)
