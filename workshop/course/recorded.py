"""A cluster held in memory: answers checks from recorded objects, for tests and previews.

``RecordedCluster(objects, pages=...)`` reads like ``workshop.kubeapi.KubeApi``: objects
without ``metadata.namespace`` are cluster-wide; ``pages`` maps URLs to the web answer (or
to the ``OSError`` a dead address gives); ``cloud`` stands for the OVHcloud API (anything
with ``get``/``post``, as ``ovh.Client``) and ``managed`` maps a managed cluster's name to
the ``RecordedCluster`` inside it. Every call is kept in ``calls``.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any

from workshop.course import selectors
from workshop.kubeapi import HttpAnswer

Object = dict[str, Any]


class RecordedCluster:
    """Objects and web pages in memory, read through the same calls as a real cluster."""

    def __init__(
        self,
        objects: Iterable[Object] = (),
        *,
        pages: Mapping[str, HttpAnswer | OSError] | None = None,
        context: str = "recorded",
        cloud: Any = None,
        managed: Mapping[str, RecordedCluster] | None = None,
    ) -> None:
        self.objects: list[Object] = list(objects)
        self.pages = dict(pages or {})
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
