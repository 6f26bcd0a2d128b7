"""What the crash tests share: a writer that records acknowledged writes, a workload to
bring back, and waits on conditions with deadlines."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from tests.conftest import Kubectl
from workshop.sandbox import Sandbox
from workshop.sandbox import api as sandbox_api
from workshop.sandbox.state import State

T = TypeVar("T")
NAMESPACE = "crash"


def until(what: str, probe: Callable[[], T | None], *, timeout: float = 90.0) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def api(box: Sandbox) -> sandbox_api.Api:
    state = State.load(box.layout.state_file)
    assert state is not None
    found = sandbox_api.load("127.0.0.1", state.ports.apiserver, box.layout.pki)
    found.timeout = 3.0
    return found


class Writer:
    """Creates ConfigMaps one after the other in a thread; remembers each one the API
    server acknowledged (201), whatever happens to the cluster meanwhile."""

    def __init__(self, box: Sandbox, tag: str) -> None:
        self.box = box
        self.tag = tag
        self.acked: list[str] = []
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"writer-{tag}", daemon=True)

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        assert not self._thread.is_alive(), "the writer did not stop"

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            name = f"{self.tag}-{n}"
            body = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "labels": {"writer": self.tag}},
                "data": {"n": str(n)},
            }
            try:
                api(self.box).request("POST", f"/api/v1/namespaces/{NAMESPACE}/configmaps", body)
            except sandbox_api.ApiError as e:
                if e.status == 409:  # written, but the answer was lost: it counts
                    self.acked.append(name)
                    n += 1
                else:
                    self.failures += 1
                    self._stop.wait(0.05)
                continue
            except (OSError, http.client.HTTPException):
                self.failures += 1
                self._stop.wait(0.05)
                continue
            self.acked.append(name)
            n += 1

    def wait_for(self, count: int, *, timeout: float = 90.0) -> None:
        """Wait until ``count`` more writes than now are acknowledged."""
        target = len(self.acked) + count
        until(f"{count} acknowledged writes", lambda: len(self.acked) >= target, timeout=timeout)

    def lost(self, kubectl: Kubectl) -> set[str]:
        listed = json.loads(
            kubectl("get", "configmaps", "-n", NAMESPACE, "-l", f"writer={self.tag}", "-o", "json")
        )
        kept = {item["metadata"]["name"] for item in listed["items"]}
        return set(self.acked) - kept


@contextlib.contextmanager
def sandbox_with_workload(home: Path) -> Iterator[Sandbox]:
    """A one-node sandbox running the hello Deployment behind a LoadBalancer Service."""
    sandbox = Sandbox(home, nodes=1, profile="instant")
    sandbox.up()
    try:
        deploy_workload(Kubectl(sandbox.kubeconfig))
        yield sandbox
    finally:
        sandbox.down()


def deploy_workload(kubectl: Kubectl) -> None:
    kubectl("create", "namespace", NAMESPACE)
    kubectl("create", "deployment", "hello", "--image=ovhplatform/hello", "--replicas=2",
            "-n", NAMESPACE)  # fmt: skip
    kubectl("expose", "deployment", "hello", "--type=LoadBalancer", "--port=80", "-n", NAMESPACE)
    kubectl("rollout", "status", "deployment/hello", "-n", NAMESPACE, "--timeout=90s")


def workload_serves(box: Sandbox, kubectl: Kubectl, *, replicas: int) -> None:
    """The Deployment reaches ``replicas`` available pods (controllers, scheduler and kwok
    all work) and its load balancer answers with the hello page of one of them."""
    kubectl("scale", "deployment/hello", f"--replicas={replicas}", "-n", NAMESPACE)
    kubectl("rollout", "status", "deployment/hello", "-n", NAMESPACE, "--timeout=90s")

    def available() -> bool:
        got = json.loads(kubectl("get", "deployment/hello", "-n", NAMESPACE, "-o", "json"))
        return bool(got["status"].get("availableReplicas") == replicas)

    until(f"{replicas} available replicas", available)

    def answers() -> bool:
        urls = [u for ns, name, found in box.urls() if (ns, name) == (NAMESPACE, "hello")
                for u in found]  # fmt: skip
        if not urls:
            return False
        try:
            with urllib.request.urlopen(urls[0], timeout=5) as page:
                return page.status == 200 and "hello-" in page.read().decode()
        except (OSError, urllib.error.URLError):
            return False

    until("the load balancer to answer", answers)


def pids(box: Sandbox) -> dict[str, int]:
    return {c.name: c.pid for c in box.status().components if c.pid}


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
