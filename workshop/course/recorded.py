"""A cluster held in memory: answers checks from recorded objects, for tests and previews.

``RecordedCluster(objects, pages=...)`` reads like ``workshop.kubeapi.KubeApi``: objects
without ``metadata.namespace`` are cluster-wide; ``pages`` maps URLs to the web answer (or
to the ``OSError`` a dead address gives); ``logs`` maps ``namespace/pod`` (or
``namespace/pod/container``) to a log; ``grants`` lists what is allowed as ``(user, verb,
resource, namespace)`` (``deployments.apps``, ``pods``); ``refusals`` maps ``Kind/name`` to
the message the API server refuses it with; ``server_version`` is what ``/version`` says;
``cloud`` stands for the OVHcloud API (anything with ``get``/``post``, as ``ovh.Client``)
and ``managed`` maps a managed cluster's name to the ``RecordedCluster`` inside it.
Every call is kept in ``calls``.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from workshop.course import selectors
from workshop.errors import ClusterError
from workshop.kubeapi import HttpAnswer

Object = dict[str, Any]


class RecordedCluster:
    """Objects and web pages in memory, read through the same calls as a real cluster."""

    def __init__(
        self,
        objects: Iterable[Object] = (),
        *,
        pages: Mapping[str, HttpAnswer | OSError] | None = None,
        logs: Mapping[str, str] | None = None,
        grants: Collection[tuple[str, str, str, str]] = (),
        refusals: Mapping[str, str] | None = None,
        server_version: Object | None = None,
        context: str = "recorded",
        cloud: Any = None,
        managed: Mapping[str, RecordedCluster] | None = None,
    ) -> None:
        self.objects: list[Object] = list(objects)
        self.pages = dict(pages or {})
        self.pod_logs = dict(logs or {})
        self.grants = set(grants)
        self.refusals = dict(refusals or {})
        self.server_version = server_version or {
            "major": "1",
            "minor": "37",
            "gitVersion": "v1.37.2",
        }
        self.cloud = cloud
        self.managed_clusters = dict(managed or {})
        self.context = context
        self.calls: list[tuple[str, ...]] = []

    def add(self, *objects: Object) -> None:
        self.objects.extend(objects)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None) -> Object | None:
        self.calls.append(("get", api_version, kind, name, namespace or ""))
        for obj in self._of(api_version, kind, namespace):
            if obj["metadata"]["name"] == name:
                return obj
        return None

    def list(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
    ) -> list[Object]:
        self.calls.append(("list", api_version, kind, namespace or "", label_selector or ""))
        return [
            obj
            for obj in self._of(api_version, kind, namespace)
            if selectors.matches(label_selector, obj["metadata"].get("labels"))
        ]

    def managed(self, name: str) -> RecordedCluster | None:
        """The cluster inside the managed cluster ``name`` (``in_managed_cluster`` checks)."""
        self.calls.append(("managed", name))
        return self.managed_clusters.get(name)

    def http_get(self, url: str, *, timeout: float = 5.0) -> HttpAnswer:
        self.calls.append(("http_get", url))
        answer = self.pages.get(url) or ConnectionRefusedError(f"connection refused: {url}")
        if isinstance(answer, OSError):
            raise answer
        return answer

    def logs(self, name: str, namespace: str, *, container: str | None = None) -> str:
        self.calls.append(("logs", namespace, name, container or ""))
        key = f"{namespace}/{name}" + (f"/{container}" if container else "")
        if key not in self.pod_logs:
            raise ClusterError(f'pods "{name}" not found', status=404)
        return self.pod_logs[key]

    def review_access(self, spec: Object) -> Object:
        attributes = spec.get("resourceAttributes") or {}
        resource = attributes.get("resource", "")
        if attributes.get("group"):
            resource += f".{attributes['group']}"
        asked = (spec.get("user", ""), attributes.get("verb", ""), resource)
        self.calls.append(("review_access", *asked, attributes.get("namespace", "")))
        allowed = (*asked, attributes.get("namespace", "")) in self.grants
        return {"allowed": allowed} if allowed else {"allowed": False, "reason": ""}

    def version(self) -> Object:
        self.calls.append(("version",))
        return dict(self.server_version)

    def dry_run_create(self, obj: Object, *, namespace: str | None = None) -> Object:
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        self.calls.append(("dry_run_create", name, namespace or ""))
        if name in self.refusals:
            raise ClusterError(self.refusals[name], status=403)
        return obj

    def _of(self, api_version: str, kind: str, namespace: str | None) -> builtins.list[Object]:
        return [
            obj
            for obj in self.objects
            if obj.get("apiVersion") == api_version
            and obj.get("kind") == kind
            and (
                namespace is None
                or obj["metadata"].get("namespace") in (None, namespace)  # None: cluster-wide
            )
        ]
