"""What the Check button waits for: something on its way, read from the cluster; never a
step simply not done, nor a stuck state (a bad image, a pod no node takes, a dead rollout)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.unit.test_widgets_questions import write_lab
from workshop.course import CheckResult, RecordedCluster, Step, StepResult
from workshop.widgets import inprogress

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
NS = "lab-97"


def namespace(deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": NS}
    if deleting:
        meta["deletionTimestamp"] = "2026-12-07T11:59:00Z"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def pod(
    name: str,
    *,
    ready: bool = False,
    started: float | None = None,
    waiting: str = "",
    unschedulable: bool = False,
) -> dict[str, Any]:
    conditions = [
        {"type": "Ready", "status": str(ready)},
        {"type": "PodScheduled", "status": "False" if unschedulable else "True"}
        | ({"reason": "Unschedulable"} if unschedulable else {}),
    ]
    status: dict[str, Any] = {"phase": "Running" if started is not None else "Pending"}
    status["conditions"] = conditions
    if started is not None:
        status["startTime"] = (NOW - timedelta(seconds=started)).isoformat()
    if waiting:
        status["containerStatuses"] = [{"name": "app", "state": {"waiting": {"reason": waiting}}}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {"app": "web"}},
        "status": status,
    }


def deployment(
    *, replicas: int = 3, available: int = 0, generation: int = 1, observed: int = 1, **extra: Any
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "observedGeneration": observed,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "availableReplicas": available,
        **extra,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NS, "generation": generation},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}},
        "status": status,
    }


def settling(*objects: dict[str, Any]) -> str | None:
    return inprogress.settling(RecordedCluster([namespace(), *objects]), NS, now=NOW)


def test_pods_on_their_way_are_progress_and_stuck_ones_are_not() -> None:
    assert settling() is None  # nothing there: the step is simply not done
    assert settling(pod("a", ready=True, started=5)) is None
    assert settling(pod("a")) == "pod a is starting (Pending)"
    assert settling(pod("a", started=10)) == "pod a is running but not ready yet"
    assert settling(pod("a", started=600)) is None  # a readiness probe that never passes
    assert settling(pod("a", waiting="ImagePullBackOff")) is None
    assert settling(pod("a", waiting="CrashLoopBackOff", started=5)) is None
    assert settling(pod("a", unschedulable=True)) is None


def test_a_rollout_under_way_is_progress_unless_it_is_stuck() -> None:
    assert settling(deployment(generation=2)) == (
        "deployment web has a change its controller has not seen yet"
    )
    assert settling(deployment()) == "deployment web is rolling out"  # no pods yet
    assert settling(deployment(available=3)) is None
    stuck = deployment(conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}])
    assert settling(stuck) is None
    assert settling(deployment(), pod("a", waiting="ErrImagePull")) is None
    quota = deployment(conditions=[{"type": "ReplicaFailure", "status": "True"}])
    assert settling(quota) is None


def test_a_load_balancer_without_its_address_and_a_namespace_going_away_are_progress() -> None:
    service: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "hello", "namespace": NS},
        "spec": {"type": "LoadBalancer"},
        "status": {},
    }
    assert settling(service) == "service hello is waiting for its load balancer address"
    service["status"] = {"loadBalancer": {"ingress": [{"ip": "127.0.0.1"}]}}
    assert settling(service) is None
    api = RecordedCluster([namespace(deleting=True)])
    assert inprogress.settling(api, NS, now=NOW) == f"namespace {NS} is being deleted"


def test_a_failing_check_that_says_its_far_side_is_busy_is_progress(tmp_path: Path) -> None:
    lab = write_lab(tmp_path)
    step = lab.step("make")
    api = RecordedCluster([namespace()])

    def result(message: str) -> StepResult:
        return StepResult(lab.id, step.id, step.title, (CheckResult(False, message),))

    busy = result("release wordpress (revision 2) is pending-upgrade, expected deployed")
    assert inprogress.reason(api, lab, step, busy, now=NOW) == busy.message
    assert inprogress.reason(api, lab, step, result("configmap colour not found"), now=NOW) is None


def test_a_status_the_cluster_is_still_filling_in_is_progress_for_a_minute(
    tmp_path: Path,
) -> None:
    lab = write_lab(tmp_path)
    oom = Step.model_validate(
        {
            "id": "oom",
            "title": "OOMKilled",
            "instructions": "Run a pod that uses too much memory.",
            "checks": [
                {
                    "kind": "exists",
                    "object": "Pod/hog",
                    "fields": {"status.containerStatuses[0].state.terminated.reason": "OOMKilled"},
                }
            ],
            "hints": ["Limits."],
            "solution": [{"kubectl": "run hog --image=busybox"}],
        }
    )
    failing = StepResult(lab.id, "oom", "OOMKilled", (CheckResult(False, "pod hog: ..."),))

    def hog(age: float) -> dict[str, Any]:
        running = pod("hog", ready=True, started=age)
        running["metadata"]["creationTimestamp"] = (NOW - timedelta(seconds=age)).isoformat()
        return running

    young = RecordedCluster([namespace(), hog(5)])
    assert inprogress.reason(young, lab, oom, failing, now=NOW) == (
        "pod hog is 5s old: the cluster is still filling in its status"
    )
    old = RecordedCluster([namespace(), hog(120)])
    assert inprogress.reason(old, lab, oom, failing, now=NOW) is None
    # what the learner writes (a ConfigMap's data) is not filled in later: no wait
    colour = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "colour", "namespace": NS, "creationTimestamp": NOW.isoformat()},
        "data": {"colour": "red"},
    }
    fix = lab.step("fix-colour")
    wrong = StepResult(lab.id, fix.id, fix.title, (CheckResult(False, "configmap colour: ..."),))
    assert (
        inprogress.reason(RecordedCluster([namespace(), colour]), lab, fix, wrong, now=NOW) is None
    )
