"""What every check gets (a ``Reader``) and gives back (a ``CheckResult``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from workshop.kubeapi import HttpAnswer

Object = dict[str, Any]


class Reader(Protocol):
    """The little a check may ask a cluster. ``workshop.kubeapi.KubeApi`` is the real one;
    ``workshop.course.recorded.RecordedCluster`` answers from objects held in memory."""

    def get(self, api_version: str, kind: str, name: str, namespace: str | None) -> Object | None:
        """The object, or ``None``; ``namespace`` is ignored for cluster-wide kinds."""
        ...

    def list(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> list[Object]: ...

    def http_get(self, url: str, *, timeout: float = 5.0) -> HttpAnswer:
        """GET a page at a Service's public address; ``OSError`` when nothing answers."""
        ...

    def logs(self, name: str, namespace: str, *, container: str | None = None) -> str:
        """A pod's container log, as `kubectl logs` prints it (``ClusterError`` if none)."""
        ...

    def review_access(self, spec: Object) -> Object:
        """A SubjectAccessReview's ``status`` for ``spec`` (`kubectl auth can-i --as`)."""
        ...

    def version(self) -> Object:
        """The API server's version (``/version``: major, minor, gitVersion...)."""
        ...

    def dry_run_create(self, obj: Object, *, namespace: str | None = None) -> Object:
        """Create ``obj`` as a server-side dry run: nothing is stored; ``ClusterError`` with
        the API server's words when it refuses."""
        ...


@dataclass(frozen=True)
class CheckResult:
    """Pass or fail, a message naming what is (or is not) there, and what to try next."""

    passed: bool
    message: str
    hint: str | None = None


def passed(message: str) -> CheckResult:
    return CheckResult(True, message)


def failed(message: str, hint: str | None = None) -> CheckResult:
    return CheckResult(False, message, hint)


def deleting(obj: Object) -> bool:
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def name_of(obj: Object) -> str:
    return str((obj.get("metadata") or {}).get("name", "?"))


def labels_of(obj: Object) -> dict[str, str]:
    return dict((obj.get("metadata") or {}).get("labels") or {})


def condition(obj: Object, kind: str) -> Object | None:
    """``status.conditions[type=kind]``, or ``None``."""
    for found in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(found, dict) and found.get("type") == kind:
            return found
    return None
