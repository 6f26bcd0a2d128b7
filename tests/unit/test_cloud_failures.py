"""The reconciler with one bad object: that object's error, never the whole pass's.

Fake cluster processes (``FakeProcesses``) whose kube-apiserver (``RefusingApi``) refuses
what the real one refuses: a path with a control character cannot even be sent
(http.client's ``InvalidURL``), a Node whose name or labels are invalid is a 422. The
clock is the test's, so back-off is asserted by counting attempts, never by waiting.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.unit.test_cloud_fakes import NOW, World
from tests.unit.test_cloud_runtime import FakeProcesses, settle
from tests.unit.test_cloud_workers import FakeApi
from workshop.cli import cli
from workshop.cloud import Emulator, poolsync, runtime
from workshop.cloud.runtime import Runtime
from workshop.cloud.store import NodePool, Store
from workshop.cloud.workers import SeenNode, SeenPool
from workshop.sandbox.api import ApiError


class RefusingApi(FakeApi):
    """A FakeApi that refuses as kube-apiserver does, and fails for a while on demand."""

    def __init__(self, *, crd: bool) -> None:
        super().__init__(crd=crd)
        self.failures: list[Exception] = []
        """Raised, one per call, by the next POSTs of nodes (a flaky apiserver)."""

    def request(self, method: str, path: str, body: Any = None) -> Any:
        if any(ord(c) < 0x20 for c in path):
            self.calls.append((method, path))
            raise http.client.InvalidURL(f"URL can't contain control characters. {path!r}")
        if method == "POST" and path == "/api/v1/nodes":
            if self.failures:
                self.calls.append((method, path))
                raise self.failures.pop(0)
            name = body["metadata"]["name"]
            if any(ord(c) < 0x20 for c in name):
                self.calls.append((method, path))
                raise ApiError(422, f'Node "{name}" is invalid: metadata.name: Invalid value')
        return super().request(method, path, body)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[World, Runtime, dict[str, FakeProcesses], list[float]]]:
    made: dict[str, FakeProcesses] = {}
    clock = [NOW]

    def processes(root: Path) -> FakeProcesses:
        if root.name not in made:
            made[root.name] = FakeProcesses(root)
            made[root.name].fake_api = RefusingApi(crd=False)
        return made[root.name]

    store = Store()
    run = Runtime(tmp_path, store, processes=processes, clock=lambda: clock[0])
    run.proxies.start()
    yield World(store=store, backend=run), run, made, clock
    run.executor.shutdown(wait=True)
    run.proxies.stop()


def add_bad_pool(world: World, cluster: str, name: str) -> NodePool:
    """A pool the API would refuse today, as a state file from an older version holds it."""
    good = world.store.pools_of(cluster)[0]
    bad = NodePool(
        id="bad-pool",
        cluster=cluster,
        project=good.project,
        name=name,
        flavor="b3-8",
        desired=1,
        min=0,
        max=3,
        created=NOW + 1,
        updated=NOW + 1,
    )
    world.store.pools[bad.id] = bad
    return bad


def pool_body(name: str) -> dict[str, Any]:
    return {"name": name, "flavorName": "b3-8", "desiredNodes": 1}


def test_a_pool_the_cluster_refuses_is_in_error_and_the_others_go_on(
    world: tuple[World, Runtime, dict[str, FakeProcesses], list[float]],
) -> None:
    w, run, made, _ = world
    first = w.cluster(nodepool=pool_body("pool-1"))["id"]
    settle(run)
    bad = add_bad_pool(w, first, "pool\n")
    second = w.cluster(nodepool=pool_body("pool-2"))["id"]  # installs meanwhile
    w.ok("PUT", f"{w.kube}/{first}/nodepool/{w.store.pools_of(first)[0].id}", {"desiredNodes": 2})
    settle(run, rounds=12)
    assert w.ok("GET", f"{w.kube}/{second}")["status"] == "READY"
    pools = {p["name"]: p for p in w.ok("GET", f"{w.kube}/{first}/nodepool")}
    assert pools["pool-1"]["status"] == "READY" and pools["pool-1"]["currentNodes"] == 2
    assert pools["pool\n"]["status"] == "ERROR"
    assert bad.message is not None and "Invalid value" in bad.message
    assert [p["status"] for p in w.ok("GET", f"{w.kube}/{second}/nodepool")] == ["READY"]
    refused = [c for c in made[first].fake_api.calls if c == ("POST", "/api/v1/nodes")]
    assert len(refused) == 2 + 1  # pool-1's two nodes, and the bad pool's one try only


def test_a_pool_in_error_is_tried_again_after_a_put(
    world: tuple[World, Runtime, dict[str, FakeProcesses], list[float]],
) -> None:
    w, run, made, _ = world
    cid = w.cluster(nodepool=pool_body("pool-1"))["id"]
    settle(run)
    (pool,) = w.store.pools_of(cid)
    api = made[cid].fake_api
    assert isinstance(api, RefusingApi)
    api.failures = [ApiError(422, "spec.taints: Invalid value")]
    w.ok("PUT", f"{w.kube}/{cid}/nodepool/{pool.id}", {"desiredNodes": 2})
    settle(run)
    assert w.ok("GET", f"{w.kube}/{cid}/nodepool/{pool.id}")["status"] == "ERROR"
    w.ok("PUT", f"{w.kube}/{cid}/nodepool/{pool.id}", {"desiredNodes": 2})
    assert pool.message is None
    settle(run)
    got = w.ok("GET", f"{w.kube}/{cid}/nodepool/{pool.id}")
    assert (got["status"], got["currentNodes"]) == ("READY", 2)


def test_a_failing_pool_backs_off_instead_of_a_hot_loop(
    world: tuple[World, Runtime, dict[str, FakeProcesses], list[float]],
) -> None:
    w, run, made, clock = world
    cid = w.cluster()["id"]
    settle(run)
    api = made[cid].fake_api
    assert isinstance(api, RefusingApi)
    api.failures = [OSError("connection reset"), ApiError(500, "etcdserver: request timed out")]
    created = w.ok("POST", f"{w.kube}/{cid}/nodepool", pool_body("pool-1"))

    def tries() -> int:
        return api.calls.count(("POST", "/api/v1/nodes"))

    run.wake.clear()
    settle(run, rounds=20)
    assert tries() == 1  # twenty passes, one try: the pool waits for its back-off
    assert not run.wake.is_set()  # and nothing asks for an immediate pass
    clock[0] += runtime.BACKOFF_FIRST
    settle(run, rounds=20)
    assert tries() == 2  # the second failure doubles the wait
    clock[0] += runtime.BACKOFF_FIRST
    settle(run)
    assert tries() == 2
    clock[0] += runtime.BACKOFF_FIRST
    settle(run)
    got = w.ok("GET", f"{w.kube}/{cid}/nodepool/{created['id']}")
    assert (got["status"], got["currentNodes"], tries()) == ("READY", 1, 3)


def test_a_cluster_whose_step_fails_is_in_error_and_the_others_install(
    world: tuple[World, Runtime, dict[str, FakeProcesses], list[float]],
) -> None:
    w, run, _, _ = world
    broken = w.cluster()["id"]
    made_by = run.processes

    def processes(root: Path) -> Any:
        if root.name == broken:
            raise RuntimeError("state file unreadable")
        return made_by(root)

    run.processes = processes
    other = w.cluster()["id"]
    settle(run)
    assert w.ok("GET", f"{w.kube}/{broken}")["status"] == "ERROR"  # not INSTALLING forever
    assert "state file unreadable" in (w.store.clusters[broken].message or "")
    assert w.ok("GET", f"{w.kube}/{other}")["status"] == "READY"
    assert run.backoffs[broken].failures == 1  # tried once in all those passes


def test_a_nodepool_spec_the_api_cannot_read_does_not_stop_the_sync() -> None:
    w = World()
    cid = w.cluster(nodepool=pool_body("pool-1"))["id"]
    w.ready(cid)
    w.ok("POST", f"{w.kube}/{cid}/nodepool", pool_body("pool-2"))
    one, two = w.store.pools_of(cid)
    for p in (one, two):
        p.pushed, p.status, p.operation = True, "READY", None
    node = SeenNode("pool-2-node-000001", True, "")
    seen = {
        "pool-1": SeenPool("pool-1", [], {"desiredNodes": "many"}, one.id),
        "pool-2": SeenPool("pool-2", [node], {"desiredNodes": 1}, two.id),
        "kubectl": SeenPool("kubectl", [], {"desiredNodes": {"a": 1}}),
    }
    actions = poolsync.sync(w.store, cid, seen, now=NOW, delay=0, crd=True)
    # pool-1's garbage is overwritten by the API's spec; the other pools are synced
    assert [(a.kind, a.name) for a in actions] == [("apply", "pool-1")]
    assert (two.current, two.status) == (1, "READY")
    assert [p.name for p in w.store.pools_of(cid)] == ["pool-1", "pool-2"]


def restarted(run: Runtime, path: Path, processes: Any) -> tuple[World, Runtime]:
    """A new daemon after kill -9: the saved state only, the clusters' processes as left."""
    run.executor.shutdown(wait=True, cancel_futures=True)
    run.proxies.stop()
    store = Store(path)
    again = Runtime(path.parent, store, processes=processes, clock=run.clock)
    again.proxies.start()
    return World(store=store, backend=again), again


