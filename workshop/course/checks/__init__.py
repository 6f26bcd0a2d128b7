"""Outcome-based checks: what the cluster looks like, read through the Kubernetes API only.

One check function, three callers: the notebook's Check button, ``workshop check`` and
pytest. ``check_step`` is pure over a ``Reader`` (the real ``KubeApi``, or objects held in
memory for tests); ``workshop.course.check`` adds the progress record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from workshop.course.checks import (
    access,
    cloud,
    helm,
    images,
    logs,
    managed,
    objects,
    plans,
    versions,
    web,
    workloads,
)
from workshop.course.checks.base import CheckResult, Reader
from workshop.course.loading import Lab
from workshop.course.schema import (
    AbsentCheck,
    CanICheck,
    Check,
    ConditionCheck,
    ExistsCheck,
    HelmReleaseCheck,
    HttpCheck,
    ImageCheck,
    LogCheck,
    ManagedClusterCheck,
    NodeCountCheck,
    OvhClusterCheck,
    OvhIpRestrictionsCheck,
    OvhKubeCheck,
    OvhNodePoolCheck,
    PodsReadyCheck,
    RefusedCheck,
    RolloutCheck,
    ServerVersionCheck,
    Step,
    TerraformPlanCheck,
    TerraformStateCheck,
)
from workshop.errors import ClusterError

__all__ = ["CheckResult", "Reader", "StepResult", "check_step", "run_check"]

_RUNNERS: dict[type[Any], Callable[[Reader, Any, str], CheckResult]] = {
    ExistsCheck: objects.exists,
    AbsentCheck: objects.absent,
    ConditionCheck: objects.has_condition,
    RolloutCheck: workloads.rollout,
    PodsReadyCheck: workloads.pods_ready,
    NodeCountCheck: workloads.node_count,
    HttpCheck: web.answers,
    HelmReleaseCheck: helm.deployed,
    LogCheck: logs.contains,
    ImageCheck: images.built,
    CanICheck: access.can_i,
    RefusedCheck: access.refused,
    ServerVersionCheck: versions.names_server_version,
    OvhKubeCheck: cloud.managed_cluster,
    TerraformPlanCheck: plans.plan_is_empty,
    TerraformStateCheck: plans.state_holds,
    OvhClusterCheck: managed.cluster,
    OvhNodePoolCheck: managed.nodepool,
    OvhIpRestrictionsCheck: managed.ip_restrictions,
}


def run_check(reader: Reader, check: Check, *, namespace: str) -> CheckResult:
    """Run one check; ``namespace`` is the lab's, unless the check names its own.

    A kind the cluster does not serve (a CRD not installed yet) fails the check; a cluster
    that cannot be reached, or refuses to answer, raises ``ClusterError``.
    """
    try:
        if isinstance(check, ManagedClusterCheck):
            result = managed.in_managed_cluster(reader, check, namespace, run=_run_inner)
        else:
            result = _RUNNERS[type(check)](reader, check, check.namespace or namespace)
    except ClusterError as e:
        if e.status != 404:
            raise
        result = CheckResult(False, e.message, e.hint)
    if not result.passed and check.hint:
        result = replace(result, hint=check.hint)
    return result


def _run_inner(reader: Reader, check: Check, namespace: str) -> CheckResult:
    return run_check(reader, check, namespace=namespace)


@dataclass(frozen=True)
class StepResult:
    """Every check of one step, in order."""

    lab: str
    step: str
    title: str
    results: tuple[CheckResult, ...]
    skipped: str | None = None  # why a class learner skips this step (not theirs to do)
    undone_by: str | None = None  # a later step, done, that changes this one's outcome on purpose

    @property
    def passed(self) -> bool:
        return not self.skipped and all(r.passed for r in self.results)

    @property
    def message(self) -> str:
        """The first failure's message (what to fix first), or a summary when all pass."""
        if self.skipped:
            return self.skipped
        for result in self.results:
            if not result.passed:
                return result.message
        return "; ".join(r.message for r in self.results)

    @property
    def hint(self) -> str | None:
        return next((r.hint for r in self.results if not r.passed and r.hint), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "step": self.step,
            "title": self.title,
            "passed": self.passed,
            **({"skipped": self.skipped} if self.skipped else {}),
            **({"undone_by": self.undone_by} if self.undone_by else {}),
            "checks": [
                {"passed": r.passed, "message": r.message, "hint": r.hint} for r in self.results
            ],
        }


def check_step(reader: Reader, lab: Lab, step: Step) -> StepResult:
    """Run every check of ``step`` against the cluster ``reader`` reads."""
    results = tuple(
        run_check(reader, _placed(lab, c), namespace=lab.namespace) for c in step.checks
    )
    return StepResult(lab.id, step.id, step.title, results)


def _placed(lab: Lab, check: Check) -> Check:
    """A check naming the lab's namespace itself names the learner's, in a class."""
    if not lab.prefix:
        return check
    update: dict[str, str] = {}
    if check.namespace == lab.base_namespace:
        update["namespace"] = lab.namespace
    target = getattr(check, "target", None)
    if target is not None and target.kind == "Namespace" and target.name == lab.base_namespace:
        update["object"] = f"Namespace/{lab.namespace}"
    return check.model_copy(update=update) if update else check
