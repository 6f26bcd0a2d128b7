"""The plain operator: watch with the ``kubernetes`` client, queue keys, call ``reconcile(obj)``.

This is the scaffold the lab's operator runs on, small enough to read in one go:

- one thread per watched kind runs ``watch.Watch().stream(list_...)``: kube-apiserver first
  sends an ``ADDED`` event for every object that exists (so a restarted operator looks at
  everything again: *resync after restart*), then one event per change;
- a change to a primary object (the custom resource) queues its key; a change to a child
  queues its owner's key, found in the child's ``ownerReferences``;
- one worker takes keys from the queue, reads the object fresh, and calls
  ``reconcile(obj)``. It is *level-based*: reconcile compares what should be with what is,
  never asks what changed. It returns (or yields) what it did, one line per action;
- a reconcile that raises is retried with a growing delay; every ``resync`` seconds every
  known object is reconciled again, in case the world changed behind the API's back.

Everything lands in a ``Journal`` that ``workshop.widgets.ReconcileView`` shows.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kubernetes import client, watch
from kubernetes.client import ApiException

from workshop.operators.journal import Journal

Obj = dict[str, Any]
Reconcile = Callable[[Obj], Iterable[str] | None]

WATCH_SECONDS = 60  # the server ends each watch after this; we resume from the last version
RETRY_BASE, RETRY_MAX = 0.5, 10.0


@dataclass(frozen=True)
class Kind:
    """One kind of object to watch: ``Kind("apps/v1", "StatefulSet", "statefulsets")``."""

    api_version: str
    kind: str
    plural: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    def path(self, namespace: str, name: str | None = None) -> str:
        base = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        return f"{base}/namespaces/{namespace}/{self.plural}" + (f"/{name}" if name else "")


def explain(error: BaseException) -> str:
    """An error in a line: the API server's own message for a refused request."""
    if isinstance(error, ApiException):
        try:
            message = json.loads(error.body or "{}").get("message") or error.reason
        except (ValueError, AttributeError):
            message = error.reason
        return f"{error.status} {message}"
    return f"{type(error).__name__}: {error}"


