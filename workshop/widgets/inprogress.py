"""Whether a failing check is worth waiting for: is something still on its way?

A Check button with ``wait=`` keeps checking only while the cluster says that something is
in progress, read from the cluster itself (never from the time a step usually takes):

- in the lab's namespace (and those its checks name): a pod being scheduled, created,
  started or deleted; a pod that started less than ``SETTLING`` seconds ago and is not
  ready yet; a Deployment, StatefulSet or DaemonSet its controller has not caught up with,
  or whose pods are still coming (none of them stalled); a claim being provisioned for a
  pod the scheduler placed; a LoadBalancer Service waiting for its address; the namespace
  itself being deleted;
- for the check that failed: the object it reads, created less than ``SETTLING`` seconds
  ago, when the check looks at what the cluster writes there (``status``, conditions, a
  pod's log: a container about to be OOMKilled, a claim about to bind); a Node not Ready
  yet (a node pool growing), a Helm release ``pending-...``, a managed cluster or node
  pool not ``READY`` yet or being deleted.

A stalled state is not progress: an image that cannot be pulled, a container that keeps
crashing, a pod no node can take, a rollout past its deadline, a pod running but not
ready for longer than ``SETTLING`` seconds (a readiness probe that does not pass). Nothing
moving at all (the step simply not done) is not progress either: the button answers at
once. ``CheckButton`` also keeps waiting while the check's own outcome changes from one
attempt to the next (something moved that these rules do not know).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from workshop.course import Lab, Reader, Step, StepResult
from workshop.course.schema import Check, ConditionCheck, ExistsCheck, LogCheck, NodeCountCheck
from workshop.errors import WorkshopError

Object = dict[str, Any]

SETTLING = 60.0  # seconds a started pod may take to become ready before it counts as stalled
STALLED = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "ErrImageNeverPull",
        "InvalidImageName",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "OOMKilled",
        "Error",
    }
)
# What checks say of a far side still busy (OVHcloud statuses, Helm's pending states).
BUSY = re.compile(
    r"not READY yet|is being deleted|not gone yet|is pending-|has not seen the latest change"
)


def reason(
    api: Reader, lab: Lab, step: Step, result: StepResult, *, now: datetime | None = None
) -> str | None:
    """What is still in progress that could make ``result`` pass, or ``None``."""
    when = now or datetime.now(UTC)
    try:
        return _reason(api, lab, step, result, when)
    except WorkshopError:  # unreadable (a learner's rights, a cluster gone): nothing to wait for
        return None


def _reason(api: Reader, lab: Lab, step: Step, result: StepResult, now: datetime) -> str | None:
    for check, outcome in zip(step.checks, result.results, strict=False):
        if outcome.passed:
            continue
        if BUSY.search(outcome.message):
            return outcome.message
        if isinstance(check, NodeCountCheck):
            for node in api.list("v1", "Node", label_selector=check.selector):
                if not _ready(node) and not _deleting(node):
                    return f"node {_name(node)} is not Ready yet"
        young = _young_status(api, lab, check, now)
        if young:
            return young
    namespaces = dict.fromkeys(
        [lab.namespace]
        + [lab.localize(named) for c in step.checks if (named := getattr(c, "namespace", None))]
    )
    for namespace in namespaces:
        found = settling(api, namespace, now=now)
        if found:
            return found
    return None


def _young_status(api: Reader, lab: Lab, check: Check, now: datetime) -> str | None:
    """The check reads what the cluster writes in an object that has just been created."""
    if isinstance(check, ExistsCheck):
        if not any(f.path.startswith("status") for f in check.fields):
            return None  # what the learner writes (spec, data, labels) does not fill in later
    elif not isinstance(check, (ConditionCheck, LogCheck)):
        return None
    target = check.target
    if target.name is None:
        return None
    namespace = lab.localize(check.namespace) if check.namespace else lab.namespace
    obj = api.get(target.api_version, target.kind, target.name, namespace)
    created = _time(((obj or {}).get("metadata") or {}).get("creationTimestamp"))
    if created is None:
        return None
    age = (now - created).total_seconds()
    if age >= SETTLING:
        return None
    return f"{target.show()} is {max(age, 0):.0f}s old: the cluster is still filling in its status"


def settling(api: Reader, namespace: str, *, now: datetime | None = None) -> str | None:
    """Something in ``namespace`` still on its way (see the module's rules), or ``None``."""
    when = now or datetime.now(UTC)
    return next(_settling(api, namespace, when), None)


def _settling(api: Reader, namespace: str, now: datetime) -> Iterator[str]:
    space = api.get("v1", "Namespace", namespace, None)
    if space is None:
        return
    if _deleting(space):
        yield f"namespace {namespace} is being deleted"
    pods = api.list("v1", "Pod", namespace=namespace)
    for pod in pods:
        state = _pod_settling(pod, now)
        if state:
            yield f"pod {_name(pod)} {state}"
    for kind in ("Deployment", "StatefulSet", "DaemonSet"):
        for workload in api.list("apps/v1", kind, namespace=namespace):
            state = _workload_settling(kind, workload, pods, now)
            if state:
                yield f"{kind.lower()} {_name(workload)} {state}"
    for claim in api.list("v1", "PersistentVolumeClaim", namespace=namespace):
        notes = (claim.get("metadata") or {}).get("annotations") or {}
        phase = (claim.get("status") or {}).get("phase")
        if phase == "Pending" and "volume.kubernetes.io/selected-node" in notes:
            yield f"persistentvolumeclaim {_name(claim)} is being provisioned"
    for service in api.list("v1", "Service", namespace=namespace):
        spec, status = service.get("spec") or {}, service.get("status") or {}
        if spec.get("type") == "LoadBalancer" and not (status.get("loadBalancer") or {}).get(
            "ingress"
        ):
            yield f"service {_name(service)} is waiting for its load balancer address"


def _pod_settling(pod: Object, now: datetime) -> str | None:
    """How a pod is still on its way (``None`` when it is done, ready, or stalled)."""
    if _deleting(pod):
        return "is terminating"
    status = pod.get("status") or {}
    phase = status.get("phase") or "Pending"
    if phase in ("Succeeded", "Failed") or _ready(pod):
        return None
    if _stalled(pod):
        return None
    scheduled = _condition(pod, "PodScheduled") or {}
    if scheduled.get("status") != "True":
        return "is being scheduled"
    if phase == "Pending":
        return "is starting (Pending)"
    started = _time(status.get("startTime"))
    if started is None or (now - started).total_seconds() < SETTLING:
        return "is running but not ready yet"
    return None  # running, not ready for a long while: a readiness probe that does not pass


def _stalled(pod: Object) -> bool:
    scheduled = _condition(pod, "PodScheduled") or {}
    if scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable":
        return True
    status = pod.get("status") or {}
    for container in (status.get("containerStatuses") or []) + (
        status.get("initContainerStatuses") or []
    ):
        state = container.get("state") or {}
        for key in ("waiting", "terminated"):
            if (state.get(key) or {}).get("reason") in STALLED:
                return True
        last = (container.get("lastState") or {}).get("terminated") or {}
        if last.get("reason") in STALLED:
            return True
    return False


def _workload_settling(kind: str, obj: Object, pods: list[Object], now: datetime) -> str | None:
    meta, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    if _deleting(obj):
        return "is being deleted"
    if meta.get("generation", 0) > status.get("observedGeneration", 0):
        return "has a change its controller has not seen yet"
    progressing = _condition(obj, "Progressing") or {}
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return None
    if (_condition(obj, "ReplicaFailure") or {}).get("status") == "True":
        return None  # its pods cannot be created (a quota, an admission policy)
    if kind == "DaemonSet":
        wanted = _int(status.get("desiredNumberScheduled"))
        behind = min(
            _int(status.get("updatedNumberScheduled")), _int(status.get("numberAvailable"))
        )
    else:
        wanted = _int(spec.get("replicas"), 1)
        ready = "availableReplicas" if kind == "Deployment" else "readyReplicas"
        behind = min(_int(status.get("updatedReplicas")), _int(status.get(ready)))
        if _int(status.get("replicas")) > wanted:
            behind = -1  # old pods still going away
    if behind >= wanted:
        return None
    labels = (spec.get("selector") or {}).get("matchLabels") or {}
    own = [p for p in pods if _matches(labels, p)]
    if any(_stalled(p) for p in own):
        return None  # stuck on a pod that will not start: not worth waiting
    if own and not any(_pod_settling(p, now) for p in own) and behind >= 0:
        return None  # its pods are as far as they go (a readiness probe that never passes)
    return "is rolling out"


def _matches(labels: dict[str, str], pod: Object) -> bool:
    have = (pod.get("metadata") or {}).get("labels") or {}
    return bool(labels) and all(have.get(k) == v for k, v in labels.items())


def _condition(obj: Object, kind: str) -> Object | None:
    for found in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(found, dict) and found.get("type") == kind:
            return found
    return None


def _ready(obj: Object) -> bool:
    return (_condition(obj, "Ready") or {}).get("status") == "True"


def _deleting(obj: Object) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def _name(obj: Object) -> str:
    return str((obj.get("metadata") or {}).get("name", "?"))


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _int(value: Any, default: int = 0) -> int:
    return int(value) if isinstance(value, int) else default
