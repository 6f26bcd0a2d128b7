"""Checks on workloads and nodes: a rollout is complete, N pods are Ready, a pool has N nodes.

The rollout logic is kubectl's (``kubectl rollout status``), so the check agrees with what
the learner sees in a terminal.
"""

from __future__ import annotations

from typing import Any

from workshop.course.checks.base import (
    CheckResult,
    Object,
    Reader,
    condition,
    deleting,
    failed,
    name_of,
    passed,
)
from workshop.course.schema import NodeCountCheck, PodsReadyCheck, RolloutCheck


def rollout(reader: Reader, check: RolloutCheck, namespace: str) -> CheckResult:
    target = check.target
    assert target.name is not None  # the schema requires it
    obj = reader.get(target.api_version, target.kind, target.name, namespace)
    status_cmd = f"`{target.kubectl('rollout status', namespace)}` follows it"
    if obj is None:
        return failed(
            f"{target.show()} not found{target.where(namespace)}",
            hint=f"`{target.kubectl('get', namespace, named=False)}` lists what is there",
        )
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    if meta.get("generation", 0) > status.get("observedGeneration", 0):
        return failed(f"{target.show()}: its controller has not seen the latest change yet")
    problem = {"Deployment": _deployment, "StatefulSet": _statefulset, "DaemonSet": _daemonset}[
        target.kind
    ](spec, status)
    if problem:
        return failed(f"{target.show()} {problem}", hint=status_cmd)
    return passed(f"{target.show()} has rolled out ({_ready_summary(target.kind, spec, status)})")


def _deployment(spec: Object, status: Object) -> str | None:
    wanted = _int(spec.get("replicas"), 1)
    progressing = condition({"status": status}, "Progressing") or {}
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return f"exceeded its progress deadline ({progressing.get('message', '')})"
    updated = _int(status.get("updatedReplicas"))
    if updated < wanted:
        return f"has {updated}/{wanted} replicas updated"
    old = _int(status.get("replicas")) - updated
    if old > 0:
        return f"has {old} old replica{'s' if old > 1 else ''} still terminating"
    available = _int(status.get("availableReplicas"))
    if available < updated:
        return f"has {available}/{wanted} ready replicas"
    return None


def _statefulset(spec: Object, status: Object) -> str | None:
    wanted = _int(spec.get("replicas"), 1)
    ready = _int(status.get("readyReplicas"))
    if ready < wanted:
        return f"has {ready}/{wanted} ready replicas"
    strategy = spec.get("updateStrategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return None
    partition = _int((strategy.get("rollingUpdate") or {}).get("partition"))
    updated = _int(status.get("updatedReplicas"))
    if partition and updated < wanted - partition:
        return f"has {updated}/{wanted - partition} pods at the new revision"
    if not partition and status.get("updateRevision") != status.get("currentRevision"):
        return f"has {updated}/{wanted} pods at the new revision"
    return None


def _daemonset(spec: Object, status: Object) -> str | None:
    wanted = _int(status.get("desiredNumberScheduled"))
    updated = _int(status.get("updatedNumberScheduled"))
    if updated < wanted:
        return f"has {updated}/{wanted} pods updated"
    available = _int(status.get("numberAvailable"))
    if available < wanted:
        return f"has {available}/{wanted} ready pods"
    return None


def _ready_summary(kind: str, spec: Object, status: Object) -> str:
    if kind == "DaemonSet":
        return f"{_int(status.get('numberAvailable'))} pods ready"
    wanted = _int(spec.get("replicas"), 1)
    field = "availableReplicas" if kind == "Deployment" else "readyReplicas"
    return f"{_int(status.get(field))}/{wanted} ready replicas"


def pods_ready(reader: Reader, check: PodsReadyCheck, namespace: str) -> CheckResult:
    pods = [
        p
        for p in reader.list("v1", "Pod", namespace=namespace, label_selector=check.selector)
        if not deleting(p)
    ]
    ready = len([p for p in pods if is_ready(p)])
    selected, where = f"with {check.selector}", f"in namespace {namespace}"
    hint = f"`kubectl get pods -n {namespace} -l {check.selector}` shows them"
    if check.counts(ready):
        return passed(f"{_pods(ready)} {selected} {_are(ready)} ready {where}")
    if not pods:
        return failed(f"no pods {selected} {where} (expected {check.expected()} ready)", hint=hint)
    if check.count is not None and ready > check.count:
        return failed(
            f"{_pods(ready)} {selected} {_are(ready)} ready {where}, expected {check.count}",
            hint=hint,
        )
    waiting = [p for p in pods if not is_ready(p)]
    why = f"; {name_of(waiting[0])} is {pod_state(waiting[0])}" if waiting else ""
    if check.count is not None:
        return failed(f"{ready}/{_pods(check.count)} {selected} are ready {where}{why}", hint=hint)
    return failed(
        f"{_pods(ready)} {selected} {_are(ready)} ready {where}, expected {check.expected()}{why}",
        hint=hint,
    )


def _pods(n: int) -> str:
    return f"{n} pod" if n == 1 else f"{n} pods"


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


def is_ready(obj: Object) -> bool:
    """Pods and nodes alike: the ``Ready`` condition is ``True``."""
    return (condition(obj, "Ready") or {}).get("status") == "True"


def pod_state(pod: Object) -> str:
    """Why a pod is not ready, as ``kubectl get pods`` would say it."""
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        for key in ("waiting", "terminated"):
            reason = (state.get(key) or {}).get("reason")
            if reason:
                return str(reason)
    scheduled = condition(pod, "PodScheduled") or {}
    if scheduled.get("status") == "False":
        return f"Pending ({scheduled.get('reason', 'unschedulable')})"
    phase = str(status.get("phase") or "Pending")
    return "Running but not ready" if phase == "Running" else phase


def node_count(reader: Reader, check: NodeCountCheck, namespace: str) -> CheckResult:
    nodes = reader.list("v1", "Node", label_selector=check.selector)
    counted = len([n for n in nodes if is_ready(n)] if check.ready else nodes)
    which = f"with {check.selector}" if check.selector else "in the cluster"
    noun = ("Ready node" if check.ready else "node") + ("" if counted == 1 else "s")
    hint = "`kubectl get nodes --show-labels` shows the nodes and their labels" + (
        f" (`-l {check.selector}` selects these)" if check.selector else ""
    )
    if check.counts(counted):
        return passed(f"{counted} {noun} {which}")
    extra = f" ({len(nodes)} in all)" if check.ready and len(nodes) != counted else ""
    return failed(f"{counted} {noun} {which}{extra}, expected {check.expected()}", hint=hint)


def _int(value: Any, default: int = 0) -> int:
    return int(value) if isinstance(value, int) else default
