"""Keeping a live copy of some objects: list once, then follow a watch from that version.

``Watcher`` runs the official client's ``watch.Watch`` in a background thread over any kind
(built-in or custom), re-lists when the server answers 410 Gone (its history no longer
reaches our version), backs off while the cluster does not answer, and calls ``on_change``
after each change: pair it with a ``Debouncer`` so a burst of events is one re-render.
``ObjectStore`` is the pure part: applying events to the copy.
"""

from __future__ import annotations

import contextlib
import http
import threading
from collections.abc import Callable, Iterable
from typing import Any

import urllib3
from kubernetes import watch
from kubernetes.client import ApiException

from workshop.errors import ClusterError
from workshop.kubeapi import KubeApi, Object

WATCH_SECONDS = 240  # the server ends each watch after this; we resume from the last version
BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)


def key_of(obj: Object) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


class ObjectStore:
    """The objects of one list-and-watch, by namespace and name."""

    def __init__(self) -> None:
        self._objects: dict[tuple[str, str], Object] = {}
        self._lock = threading.Lock()

    def replace(self, items: Iterable[Object]) -> None:
        """Start again from a list answer."""
        with self._lock:
            self._objects = {key_of(o): o for o in items}

    def apply(self, event_type: str, obj: Object) -> bool:
        """Apply one watch event; ``True`` if the copy changed."""
        key = key_of(obj)
        with self._lock:
            if event_type in ("ADDED", "MODIFIED"):
                self._objects[key] = obj
                return True
            if event_type == "DELETED":
                return self._objects.pop(key, None) is not None
        return False

    def objects(self) -> list[Object]:
        with self._lock:
            return [self._objects[k] for k in sorted(self._objects)]

    def __len__(self) -> int:
        return len(self._objects)


class Watcher:
    """A live list of one kind (in one namespace, or all), kept by a background thread."""

    def __init__(
        self,
        api: KubeApi,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        on_change: Callable[[], None] | None = None,
        on_error: Callable[[str | None], None] | None = None,
    ) -> None:
        self.api = api
        self.api_version = api_version
        self.kind = kind
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.on_change = on_change or (lambda: None)
        self.on_error = on_error or (lambda _: None)
        self.store = ObjectStore()
        self.error: str | None = None  # why the copy may be stale, while it is
        self.lists = 0  # list calls made (a re-list after 410 adds one)
        self.synced = threading.Event()  # set once the first list has arrived
        self._stop = threading.Event()
        self._watch: watch.Watch | None = None
        self._response: Any = None  # the open watch response (urllib3), while there is one
        self._thread: threading.Thread | None = None
        self._resource_version: str | None = None

    @property
    def objects(self) -> list[Object]:
        return self.store.objects()

    def start(self) -> Watcher:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"workshop-watch-{self.kind}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop following; returns at once (the thread ends with its connection)."""
        self._stop.set()
        if self._watch is not None:
            self._watch.stop()  # type: ignore[no-untyped-call]
        self._unblock()

    def _unblock(self) -> None:
        """Shut the watch's socket, so a read blocked in the thread returns now."""
        response = self._response
        if response is not None:
            with contextlib.suppress(OSError, ValueError, RuntimeError):
                response.shutdown()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def relist(self) -> None:
        """List now, in the caller's thread (``ClusterError`` if the cluster does not answer)."""
        resource = self.api.resource(self.api_version, self.kind)
        answer = self.api.request(
            "GET", resource.path(self.namespace), query=self._selectors(), timeout=15.0
        )
        items: list[Object] = answer.get("items") or []
        for item in items:
            item.setdefault("apiVersion", self.api_version)
            item.setdefault("kind", self.kind)
        self.store.replace(items)
        self._resource_version = str((answer.get("metadata") or {}).get("resourceVersion") or "")
        self.lists += 1
        self.synced.set()
        self._set_error(None)
        self.on_change()

    def _selectors(self) -> list[tuple[str, str]]:
        query = []
        if self.label_selector:
            query.append(("labelSelector", self.label_selector))
        if self.field_selector:
            query.append(("fieldSelector", self.field_selector))
        return query

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                if not self._resource_version:
                    self.relist()
                self._follow()
                failures = 0
            except ApiException as e:
                if e.status == http.HTTPStatus.GONE:
                    self._resource_version = None  # our version is too old: list again
                    continue
                failures = self._failed(f"the watch was refused ({e.status}): {e.reason}", failures)
            except ClusterError as e:
                failures = self._failed(e.message, failures)
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as e:
                if self._stop.is_set():
                    return
                failures = self._failed(f"lost the watch: {type(e).__name__}: {e}", failures)
            except Exception as e:  # noqa: BLE001 - a thread that dies would leave a stale view
                failures = self._failed(f"the watch failed: {type(e).__name__}: {e}", failures)

    def _failed(self, message: str, failures: int) -> int:
        self._resource_version = None
        self._set_error(f"{message} (retrying)")
        self._stop.wait(BACKOFF[min(failures, len(BACKOFF) - 1)])
        return failures + 1

    def _set_error(self, message: str | None) -> None:
        if message != self.error:
            self.error = message
            self.on_error(message)

    def _follow(self) -> None:
        if self._stop.is_set():
            return
        self._watch = watch.Watch()  # type: ignore[no-untyped-call]
        stream = self._watch.stream(  # type: ignore[no-untyped-call]
            self._watch_call,
            resource_version=self._resource_version,
            timeout_seconds=WATCH_SECONDS,
            allow_watch_bookmarks=True,
        )  # events carry plain dicts: _watch_call has no model type to deserialize into
        for event in stream:
            if self._stop.is_set():
                break
            obj = event.get("object") or {}
            version = (obj.get("metadata") or {}).get("resourceVersion")
            if version:
                self._resource_version = str(version)
            if event.get("type") == "BOOKMARK":
                continue
            obj.setdefault("apiVersion", self.api_version)
            obj.setdefault("kind", self.kind)
            if self.store.apply(str(event.get("type")), obj):
                self.on_change()

    def _watch_call(self, **kwargs: Any) -> Any:
        """What ``watch.Watch.stream`` calls: a streaming watch request over any kind."""
        resource = self.api.resource(self.api_version, self.kind)
        query = [("watch", "true"), *self._selectors()]
        if kwargs.get("resource_version"):
            query.append(("resourceVersion", str(kwargs["resource_version"])))
        if kwargs.get("timeout_seconds"):
            query.append(("timeoutSeconds", str(kwargs["timeout_seconds"])))
        if kwargs.get("allow_watch_bookmarks"):
            query.append(("allowWatchBookmarks", "true"))
        client = self.api.api_client
        serialized = client.param_serialize(
            "GET",
            resource.path(self.namespace),
            query_params=query,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        read_timeout = float(kwargs.get("timeout_seconds") or WATCH_SECONDS) + 15.0
        response = client.call_api(*serialized, _request_timeout=(10.0, read_timeout))
        if not 200 <= response.status < 300:
            data = response.read() or b""  # type: ignore[no-untyped-call]
            raise ApiException(status=response.status, reason=data.decode(errors="replace"))
        self._response = response.response
        if self._stop.is_set():  # stopped while this request was on its way
            self._unblock()
        return response.response
