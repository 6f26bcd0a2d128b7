"""A pod's log says something: the words a program prints when it finds what it expects
(e.g. a database that finds its files on a volume instead of creating them)."""

from __future__ import annotations

from workshop.course.checks.base import CheckResult, Reader, deleting, failed, passed
from workshop.course.schema import LogCheck
from workshop.errors import ClusterError


def contains(reader: Reader, check: LogCheck, namespace: str) -> CheckResult:
    target = check.target
    assert target.name is not None  # the schema requires it
    pod = reader.get("v1", "Pod", target.name, namespace)
    command = f"kubectl logs {target.name} -n {namespace}"
    if pod is None:
        return failed(
            f"pod {target.name} not found in namespace {namespace}",
            hint=f"`kubectl get pods -n {namespace}` lists what is there",
        )
    if deleting(pod):
        return failed(f"pod {target.name} is being deleted; its replacement is not there yet")
    containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    container = check.container or (containers[0] if containers else None)
    if check.container:
        command += f" -c {check.container}"
    try:
        log = reader.logs(target.name, namespace, container=container)
    except ClusterError as e:
        reason = e.message.rpartition("): ")[2] or e.message
        return failed(
            f"the log of pod {target.name} cannot be read yet: {reason}",
            hint=f"`kubectl describe pod {target.name} -n {namespace}` shows why",
        )
    if check.contains not in log:
        lines = len(log.splitlines())
        return failed(
            f"the log of pod {target.name} ({lines} lines) does not say {check.contains!r}",
            hint=f"`{command}` shows what it says",
        )
    return passed(f"the log of pod {target.name} says {check.contains!r}")
