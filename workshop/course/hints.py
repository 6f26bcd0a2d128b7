"""Tiered hints: from a nudge to the exact command; the last tier is the solution itself.

``next_hint`` reveals one more tier each time it is called, and remembers the tier reached
in the progress store, so a restarted kernel does not start over.
"""

from __future__ import annotations

from dataclasses import dataclass

from workshop.course import actions
from workshop.course.loading import Lab
from workshop.course.progress import ProgressStore
from workshop.course.schema import Step


@dataclass(frozen=True)
class Hint:
    tier: int  # from 1
    total: int
    text: str
    is_solution: bool


def solution_text(lab: Lab, step: Step) -> str:
    """The solution as commands to type (and how to have the workshop apply it)."""
    lines = [f"Solution (`workshop solve {lab.number} {step.id}` applies it for you):"]
    lines += [f"  {actions.describe(lab, action)}" for action in step.solution]
    return "\n".join(lines)


def tiers(lab: Lab, step: Step) -> list[str]:
    return [*(lab.localize(h) for h in step.hints), solution_text(lab, step)]


def next_hint(
    lab: Lab,
    step: Step,
    *,
    context: str,
    progress: ProgressStore | None = None,
    record: bool = True,
) -> Hint:
    """The next tier for this learner on this cluster (the last one again once reached).

    With ``record=False`` the caller files the tier itself (``ProgressStore.record_hint``):
    the hint can then be shown first, even where it cannot be saved."""
    store = progress or ProgressStore()
    texts = tiers(lab, step)
    reached = store.step(context, lab.id, step.id).hint_tier
    tier = min(reached + 1, len(texts))
    if record:
        store.record_hint(context, lab.id, step.id, tier)
    return Hint(tier, len(texts), texts[tier - 1], tier == len(texts))
