"""Watch, queue, reconcile: the loop every add-on controller is made of.

This is the pattern of client-go and controller-runtime, small enough to read in one go:

- An ``Informer`` lists one kind of object once, then *watches* it: one long HTTP GET that
  streams a JSON line per change, starting from the list's ``resourceVersion`` so no
  change is missed in between. It keeps the latest copy of every object in ``cache``.
  A broken watch resumes from the last version it saw; if kube-apiserver answers
  ``410 Gone`` (that version is older than what etcd keeps), it lists again. Every
  ``resync`` seconds it hands every cached object to its handlers again, so a controller
  that missed something (or whose world changed outside the API) gets a second look.
- A ``Controller`` turns those changes into keys (``namespace/name``) in a ``WorkQueue``.
  The queue holds each key once however often it changed, and never gives the same key
  to two workers at once. A worker calls ``reconcile(key)``: read the cache, compare what
  is with what should be, act, and maybe ask to be called again later. A reconcile that
  raises is retried with a growing delay. Reconciling is *level-based*: it never asks
  "what changed?", only "what is the state now?", so a missed or repeated event is harmless.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import urllib3
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from workshop.sandbox.addons.client import explain

WATCH_SECONDS = 60  # kube-apiserver ends each watch after this; we start a new one
RETRY_BASE, RETRY_MAX = 0.5, 30.0

Obj = dict[str, Any]
Handler = Callable[[str, Obj], None]


def key_of(obj: Obj) -> str:
    """``namespace/name`` for namespaced objects, ``name`` for cluster-wide ones."""
    meta = obj["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]


class Informer:
    """A local, always up-to-date copy of one kind of object, fed by a watch."""

    def __init__(
        self, name: str, list_call: Callable[..., Any], *, resync: float = 300.0, **params: Any
    ) -> None:
        self.name = name
        self.cache: dict[str, Obj] = {}
        self.synced = threading.Event()
        self.resync = resync
        self._list_call = list_call
        self._params = params
        self._handlers: list[Handler] = []
        self._log = logging.getLogger(f"informer.{name}")

    def on_change(self, handler: Handler) -> None:
        """Call ``handler(event_type, obj)`` for every ADDED, MODIFIED, DELETED or SYNC."""
        self._handlers.append(handler)

    def get(self, key: str) -> Obj | None:
        return self.cache.get(key)

    def items(self) -> list[Obj]:
        return list(self.cache.values())

    def run(self, stop: threading.Event) -> None:
        """List, then watch, until ``stop`` is set; recover from every failure."""
        failures = 0
        while not stop.is_set():
            try:
                version = self._list()
                failures = 0
                self._watch(version, stop)
            except ApiException as e:
                if e.status == 410:
                    self._log.info("resourceVersion expired (410 Gone): listing again")
                    continue
                failures += 1
                self._log.warning("watch failed: %s", explain(e))
            except (OSError, urllib3.exceptions.HTTPError, ValueError) as e:
                failures += 1
                self._log.warning("watch failed: %s", e)
            if failures:
                stop.wait(min(RETRY_MAX, RETRY_BASE * 2**failures))

    def _list(self) -> str:
        response = self._list_call(_preload_content=False, **self._params)
        answer = json.loads(response.data)
        fresh = {key_of(obj): obj for obj in answer["items"]}
        for key in set(self.cache) - set(fresh):
            self._deliver("DELETED", self.cache.pop(key))
        for key, obj in fresh.items():
            known = key in self.cache
            self.cache[key] = obj
            self._deliver("MODIFIED" if known else "ADDED", obj)
        self.synced.set()
        version: str = answer["metadata"]["resourceVersion"]
        return version

    def _watch(self, version: str, stop: threading.Event) -> None:
        next_resync = time.monotonic() + self.resync
        while not stop.is_set():
            response = self._list_call(
                watch=True,
                resource_version=version,
                allow_watch_bookmarks=True,
                timeout_seconds=WATCH_SECONDS,
                _preload_content=False,
                _request_timeout=(10, WATCH_SECONDS + 30),
                **self._params,
            )
            try:
                for line in iter_resp_lines(response):  # type: ignore[no-untyped-call]
                    event = json.loads(line)
                    kind, obj = event["type"], event["object"]
                    if kind == "ERROR":  # e.g. 410 Gone: the version we asked for is too old
                        raise ApiException(status=obj.get("code"), reason=obj.get("message"))
                    version = obj["metadata"]["resourceVersion"]
                    if kind != "BOOKMARK":  # bookmarks only move the version forward
                        self._apply(kind, obj)
            finally:
                response.release_conn()
            if time.monotonic() > next_resync:
                next_resync = time.monotonic() + self.resync
                for obj in self.items():
                    self._deliver("SYNC", obj)

    def _apply(self, kind: str, obj: Obj) -> None:
        key = key_of(obj)
        if kind == "DELETED":
            self.cache.pop(key, None)
        else:
            self.cache[key] = obj
        self._deliver(kind, obj)

    def _deliver(self, kind: str, obj: Obj) -> None:
        for handler in self._handlers:
            try:
                handler(kind, obj)
            except Exception:  # noqa: BLE001 - one bad handler must not stop the watch
                self._log.exception("handler failed on %s %s", kind, key_of(obj))


class WorkQueue:
    """Keys to reconcile: each one queued once, handed to one worker at a time."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._ready: deque[str] = deque()
        self._queued: set[str] = set()
        self._busy: set[str] = set()
        self._again: set[str] = set()  # changed while a worker had it: queue it once done
        self._later: list[tuple[float, int, str]] = []
        self._order = itertools.count()
        self._failures: dict[str, int] = {}

    def add(self, key: str, *, after: float = 0.0) -> None:
        with self._cond:
            if after > 0:
                heapq.heappush(self._later, (time.monotonic() + after, next(self._order), key))
            else:
                self._add_now(key)
            self._cond.notify()

    def _add_now(self, key: str) -> None:
        if key in self._busy:
            self._again.add(key)
        elif key not in self._queued:
            self._queued.add(key)
            self._ready.append(key)

    def get(self, timeout: float) -> str | None:
        """The next key to reconcile, or None after ``timeout`` seconds without one."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                while self._later and self._later[0][0] <= now:
                    self._add_now(heapq.heappop(self._later)[2])
                if self._ready:
                    key = self._ready.popleft()
                    self._queued.discard(key)
                    self._busy.add(key)
                    return key
                wait = deadline - now
                if self._later:
                    wait = min(wait, self._later[0][0] - now)
                if deadline <= now:
                    return None
                self._cond.wait(max(wait, 0.001))

    def done(self, key: str) -> None:
        with self._cond:
            self._busy.discard(key)
            if key in self._again:
                self._again.discard(key)
                self._add_now(key)
                self._cond.notify()

    def failed(self, key: str) -> float:
        """Queue ``key`` again after a delay that doubles with each failure in a row."""
        count = self._failures[key] = self._failures.get(key, 0) + 1
        delay = min(RETRY_MAX, RETRY_BASE * 2.0 ** (count - 1))
        self.add(key, after=delay)
        return delay

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)


class Controller:
    """Reconcile objects by key. Subclasses set ``name`` and write ``reconcile``."""

    name = "controller"
    workers = 1

    def __init__(self) -> None:
        self.queue = WorkQueue()
        self.log = logging.getLogger(self.name)

    def watch(self, informer: Informer, keys: Callable[[Obj], Iterable[str]] | None = None) -> None:
        """Queue the keys of ``informer``'s changed objects (or the keys ``keys`` maps them to)."""

        def handler(kind: str, obj: Obj) -> None:
            for key in keys(obj) if keys else [key_of(obj)]:
                self.queue.add(key)

        informer.on_change(handler)

    def reconcile(self, key: str) -> float | None:
        """Bring the world in line for ``key``; return seconds until the next look, or None."""
        raise NotImplementedError

    def start(self, stop: threading.Event) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self._work, args=(stop,), name=f"{self.name}-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for thread in threads:
            thread.start()
        return threads

    def _work(self, stop: threading.Event) -> None:
        while not stop.is_set():
            key = self.queue.get(timeout=1.0)
            if key is None:
                continue
            try:
                again = self.reconcile(key)
            except ApiException as e:
                delay = self.queue.failed(key)
                self.log.warning("%s: %s; retrying in %.1fs", key, explain(e), delay)
            except Exception:
                delay = self.queue.failed(key)
                self.log.exception("%s: reconcile failed; retrying in %.1fs", key, delay)
            else:
                self.queue.forget(key)
                if again is not None:
                    self.queue.add(key, after=again)
            finally:
                self.queue.done(key)