def test_a_cluster_saved_mid_install_is_installed_by_the_next_daemon(tmp_path: Path) -> None:
    made: dict[str, FakeProcesses] = {}

    def processes(root: Path) -> FakeProcesses:
        return made.setdefault(root.name, FakeProcesses(root))

    store = Store(tmp_path / "state.json")
    run = Runtime(tmp_path, store, processes=processes)
    run.proxies.start()
    w = World(store=store, backend=run)
    cid = w.cluster(nodepool=pool_body("pool-1"))["id"]
    store.save()  # what the killed daemon left: INSTALLING, nothing started
    w2, run2 = restarted(run, tmp_path / "state.json", processes)
    try:
        settle(run2)
        assert w2.ok("GET", f"{w2.kube}/{cid}")["status"] == "READY"
        (pool,) = w2.ok("GET", f"{w2.kube}/{cid}/nodepool")
        assert (pool["status"], pool["currentNodes"]) == ("READY", 1)
    finally:
        run2.executor.shutdown(wait=True)
        run2.proxies.stop()


def test_a_pool_saved_mid_resize_is_resized_by_the_next_daemon(tmp_path: Path) -> None:
    made: dict[str, FakeProcesses] = {}

    def processes(root: Path) -> FakeProcesses:
        return made.setdefault(root.name, FakeProcesses(root))

    store = Store(tmp_path / "state.json")
    run = Runtime(tmp_path, store, processes=processes)
    run.proxies.start()
    w = World(store=store, backend=run)
    cid = w.cluster(nodepool=pool_body("pool-1"))["id"]
    settle(run)
    (pool,) = w.store.pools_of(cid)
    w.ok("PUT", f"{w.kube}/{cid}/nodepool/{pool.id}", {"desiredNodes": 3})
    store.save()  # UPSCALING, not pushed; the cluster's processes keep running
    w2, run2 = restarted(run, tmp_path / "state.json", processes)
    try:
        assert w2.ok("GET", f"{w2.kube}/{cid}/nodepool/{pool.id}")["status"] == "UPSCALING"
        settle(run2)
        got = w2.ok("GET", f"{w2.kube}/{cid}/nodepool/{pool.id}")
        assert (got["status"], got["currentNodes"]) == ("READY", 3)
        assert len(made[cid].fake_api.nodes) == 3
    finally:
        run2.executor.shutdown(wait=True)
        run2.proxies.stop()


