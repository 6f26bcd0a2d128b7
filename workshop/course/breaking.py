"""Break-and-fix: ``break_step`` puts the cluster in the broken state a ``fix`` step starts
from (``Step.breaks``: a Service whose selector has a typo, an image that does not exist, a
probe that never succeeds); the learner repairs it, and the step's checks pass on the
repaired state. ``workshop reset`` takes a broken state away with the rest of the lab.

The breaking actions are self-contained: they work on a cluster where only the lab's
namespace exists as well as after the steps before, so ``workshop break`` works on any
cluster, at any time.
"""

from __future__ import annotations

from collections.abc import Callable

from workshop.cluster import Cluster
from workshop.course import actions, placing
from workshop.course.loading import Lab
from workshop.course.schema import Step
from workshop.course.solving import prepare
from workshop.errors import StepError, WorkshopError

Say = Callable[[str], None]


def fix_step(lab: Lab, ref: str | int) -> Step:
    """The break-and-fix step ``ref`` (id or number); a ``StepError`` for any other step."""
    step = lab.step(ref)
    if step.mode != "fix":
        fixes = [s.id for s in lab.steps if s.mode == "fix"]
        raise StepError(
            f"step {step.id} of lab {lab.number} is not a break-and-fix step",
            lab=lab.id,
            step=step.id,
            hint=f"the ones to break: {', '.join(fixes)}" if fixes else "this lab has none",
        )
    return step


def break_step(cluster: Cluster, lab: Lab, ref: str | int, *, say: Say | None = None) -> list[str]:
    """Run a fix step's breaking actions; what each did, in a line."""
    tell = say or (lambda _: None)
    lab = placing.place(cluster, lab)
    step = fix_step(lab, ref)
    if prepare(cluster, lab):
        tell(f"created namespace {lab.namespace}")
    done = []
    for action in step.breaks:
        tell(f"{step.id}: {actions.describe(lab, action)}")
        try:
            done.append(actions.run_action(cluster, lab, action))
        except WorkshopError as e:
            raise StepError(
                f"could not break step {step.id} ({step.title}): {e.message}",
                lab=lab.id,
                step=step.id,
                hint=e.hint,
            ) from e
    return done
