"""The add-ons' connection to kube-apiserver: the official client, JSON in and out, and events.

Controllers call the official ``kubernetes`` client's methods through ``call``, which
returns the answer as plain dicts (the shape of ``kubectl get -o json``) instead of model
classes: faster, and what a reader already knows from kubectl.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

MERGE_PATCH = "application/merge-patch+json"  # custom resources take no strategic merge


class Kube:
    """The API groups the add-ons use, over one connection pool."""

    def __init__(self, kubeconfig: Path) -> None:
        configuration = client.Configuration()
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=str(kubeconfig), client_configuration=configuration
        )
        configuration.connection_pool_maxsize = 32  # one watch per informer, plus the workers
        self.api_client = client.ApiClient(configuration)
        self.core = client.CoreV1Api(self.api_client)
        self.custom = client.CustomObjectsApi(self.api_client)
        self.discovery = client.DiscoveryV1Api(self.api_client)
        self.storage = client.StorageV1Api(self.api_client)


def call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call an official client method; return its JSON answer as dicts (None when empty)."""
    response = method(*args, _preload_content=False, **kwargs)
    data = response.data  # reading it all returns the connection to the pool
    return json.loads(data) if data else None


def explain(error: ApiException) -> str:
    """The status code and kube-apiserver's own message, never the request or its headers."""
    try:
        message = json.loads(error.body or "{}").get("message") or error.reason
    except ValueError:
        message = error.reason
    return f"{error.status} {message}"


def missing(error: ApiException) -> bool:
    return bool(error.status == 404)


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Events:
    """Records Events on objects, counting repeats (``x5 over 2m``) as client-go's recorder does.

    Background threads write them: a controller never waits for an event, and an event
    that cannot be written is logged and dropped (events are best effort, in client-go too).
    """

    def __init__(self, kube: Kube, component: str, *, writers: int = 1) -> None:
        self.kube = kube
        self.component = component
        self._seen: OrderedDict[tuple[str, ...], tuple[str, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.Queue[dict[str, Any]] = queue.Queue(maxsize=10_000)
        self._log = logging.getLogger(f"events.{component}")
        for i in range(writers):
            name = f"events-{component}-{i}"
            threading.Thread(target=self._write_forever, name=name, daemon=True).start()

    def record(
        self,
        obj: dict[str, Any],
        kind: str,
        reason: str,
        message: str,
        *,
        warning: bool = False,
        host: str | None = None,
        field_path: str | None = None,
    ) -> None:
        meta = obj["metadata"]
        involved = {
            "apiVersion": obj.get("apiVersion", "v1"),
            "kind": kind,
            "name": meta["name"],
            "uid": meta["uid"],
        }
        if meta.get("namespace"):
            involved["namespace"] = meta["namespace"]
        if field_path:
            involved["fieldPath"] = field_path
        stamp = now()
        event = {
            "metadata": {
                "name": f"{meta['name']}.{time.time_ns():x}",
                "namespace": meta.get("namespace") or "default",  # nodes' and pools': default
            },
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "type": "Warning" if warning else "Normal",
            "source": {"component": self.component, **({"host": host} if host else {})},
            "reportingComponent": self.component,
            "reportingInstance": host or self.component,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self._log.warning("too many events queued: dropped %s %s", reason, meta["name"])

    def _write_forever(self) -> None:
        while True:
            event = self._queue.get()
            try:
                self._write(event)
            except (ApiException, OSError, urllib3.exceptions.HTTPError) as e:
                problem = explain(e) if isinstance(e, ApiException) else str(e)
                self._log.warning("event %s not written: %s", event["reason"], problem)

    def _write(self, event: dict[str, Any]) -> None:
        involved = event["involvedObject"]
        key = (involved["uid"], event["reason"], event["message"], involved.get("fieldPath", ""))
        namespace = event["metadata"]["namespace"]
        with self._lock:
            seen = self._seen.pop(key, None)
        if seen is not None:  # the same news again: count it on the first event
            name, count = seen
            patch = {"count": count + 1, "lastTimestamp": event["lastTimestamp"]}
            try:
                call(self.kube.core.patch_namespaced_event, name, namespace, patch)
                self._remember(key, (name, count + 1))
                return
            except ApiException as e:
                if not missing(e):
                    raise
        call(self.kube.core.create_namespaced_event, namespace, event)
        self._remember(key, (event["metadata"]["name"], 1))

    def _remember(self, key: tuple[str, ...], value: tuple[str, int]) -> None:
        with self._lock:
            self._seen[key] = value
            while len(self._seen) > 4096:
                self._seen.popitem(last=False)
