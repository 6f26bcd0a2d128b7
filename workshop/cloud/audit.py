"""Reading a managed cluster's control plane audit log: who did what, when, from where.

Each cluster's kube-apiserver writes one JSON event per request its audit policy keeps
(``workshop/sandbox/audit.py``). OVHcloud forwards these logs to Logs Data Platform; here
they are read from the cluster's files, with ``workshop cloud audit CLUSTER``::

    >>> [e.user for e in events(home, "my-cluster", verb="delete", resource="deployments")]
    ['kubernetes-admin']
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workshop.cloud.layout import CloudLayout
from workshop.cloud.managed import ManagedCluster
from workshop.cloud.store import read_only
from workshop.errors import CloudError

SYSTEM_PREFIXES = ("system:", "workshop:")
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


@dataclass(frozen=True)
class AuditEvent:
    time: str
    user: str
    groups: tuple[str, ...]
    verb: str
    resource: str
    """``deployments``, ``pods/exec``, ... (empty for a non-resource URL)."""
    api_group: str
    namespace: str
    name: str
    code: int | None
    source_ips: tuple[str, ...]
    user_agent: str
    uri: str

    @property
    def by_system(self) -> bool:
        """Whether a component of the cluster made the call rather than a person or a tool.

        A ServiceAccount outside ``kube-system`` is a workload or a robot (a CI job, say):
        its calls are the learner's business, not the cluster's own.
        """
        if self.user.startswith(SERVICE_ACCOUNT_PREFIX):
            return self.user.startswith(SERVICE_ACCOUNT_PREFIX + "kube-system:")
        return self.user.startswith(SYSTEM_PREFIXES)

    @property
    def target(self) -> str:
        """``namespace/name`` (or ``name``) of the object, the URI for other calls."""
        if not self.resource:
            return self.uri
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


def parse(line: str) -> AuditEvent | None:
    """One event of the log; None for a line that is not a finished request."""
    try:
        data: dict[str, Any] = json.loads(line)
    except ValueError:
        return None
    if data.get("kind") != "Event" or data.get("stage") not in ("ResponseComplete", "Panic"):
        return None
    ref = data.get("objectRef") or {}
    user = data.get("user") or {}
    resource = ref.get("resource", "")
    if ref.get("subresource"):
        resource = f"{resource}/{ref['subresource']}"
    return AuditEvent(
        time=data.get("stageTimestamp") or data.get("requestReceivedTimestamp", ""),
        user=user.get("username", ""),
        groups=tuple(user.get("groups") or ()),
        verb=data.get("verb", ""),
        resource=resource,
        api_group=ref.get("apiGroup", ""),
        namespace=ref.get("namespace", ""),
        name=ref.get("name", ""),
        code=(data.get("responseStatus") or {}).get("code"),
        source_ips=tuple(data.get("sourceIPs") or ()),
        user_agent=data.get("userAgent", ""),
        uri=data.get("requestURI", ""),
    )


def read(log: Path) -> Iterator[AuditEvent]:
    """Every event of a log and its rotated backups (``audit-<time>.log``), oldest first."""
    backups = sorted(log.parent.glob(f"{log.stem}-*{log.suffix}"))
    for path in [*backups, log]:
        try:
            with path.open(errors="replace") as f:
                for line in f:
                    event = parse(line)
                    if event is not None:
                        yield event
        except FileNotFoundError:
            continue


def log_of(home: Path, cluster: str) -> Path:
    """The audit log of a cluster named by id or by name."""
    layout = CloudLayout(home)
    store = read_only(layout.state)
    clusters = list(store.clusters.values()) if store else []
    found = [c for c in clusters if cluster in (c.id, c.name)]
    if not found:
        known = ", ".join(f"{c.name} ({c.id})" for c in clusters) or "none"
        raise CloudError(
            f"no managed cluster named {cluster!r} in the emulated OVHcloud API",
            hint=f"clusters: {known}",
        )
    if len(found) > 1:
        raise CloudError(
            f"several clusters are named {cluster!r}", hint="name the cluster by its id"
        )
    return ManagedCluster(layout.cluster(found[0].id)).audit_log


def events(
    home: Path,
    cluster: str,
    *,
    verb: str | None = None,
    resource: str | None = None,
    name: str | None = None,
    namespace: str | None = None,
    user: str | None = None,
    system: bool = False,
) -> list[AuditEvent]:
    """The cluster's audit events that match every filter given (system calls only if asked)."""
    found = []
    for event in read(log_of(home, cluster)):
        if not system and event.by_system:
            continue
        if verb is not None and event.verb != verb:
            continue
        if resource is not None and event.resource != resource:
            continue
        if name is not None and event.name != name:
            continue
        if namespace is not None and event.namespace != namespace:
            continue
        if user is not None and event.user != user:
            continue
        found.append(event)
    return found
