"""The reconciler's state transitions, with fake cluster processes (no control plane).

``FakeProcesses`` stands for ``ManagedCluster``: it records what the runtime asked for
and serves a ``FakeApi``, whose nodes turn Ready at once, as kwok makes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.test_cloud_fakes import World
from tests.unit.test_cloud_workers import FakeApi
from workshop.cloud.runtime import Runtime
from workshop.cloud.store import Store
from workshop.errors import SandboxError


class FakeProcesses:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.created = self.running = False
        self.calls: list[str] = []
        self.fake_api = FakeApi(crd=False)
        self.fail: Exception | None = None

    def exists(self) -> bool:
        return self.created

    def is_running(self) -> bool:
        return self.running

    def up(self, *, nodes: int) -> None:
        self.calls.append(f"up {nodes}")
        if self.fail:
            raise self.fail
        self.created = self.running = True

    def down(self) -> None:
        self.calls.append("down")
        self.running = False

    def reset(self) -> None:
        self.calls.append("reset")
        self.fake_api.nodes.clear()
        self.running = True

    def destroy(self) -> None:
        self.calls.append("destroy")
        self.created = self.running = False

    def apiserver_port(self) -> int | None:
        return 1 if self.running else None

    def api(self) -> FakeApi:
        if not self.running:
            raise OSError("not running")
        return self.fake_api

    def etcd_usage(self) -> int:
        return 4096

    def kubeconfig(self, *, name: str, server: str) -> str:
        return f"# {name} at {server}\n"


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[World, Runtime, dict[str, FakeProcesses]]]:
    made: dict[str, FakeProcesses] = {}

    def processes(root: Path) -> FakeProcesses:
        return made.setdefault(root.name, FakeProcesses(root))

    store = Store()
    runtime = Runtime(tmp_path, store, processes=processes)
    runtime.proxies.start()
    yield World(store=store, backend=runtime), runtime, made
    runtime.executor.shutdown(wait=True)
    runtime.proxies.stop()


def settle(runtime: Runtime, rounds: int = 8) -> None:
    """Reconcile until the background jobs are done, as the loop would."""
    for _ in range(rounds):
        runtime.reconcile()
        for job in list(runtime.jobs.values()):
            job.result(timeout=10)


def test_install_then_pools_then_ready(
    setup: tuple[World, Runtime, dict[str, FakeProcesses]],
) -> None:
    world, runtime, made = setup
    created = world.cluster(nodepool={"name": "pool-1", "flavorName": "b3-8", "desiredNodes": 2})
    cid = created["id"]
    assert runtime.wake.is_set()  # the POST woke the reconciler
    settle(runtime)
    assert made[cid].calls == ["up 0"]
    cluster = world.ok("GET", f"{world.kube}/{cid}")
    assert cluster["status"] == "READY"
    (pool,) = world.ok("GET", f"{world.kube}/{cid}/nodepool")
    assert (pool["status"], pool["currentNodes"], pool["availableNodes"]) == ("READY", 2, 2)
    assert len(world.ok("GET", f"{world.kube}/{cid}/node")) == 2
    assert world.ok("GET", f"{world.kube}/{cid}/metrics/etcdUsage")["usage"] == 4096
    content = world.ok("POST", f"{world.kube}/{cid}/kubeconfig")["content"]
    assert content == f"# {cid} at https://{created['url']}\n"  # the name defaults to the id
    assert runtime.proxies.endpoints[cid].port == int(created["url"].split(":")[1])


def test_ip_restrictions_reach_the_endpoint(
    setup: tuple[World, Runtime, dict[str, FakeProcesses]],
) -> None:
    world, runtime, _ = setup
    cid = world.cluster()["id"]
    settle(runtime)
    world.ok("PUT", f"{world.kube}/{cid}/ipRestrictions", {"ips": ["203.0.113.0/24"]})
    assert world.ok("GET", f"{world.kube}/{cid}")["status"] == "REDEPLOYING"
    settle(runtime)
    assert runtime.proxies.endpoints[cid].blocks == ["203.0.113.0/24"]
    assert world.ok("GET", f"{world.kube}/{cid}")["status"] == "READY"


@pytest.mark.parametrize(("policy", "pools_after"), [("delete", 0), ("reinstall", 1)])
def test_reset_wipes_the_cluster_and_keeps_or_drops_pools(
    setup: tuple[World, Runtime, dict[str, FakeProcesses]], policy: str, pools_after: int
) -> None:
    world, runtime, made = setup
    cid = world.cluster(nodepool={"name": "pool-1", "flavorName": "b3-8", "desiredNodes": 1})["id"]
    settle(runtime)
    world.ok("POST", f"{world.kube}/{cid}/reset", {"workerNodesPolicy": policy})
    settle(runtime)
    assert made[cid].calls == ["up 0", "reset"]
    assert world.ok("GET", f"{world.kube}/{cid}")["status"] == "READY"
    pools = world.ok("GET", f"{world.kube}/{cid}/nodepool")
    assert len(pools) == pools_after
    assert len(made[cid].fake_api.nodes) == pools_after  # reinstalled nodes are back
    assert all(p["status"] == "READY" for p in pools)


def test_restart_and_delete(setup: tuple[World, Runtime, dict[str, FakeProcesses]]) -> None:
    world, runtime, made = setup
    cid = world.cluster()["id"]
    settle(runtime)
    world.ok("POST", f"{world.kube}/{cid}/restart")
    settle(runtime)
    assert made[cid].calls == ["up 0", "down", "up 0"]
    world.ok("DELETE", f"{world.kube}/{cid}")
    settle(runtime)
    assert made[cid].calls[-1] == "destroy"
    assert world.error("GET", f"{world.kube}/{cid}")[0] == 404
    assert cid not in runtime.proxies.endpoints


def test_a_failed_install_is_an_error(
    setup: tuple[World, Runtime, dict[str, FakeProcesses]],
) -> None:
    world, runtime, made = setup

    def failing(root: Path) -> FakeProcesses:
        found = made.setdefault(root.name, FakeProcesses(root))
        found.fail = SandboxError("kube-apiserver keeps crashing")
        return found

    runtime.processes = failing
    cid = world.cluster()["id"]
    settle(runtime)
    assert world.ok("GET", f"{world.kube}/{cid}")["status"] == "ERROR"
    assert world.store.clusters[cid].message == "kube-apiserver keeps crashing"
    assert made[cid].calls == ["up 0"]  # tried once, not in a loop


def test_a_ready_cluster_comes_back_when_the_emulator_starts(
    setup: tuple[World, Runtime, dict[str, FakeProcesses]],
) -> None:
    world, runtime, made = setup
    cid = world.cluster()["id"]
    settle(runtime)
    made[cid].down()
    runtime.proxies.stop()
    runtime.proxies = type(runtime.proxies)(runtime.ensure_running)
    thread = runtime.start()
    try:
        for job in list(runtime.jobs.values()):
            job.result(timeout=10)
        assert made[cid].running
        assert made[cid].calls == ["up 0", "down", "up 0"]
    finally:
        runtime.stopping.set()
        runtime.wake.set()
        thread.join(timeout=5)


def test_the_lifelike_profile_holds_each_status_for_its_delay(tmp_path: Path) -> None:
    made: dict[str, FakeProcesses] = {}
    now = [1_700_000_000.0]
    store = Store()
    runtime = Runtime(
        tmp_path,
        store,
        profile="lifelike",
        processes=lambda root: made.setdefault(root.name, FakeProcesses(root)),
        clock=lambda: now[0],
    )
    runtime.proxies.start()
    try:
        world = World(store=store, backend=runtime, now=now[0])
        cid = world.cluster()["id"]
        settle(runtime)
        assert made[cid].running  # the control plane is up...
        assert world.ok("GET", f"{world.kube}/{cid}")["status"] == "INSTALLING"  # ...not READY yet
        now[0] += runtime.delays.install
        settle(runtime)
        assert world.ok("GET", f"{world.kube}/{cid}")["status"] == "READY"
    finally:
        runtime.executor.shutdown(wait=True)
        runtime.proxies.stop()
