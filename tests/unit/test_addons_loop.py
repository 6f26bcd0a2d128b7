"""The watch-and-reconcile loop the add-ons share, with a fake API (no cluster)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from workshop.sandbox.addons.loop import Controller, Informer, WorkQueue


def obj(name: str, version: int) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "ns", "resourceVersion": str(version)}}


class FakeResponse:
    def __init__(self, lines: list[dict[str, Any]] | None = None, data: Any = None) -> None:
        self.lines = lines or []
        self.data = json.dumps(data).encode() if data is not None else b""

    def stream(self, amt: Any = None, decode_content: Any = None) -> Iterator[bytes]:
        for line in self.lines:
            yield (json.dumps(line) + "\n").encode()

    def release_conn(self) -> None:
        pass


class FakeApi:
    """Lists, then a watch that breaks with 410 Gone, then a second list and a quiet watch."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.calls: list[dict[str, Any]] = []
        self.lists = [
            {"items": [obj("a", 10)], "metadata": {"resourceVersion": "10"}},
            {"items": [obj("b", 11), obj("c", 20)], "metadata": {"resourceVersion": "20"}},
        ]
        self.watches = [
            [
                {"type": "ADDED", "object": obj("b", 11)},
                {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "15"}}},
                {"type": "ERROR", "object": {"code": 410, "message": "too old resource version"}},
            ],
            [],
        ]

    def __call__(self, **kwargs: Any) -> FakeResponse:
        self.calls.append(kwargs)
        if kwargs.get("watch"):
            lines = self.watches.pop(0)
            if not self.watches:
                self.stop.set()
            return FakeResponse(lines)
        return FakeResponse(data=self.lists.pop(0))


def test_informer_lists_watches_and_lists_again_after_410_gone() -> None:
    stop = threading.Event()
    api = FakeApi(stop)
    informer = Informer("things", api, resync=3600)
    seen: list[tuple[str, str]] = []
    informer.on_change(lambda kind, o: seen.append((kind, o["metadata"]["name"])))
    informer.run(stop)
    assert seen == [
        ("ADDED", "a"),
        ("ADDED", "b"),
        ("DELETED", "a"),  # gone while we were not watching: the second list tells
        ("MODIFIED", "b"),
        ("ADDED", "c"),
    ]
    watches = [c["resource_version"] for c in api.calls if c.get("watch")]
    assert watches == ["10", "20"]  # each watch starts where its list ended
    assert set(informer.cache) == {"ns/b", "ns/c"}
    assert informer.synced.is_set()


def test_a_queue_holds_each_key_once_and_never_for_two_workers() -> None:
    queue = WorkQueue()
    for key in ("a", "b", "a"):
        queue.add(key)
    assert queue.get(0.1) == "a"
    queue.add("a")  # changed while a worker has it: handed out again once done
    assert queue.get(0.1) == "b"
    assert queue.get(0.05) is None
    queue.done("a")
    assert queue.get(0.1) == "a"


def test_delayed_keys_and_growing_retries() -> None:
    queue = WorkQueue()
    queue.add("later", after=0.2)
    assert queue.get(0.05) is None
    assert queue.get(1.0) == "later"
    queue.done("later")
    delays = [queue.failed("bad") for _ in range(4)]
    assert delays == [0.5, 1.0, 2.0, 4.0]
    queue.forget("bad")
    assert queue.failed("bad") == 0.5


def test_a_controller_retries_a_failing_reconcile_then_calls_again_when_asked() -> None:
    calls: list[str] = []

    class Flaky(Controller):
        name = "flaky"

        def reconcile(self, key: str) -> float | None:
            calls.append(key)
            if len(calls) == 1:
                raise RuntimeError("the API is down")
            return 0.05 if len(calls) == 2 else None

    stop = threading.Event()
    flaky = Flaky()
    flaky.start(stop)
    flaky.queue.add("x")
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    assert calls == ["x", "x", "x"]
