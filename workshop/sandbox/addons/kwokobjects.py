"""The pods' kwok objects: ``Logs`` (where their logs are) and ``PortForward`` (who answers).

kwok serves ``kubectl logs`` and ``kubectl port-forward`` from objects named after the pod:
a ``Logs`` lists each container's log files, a ``PortForward`` the address that answers for
each port. They name the pod as their owner, so the garbage collector deletes them with
it, like a Deployment's ReplicaSets.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes.client.exceptions import ApiException

from workshop.sandbox.addons.client import MERGE_PATCH, Kube, call, missing

KWOK = ("kwok.x-k8s.io", "v1alpha1")
BURST = 20  # pods scheduled in one second
MAX_DEFER = 10.0  # seconds an object waits for a burst to end, at most


@dataclass(frozen=True)
class Item:
    """A kwok object to create for a pod: its ``logs`` (once scheduled) or ``portforwards``."""

    key: str
    uid: str
    kind: str


class Publisher:
    """Creates the pods' kwok objects, yielding to a burst of pod starts.

    The Logs and PortForward objects are the simulation's plumbing, not the pods' state.
    When pods come in a burst (a 1,000-replica Deployment), each object waits until the
    burst is over (or ``MAX_DEFER``), so the API server first spends itself on the pods
    going Running; meanwhile ``kubectl logs`` answers with kwok's fallback message.
    A learner's few pods never make a burst: their objects come at once.
    """

    def __init__(self, publish: Callable[[Item], None], log: Callable[[str], None]) -> None:
        self._publish = publish
        self._log = log
        self._items: queue.Queue[Item] = queue.Queue()
        self._starts: deque[float] = deque()

    def add(self, item: Item) -> None:
        if item.kind == "logs":  # one per pod: counts the pods
            self._starts.append(time.monotonic())
        self._items.put(item)

    def burst(self) -> bool:
        while self._starts and time.monotonic() - self._starts[0] > 1.0:
            self._starts.popleft()
        return len(self._starts) > BURST

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                item = self._items.get(timeout=1.0)
            except queue.Empty:
                continue
            waited = 0.0
            while self.burst() and waited < MAX_DEFER:
                time.sleep(0.2)
                waited += 0.2
            try:
                self._publish(item)
            except ApiException as e:
                self._log(
                    f"{item.key}: creating its kwok {item.kind} failed ({e.status}); retrying"
                )
                stop.wait(1.0)
                self._items.put(item)


def logs_spec(pod: dict[str, Any], folder: Path) -> dict[str, Any]:
    """One log entry per container: the current run's file and the previous run's."""
    return {
        "logs": [
            {
                "containers": [c["name"]],
                "logsFile": str(folder / c["name"] / "current.log"),
                "previousLogsFile": str(folder / c["name"] / "previous.log"),
                "follow": True,
            }
            for c in pod["spec"]["containers"]
        ]
    }


def forwards_spec(targets: dict[int, int]) -> dict[str, Any]:
    """Container port -> the loopback port of the listener that answers for it."""
    return {
        "forwards": [
            {"ports": [port], "target": {"address": "127.0.0.1", "port": target}}
            for port, target in sorted(targets.items())
        ]
    }


KINDS = {"logs": "Logs", "portforwards": "PortForward"}


def ensure(kube: Kube, pod: dict[str, Any], plural: str, spec: dict[str, Any]) -> None:
    """Create the pod's ``plural`` object, or take over one an earlier pod left."""
    meta = pod["metadata"]
    owner = {"apiVersion": "v1", "kind": "Pod", "name": meta["name"], "uid": meta["uid"]}
    body = {
        "apiVersion": "/".join(KWOK),
        "kind": KINDS[plural],
        "metadata": {"name": meta["name"], "ownerReferences": [owner]},
        "spec": spec,
    }
    namespace, custom = meta["namespace"], kube.custom
    try:
        call(custom.create_namespaced_custom_object, *KWOK, namespace, plural, body)
        return
    except ApiException as e:
        if e.status != 409:
            raise
    # Left by an earlier pod of the same name (a StatefulSet's): make it ours.
    try:
        call(
            custom.patch_namespaced_custom_object,
            *KWOK,
            namespace,
            plural,
            meta["name"],
            {"metadata": {"ownerReferences": [owner]}, "spec": spec},
            _content_type=MERGE_PATCH,
        )
    except ApiException as e:
        if not missing(e):
            raise
        call(custom.create_namespaced_custom_object, *KWOK, namespace, plural, body)