def test_the_emulators_status_says_why_a_pool_is_in_error(tmp_path: Path) -> None:
    emulator = Emulator(tmp_path)
    store = Store(emulator.layout.state)
    w = World(store=store)
    cid = w.cluster(nodepool=pool_body("pool-1"))["id"]
    w.ready(cid)
    (pool,) = store.pools_of(cid)
    poolsync.refused(store, pool, 'Node "x" is invalid', now=NOW)
    store.save()
    (info,) = emulator.status().clusters
    assert info.status == "READY" and info.message is None
    assert info.pool_errors == {"pool-1": 'the cluster refused this node pool: Node "x" is invalid'}
    # `workshop cloud status` says it too (stopped emulator: exit 3, after the report)
    shown = CliRunner().invoke(cli, ["cloud", "status"], env={"WORKSHOP_HOME": str(tmp_path)})
    assert shown.exit_code == 3, shown.output
    assert "node pool pool-1 of" in shown.output and 'Node "x" is invalid' in shown.output


def test_a_pool_name_that_is_no_url_is_that_pools_error_with_the_crd(
    world: tuple[World, Runtime, dict[str, FakeProcesses], list[float]],
) -> None:
    # the case seen: "pool\n" made every pass fail with InvalidURL (GET .../nodepools/pool\n)
    w, run, made, _ = world
    first = w.cluster(nodepool=pool_body("pool-1"))["id"]
    made[first] = FakeProcesses(Path(first))
    made[first].fake_api = RefusingApi(crd=True)
    bad = add_bad_pool(w, first, "pool\n")
    second = w.cluster()["id"]
    settle(run, rounds=12)
    assert bad.status == "ERROR"
    assert "control characters" in (bad.message or "")
    assert w.ok("GET", f"{w.kube}/{second}")["status"] == "READY"
    assert "pool-1" in made[first].fake_api.pools  # the good pool was pushed all the same
    tried = [c for c in made[first].fake_api.calls if "pool\n" in c[1]]
    assert len(tried) == 1
