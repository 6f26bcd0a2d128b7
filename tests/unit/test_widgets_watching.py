"""The live copy a watch keeps: events applied in order, a re-list after 410 Gone, retries.

The API server is a fake here (lists and watch streams recorded in memory), driving the
real ``kubernetes.watch.Watch`` loop; the real server is in tests/integration.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from workshop.errors import ClusterError
from workshop.kubeapi import Resource
from workshop.widgets.watching import ObjectStore, Watcher


def cm(name: str, version: str, value: str = "1") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ns", "resourceVersion": version},
        "data": {"v": value},
    }


class Stream:
    """What urllib3 hands ``Watch.stream``: JSON lines, then the end of the response."""

    status = 200

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.closed = False

    def stream(self, amt: Any = None, decode_content: Any = None) -> Iterator[bytes]:
        for event in self.events:
            yield (json.dumps(event) + "\n").encode()

    def close(self) -> None:
        self.closed = True

    def release_conn(self) -> None:
        pass


class FakeApi:
    def __init__(self, lists: list[list[dict[str, Any]] | Exception]) -> None:
        self.lists = lists
        self.requests: list[tuple[str, Any]] = []

    def resource(self, api_version: str, kind: str) -> Resource:
        return Resource(api_version, kind, "configmaps", True)

    def request(self, method: str, path: str, **kw: Any) -> Any:
        self.requests.append((path, kw.get("query")))
        answer = self.lists.pop(0)
        if isinstance(answer, Exception):
            raise answer
        version = answer[-1]["metadata"]["resourceVersion"] if answer else "1"
        return {"metadata": {"resourceVersion": version}, "items": answer}


class ScriptedWatcher(Watcher):
    """A Watcher whose watch requests answer from a script, then stop it."""

    def __init__(self, api: FakeApi, streams: list[list[dict[str, Any]]], **kw: Any) -> None:
        super().__init__(api, "v1", "ConfigMap", namespace="ns", **kw)  # type: ignore[arg-type]
        self.streams = streams
        self.watched_from: list[str | None] = []
        self.finished = threading.Event()

    def _watch_call(self, **kwargs: Any) -> Any:
        self.watched_from.append(kwargs.get("resource_version"))
        if not self.streams:
            self._stop.set()
            self.finished.set()
            return Stream([])
        return Stream(self.streams.pop(0))


def run(watcher: ScriptedWatcher) -> None:
    watcher.start()
    assert watcher.finished.wait(10), "the watcher did not get through its script"
    watcher.stop()


def test_store_applies_added_modified_deleted() -> None:
    store = ObjectStore()
    store.replace([cm("a", "1")])
    assert store.apply("ADDED", cm("b", "2"))
    assert store.apply("MODIFIED", cm("a", "3", "2"))
    assert store.apply("DELETED", cm("b", "4"))
    assert not store.apply("DELETED", cm("zzz", "5"))
    assert not store.apply("BOOKMARK", cm("a", "6"))
    assert [(o["metadata"]["name"], o["data"]["v"]) for o in store.objects()] == [("a", "2")]


def test_list_then_follow_events_from_the_list_version() -> None:
    changes = []
    api = FakeApi([[cm("a", "5")]])
    watcher = ScriptedWatcher(
        api,
        [
            [
                {"type": "ADDED", "object": cm("b", "6")},
                {"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "7"}}},
                {"type": "MODIFIED", "object": cm("a", "8", "2")},
            ],
            [{"type": "DELETED", "object": cm("b", "9")}],
        ],
        on_change=lambda: changes.append(1),
        label_selector="app=x",
    )
    run(watcher)
    assert [o["metadata"]["name"] for o in watcher.objects] == ["a"]
    assert watcher.objects[0]["data"]["v"] == "2"
    assert watcher.objects[0]["kind"] == "ConfigMap"
    # each watch resumes from the last version seen (the bookmark's included)
    assert watcher.watched_from[:3] == ["5", "8", "9"]
    assert watcher.lists == 1 and len(changes) == 4  # the list, then 3 changes
    assert api.requests[0] == ("/api/v1/namespaces/ns/configmaps", [("labelSelector", "app=x")])


def test_gone_means_list_again() -> None:
    api = FakeApi([[cm("a", "5")], [cm("a", "50"), cm("c", "51")]])
    gone = {"type": "ERROR", "object": {"code": 410, "reason": "Expired", "message": "too old"}}
    watcher = ScriptedWatcher(api, [[gone]])
    run(watcher)
    assert watcher.lists == 2
    assert [o["metadata"]["name"] for o in watcher.objects] == ["a", "c"]
    assert watcher.watched_from == ["5", "51"]


def test_an_unreachable_cluster_is_reported_then_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("workshop.widgets.watching.BACKOFF", (0.01,))
    errors: list[str | None] = []
    api = FakeApi([ClusterError("cannot reach the cluster"), [cm("a", "5")]])
    watcher = ScriptedWatcher(api, [], on_error=errors.append)
    run(watcher)
    assert errors == ["cannot reach the cluster (retrying)", None]
    assert watcher.error is None and watcher.lists == 1
