"""The whole sandbox crashes, or two commands meet: the supervisor killed with SIGKILL (also
with a component that will not exit), every process killed at once (a machine that
crashed), a port taken by another program, ``up`` twice at once, ``down`` during ``up``,
``reset`` during a rollout. Each ends in a clear state, with no acknowledged write lost."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator

import pytest

from tests.conftest import Kubectl, kubectl_binary
from tests.integration import crashkit
from workshop.errors import SandboxError
from workshop.sandbox import Sandbox
from workshop.sandbox.state import State

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with crashkit.sandbox_with_workload(tmp_path_factory.mktemp("crash-home")) as sandbox:
        yield sandbox


def supervisor_pid(box: Sandbox) -> int:
    return next(c.pid for c in box.status().components if c.name == "supervisor" and c.pid)


def test_a_killed_supervisor_is_replaced_by_the_next_up(box: Sandbox) -> None:
    kubectl = Kubectl(box.kubeconfig)
    with crashkit.Writer(box, "w-supervisor") as writer:
        writer.wait_for(20)
        crashkit.kill(supervisor_pid(box))
        # status tells the truth as soon as the kernel has ended it
        crashkit.until("status to say stopped", lambda: not box.status().running, timeout=10)
        assert box.up() is True
        writer.wait_for(20)
    assert writer.lost(kubectl) == set()
    crashkit.workload_serves(box, kubectl, replicas=3)


def test_a_component_that_will_not_exit_is_ended_by_up(box: Sandbox) -> None:
    """The reported failure: the old apiserver still held its port while `up` ran, `up`
    moved the port but waited on the old one, and stopped a working sandbox after 90 s."""
    kubectl = Kubectl(box.kubeconfig)
    port = State.load(box.layout.state_file).ports.apiserver  # type: ignore[union-attr]
    stuck = crashkit.pids(box)["kube-apiserver"]
    os.kill(stuck, signal.SIGSTOP)  # it cannot act on the SIGTERM its parent's death sends
    crashkit.kill(supervisor_pid(box))
    status = crashkit.until("status to say stopped", lambda: (s := box.status()).running is False
                            and s, timeout=10)  # fmt: skip
    assert stuck in status.leftovers
    assert box.up() is True
    assert any("ended" in n and "stopped abruptly" in n for n in box.notices), box.notices
    assert State.load(box.layout.state_file).ports.apiserver == port  # type: ignore[union-attr]
    assert stuck not in crashkit.pids(box).values()
    crashkit.workload_serves(box, kubectl, replicas=2)


def test_everything_killed_at_once_comes_back_with_every_write(box: Sandbox) -> None:
    kubectl = Kubectl(box.kubeconfig)
    with crashkit.Writer(box, "w-crash") as writer:
        writer.wait_for(20)
        victims = [supervisor_pid(box), *crashkit.pids(box).values()]
        for pid in victims:
            crashkit.kill(pid)
        crashkit.until("every process to be gone", lambda: not box.status().leftovers)
        assert not box.status().running
        assert box.up() is True
        writer.wait_for(20)
    assert writer.lost(kubectl) == set()
    crashkit.workload_serves(box, kubectl, replicas=2)


def test_a_saved_port_taken_by_another_program_is_moved_with_a_note(box: Sandbox) -> None:
    assert box.down() is True
    old = State.load(box.layout.state_file).ports.apiserver  # type: ignore[union-attr]
    with socket.socket() as squatter:
        # as servers do (Go's, nginx): the old apiserver's closed connections may linger
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", old))
        squatter.listen()
        assert box.up() is True
    new = State.load(box.layout.state_file).ports.apiserver  # type: ignore[union-attr]
    assert new != old
    assert f"port {old} is taken by another program: kube-apiserver now listens on port {new}" in (
        " ".join(box.notices)
    )
    server = Kubectl(box.kubeconfig)("config", "view", "--minify", "-o",
                                     "jsonpath={.clusters[0].cluster.server}")  # fmt: skip
    assert server == f"https://127.0.0.1:{new}"
    crashkit.workload_serves(box, Kubectl(box.kubeconfig), replicas=3)


def test_up_on_another_port_while_running_is_refused_at_once(box: Sandbox) -> None:
    running = State.load(box.layout.state_file).ports.apiserver  # type: ignore[union-attr]
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        wanted = other.getsockname()[1]
    with pytest.raises(SandboxError, match=f"already runs, with kube-apiserver on port {running}"):
        Sandbox(box.home, port=wanted).up()
    assert State.load(box.layout.state_file).ports.apiserver == running  # type: ignore[union-attr]
    assert box.status().running


def test_up_twice_at_once_starts_one_sandbox(box: Sandbox) -> None:
    assert box.down() is True
    results: dict[int, bool | SandboxError] = {}

    def up(i: int) -> None:
        try:
            results[i] = Sandbox(box.home).up()
        except SandboxError as e:  # the test reads it below
            results[i] = e

    threads = [threading.Thread(target=up, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert sorted(results.values(), key=str) == [False, True]  # one started, one found it
    assert box.status().running


def test_down_during_up_waits_its_turn_and_stops(box: Sandbox) -> None:
    assert box.down() is True
    started: list[bool | SandboxError] = []

    def up() -> None:
        try:
            started.append(Sandbox(box.home).up())
        except SandboxError as e:  # the test reads it below
            started.append(e)

    starting = threading.Thread(target=up)
    starting.start()
    crashkit.until("the start to begin", lambda: box.layout.supervisor_pid.exists(), timeout=60)
    assert box.down() is True
    starting.join(timeout=180)
    assert started == [True]  # up finished its start; down came after it, not in its middle
    status = box.status()
    assert not status.running and not status.leftovers
    assert box.up() is True


def test_reset_during_a_rollout_gives_an_empty_cluster(box: Sandbox) -> None:
    kubectl = Kubectl(box.kubeconfig)
    kubectl("set", "image", "deployment/hello", "hello=ovhplatform/hello:2.0", "-n",
            crashkit.NAMESPACE)  # fmt: skip
    # a learner's `rollout status` in another terminal, with its own deadline
    watching = subprocess.Popen(
        [kubectl_binary(), f"--kubeconfig={box.kubeconfig}", "rollout", "status",
         "deployment/hello", "-n", crashkit.NAMESPACE, "--timeout=20s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        box.reset()
        # it ends: done before the reset, or by its deadline (kubectl waits for the object)
        watching.communicate(timeout=120)
    finally:
        watching.kill()
        watching.wait()
    again = kubectl.run("rollout", "status", "deployment/hello", "-n", crashkit.NAMESPACE,
                        check=False)  # fmt: skip
    assert again.returncode != 0
    assert "(NotFound)" in again.stderr  # the namespace went with the reset
    namespaces = json.loads(kubectl("get", "namespaces", "-o", "json"))["items"]
    assert crashkit.NAMESPACE not in {n["metadata"]["name"] for n in namespaces}
    nodes = json.loads(kubectl("get", "nodes", "-o", "json"))["items"]
    assert len(nodes) == 1
    assert box.status().running