class _Queue:
    """Keys to reconcile, each held once with the latest reason; some only after a delay."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._ready: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._later: list[tuple[float, int, tuple[str, str], str]] = []
        self._order = itertools.count()

    def add(self, key: tuple[str, str], reason: str, *, after: float = 0.0) -> None:
        with self._cond:
            if after > 0:
                heapq.heappush(
                    self._later, (time.monotonic() + after, next(self._order), key, reason)
                )
            else:
                self._ready[key] = reason
            self._cond.notify()

    def get(self, timeout: float) -> tuple[tuple[str, str], str] | None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                while self._later and self._later[0][0] <= now:
                    _, _, key, reason = heapq.heappop(self._later)
                    self._ready.setdefault(key, reason)
                if self._ready:
                    return self._ready.popitem(last=False)
                if now >= deadline:
                    return None
                wait = deadline - now
                if self._later:
                    wait = min(wait, self._later[0][0] - now)
                self._cond.wait(max(wait, 0.01))


class Operator:
    """Watch ``primary`` kinds (and the ``owns`` kinds they own) in ``namespace``; reconcile.

    ``reconcile(obj)`` gets the object as a dict (``kubectl get -o json``), deleted ones
    included while a finalizer holds them, and returns or yields what it did.
    """

    def __init__(
        self,
        api_client: client.ApiClient,
        reconcile: Reconcile,
        *,
        namespace: str,
        primary: Sequence[Kind],
        owns: Sequence[Kind] = (),
        resync: float = 30.0,
        journal: Journal | None = None,
        name: str = "operator",
    ) -> None:
        # Our own connection pool (made at each start, closed at stop): six long watches
        # must not starve the notebook's widgets.
        self._configuration = api_client.configuration
        self.api_client = client.ApiClient(self._configuration)
        self._pool_closed = False
        self.reconcile = reconcile
        self.namespace = namespace
        self.primary = tuple(primary)
        self.owns = tuple(owns)
        self.resync = resync
        self.journal = journal or Journal()
        self.name = name
        self.reconciles = 0
        self._kinds = {k.kind: k for k in self.primary}
        self._queue = _Queue()
        self._known: set[tuple[str, str]] = set()
        self._failures: dict[tuple[str, str], int] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._watches: list[watch.Watch] = []
        self._lock = threading.Lock()

    # -- running -----------------------------------------------------------------------

    def start(self) -> Operator:
        """Start the watches and the worker in background threads (daemons)."""
        if self.running:
            return self
        self._stop = threading.Event()
        if self._pool_closed:  # stopped before: a new pool for this run
            self.api_client = client.ApiClient(self._configuration)
            self._pool_closed = False
        self._threads = [
            threading.Thread(target=self._watch, args=(k,), name=f"{self.name}-watch-{k.plural}")
            for k in (*self.primary, *self.owns)
        ]
        self._threads.append(threading.Thread(target=self._work, name=f"{self.name}-worker"))
        for thread in self._threads:
            thread.daemon = True
            thread.start()
        self.journal.note("START", f"{self.name} in namespace {self.namespace}", ["watching"])
        return self

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop watching and reconciling; waits for the threads (at most ``timeout`` s)."""
        if not self._threads:
            return
        self._stop.set()
        for w in list(self._watches):
            w.stop()  # type: ignore[no-untyped-call]
            response = getattr(w, "_resp", None)  # unblock a read in progress
            if response is not None:
                with contextlib.suppress(Exception):
                    response.shutdown()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads = []
        with contextlib.suppress(Exception):
            self.api_client.close()  # type: ignore[no-untyped-call]
        self._pool_closed = True
        self.journal.note("STOP", f"{self.name} in namespace {self.namespace}", ["stopped"])

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads) and not self._stop.is_set()

    def __enter__(self) -> Operator:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- watching ----------------------------------------------------------------------

    def _list_call(self, kind: Kind) -> Callable[..., Any]:
        """A list function for ``watch.Watch().stream``, over any kind (custom or built in)."""

        def list_objects(**kwargs: Any) -> Any:
            query = [("watch", "true"), ("allowWatchBookmarks", "true")]
            if kwargs.get("resource_version"):
                query.append(("resourceVersion", str(kwargs["resource_version"])))
            query.append(("timeoutSeconds", str(kwargs.get("timeout_seconds", WATCH_SECONDS))))
            serialized = self.api_client.param_serialize(
                "GET",
                kind.path(self.namespace),
                query_params=query,
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
            )
            answer = self.api_client.call_api(
                *serialized, _request_timeout=(10.0, WATCH_SECONDS + 15.0)
            )
            if not 200 <= answer.status < 300:
                body = answer.read() or b""  # type: ignore[no-untyped-call]
                raise ApiException(status=answer.status, reason="refused", body=body.decode())
            return answer.response

        return list_objects

    def _watch(self, kind: Kind) -> None:
        version: str | None = None
        failures = 0
        while not self._stop.is_set():
            w = watch.Watch()  # type: ignore[no-untyped-call]
            self._watches.append(w)
            try:
                kwargs: dict[str, Any] = {"timeout_seconds": WATCH_SECONDS, "deserialize": False}
                if version:
                    kwargs["resource_version"] = version
                for event in w.stream(self._list_call(kind), **kwargs):  # type: ignore[no-untyped-call]
                    if self._stop.is_set():
                        break
                    obj = event.get("object") or {}
                    version = (obj.get("metadata") or {}).get("resourceVersion") or version
                    if event.get("type") != "BOOKMARK":
                        self._changed(kind, str(event.get("type")), obj)
                failures = 0
            except ApiException as e:
                if e.status == 410:  # our version is older than what etcd keeps: start over
                    version = None
                    continue
                failures += 1
                self._watch_failed(kind, explain(e), failures)
            except Exception as e:  # noqa: BLE001 - a watch thread that dies stops the operator
                if self._stop.is_set():
                    return
                failures += 1
                self._watch_failed(kind, explain(e), failures)
            finally:
                self._watches.remove(w)

    def _watch_failed(self, kind: Kind, message: str, failures: int) -> None:
        if failures in (1, 5) or failures % 20 == 0:  # say it, without flooding the journal
            hint = " (is its CRD installed?)" if message.startswith("404") else ""
            self.journal.note("WATCH", f"{kind.plural}", error=f"{message}{hint}; retrying")
        self._stop.wait(min(RETRY_MAX, RETRY_BASE * 2**failures))

    def _changed(self, kind: Kind, event: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        if kind in self.primary:
            key = (kind.kind, str(meta.get("name")))
            with self._lock:
                if event == "DELETED":
                    self._known.discard(key)
                else:
                    self._known.add(key)
            if event != "DELETED":  # a deleted object has nothing left to reconcile
                self._queue.add(key, event)
            return
        for ref in meta.get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") in self._kinds:
                reason = f"{kind.kind} {meta.get('name')} {event}"
                self._queue.add((str(ref["kind"]), str(ref["name"])), reason)

    # -- reconciling -------------------------------------------------------------------

    def _work(self) -> None:
        next_resync = time.monotonic() + self.resync
        while not self._stop.is_set():
            if time.monotonic() >= next_resync:
                next_resync = time.monotonic() + self.resync
                with self._lock:
                    known = sorted(self._known)
                for key in known:
                    self._queue.add(key, "RESYNC")
            item = self._queue.get(timeout=0.5)
            if item is None or self._stop.is_set():
                continue
            key, reason = item
            try:
                self._reconcile(key, reason)
            except Exception as e:  # noqa: BLE001 - the worker must outlive any one object
                self.journal.note(reason, self._show(key), error=explain(e))

    def _show(self, key: tuple[str, str]) -> str:
        return f"{key[0]} {self.namespace}/{key[1]}"

    def _get(self, kind: Kind, name: str) -> Obj | None:
        """The object as it is now (not as an event saw it), or None once it is gone."""
        serialized = self.api_client.param_serialize(
            "GET",
            kind.path(self.namespace, name),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        answer = self.api_client.call_api(*serialized, _request_timeout=15.0)
        data = answer.read() or b""  # type: ignore[no-untyped-call]
        if answer.status == 404:
            return None
        if not 200 <= answer.status < 300:
            raise ApiException(status=answer.status, reason="refused", body=data.decode())
        found: Obj = json.loads(data)
        return found

    def _reconcile(self, key: tuple[str, str], reason: str) -> None:
        obj = self._get(self._kinds[key[0]], key[1])
        if obj is None:
            return  # gone since it was queued: nothing left to reconcile
        done: list[str] = []
        started = time.monotonic()
        self.reconciles += 1
        try:
            result = self.reconcile(obj)
            for action in result or ():
                done.append(str(action))
        except Exception as e:  # noqa: BLE001 - the learner's code: show it, retry later
            count = self._failures[key] = self._failures.get(key, 0) + 1
            delay = min(RETRY_MAX, RETRY_BASE * 2 ** (count - 1))
            self.journal.note(
                reason,
                self._show(key),
                done,
                error=f"{explain(e)} (retrying in {delay:.1f}s)",
                seconds=time.monotonic() - started,
            )
            self._queue.add(key, "RETRY", after=delay)
            return
        self._failures.pop(key, None)
        self.journal.note(reason, self._show(key), done, seconds=time.monotonic() - started)
