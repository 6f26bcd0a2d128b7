"""Node pools made real in a cluster, and the store following what the cluster has.

``FakeApi`` keeps Node and NodePool objects in memory and records every call, so the
tests assert on what was sent, for a sandbox with the NodePool CRD and for one without.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.unit.test_cloud_fakes import NOW, World
from workshop.cloud import poolsync, workers
from workshop.cloud.store import NodePool
from workshop.cloud.workers import POOLS, SeenNode, SeenPool, Workers
from workshop.sandbox import nodes as sandbox_nodes
from workshop.sandbox.api import ApiError


class FakeApi:
    def __init__(self, *, crd: bool) -> None:
        self.crd = crd
        self.nodes: dict[str, dict[str, Any]] = {}
        self.pools: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []

    def request(self, method: str, path: str, body: Any = None) -> Any:
        self.calls.append((method, path))
        if path == f"/apis/{workers.GROUP}/{workers.VERSION}":
            if not self.crd:
                raise ApiError(404, "not found")
            return {}
        if path.startswith("/api/v1/pods"):
            return {"items": []}
        if "/eviction" in path:
            return {}
        store, base = (
            (self.pools, POOLS) if path.startswith(POOLS) else (self.nodes, "/api/v1/nodes")
        )
        name = path[len(base) + 1 :]
        if method == "GET" and not name:
            return {"items": list(store.values())}
        if method == "POST":
            created = copy.deepcopy(body)
            if store is self.nodes:  # kwok makes a new node Ready
                created["status"]["conditions"] = [{"type": "Ready", "status": "True"}]
            store[body["metadata"]["name"]] = created
            return body
        if name not in store:
            raise ApiError(404, f"{name} not found")
        if method == "GET":
            return copy.deepcopy(store[name])
        if method == "PUT":
            store[name] = copy.deepcopy(body)
            return body
        if method == "DELETE":
            return store.pop(name)
        raise AssertionError(f"unexpected {method} {path}")


def pool(**kw: Any) -> NodePool:
    values: dict[str, Any] = {
        "id": "pool-id-1",
        "cluster": "c1",
        "project": "p1",
        "name": "pool-1",
        "flavor": "c3-4",
        "desired": 2,
        "min": 0,
        "max": 5,
        "created": NOW,
        "updated": NOW,
        "template": {
            "metadata": {"labels": {"team": "blue"}, "annotations": {}, "finalizers": []},
            "spec": {"taints": [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]},
        },
    }
    values.update(kw)
    return NodePool(**values)


def test_without_the_crd_nodes_are_created_as_the_service_names_them() -> None:
    api = FakeApi(crd=False)
    work = Workers(api)
    assert work.crd is False
    work.apply(pool(), None)
    names = sorted(api.nodes)
    assert names == sorted(sandbox_nodes.node_name("pool-1", i) for i in range(2))
    node = api.nodes[names[0]]
    assert node["metadata"]["labels"]["nodepool"] == "pool-1"
    assert node["metadata"]["labels"]["team"] == "blue"
    assert node["metadata"]["labels"]["node.kubernetes.io/instance-type"] == (
        sandbox_nodes.flavor_id("c3-4")
    )
    assert node["spec"]["taints"] == [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]
    seen = work.observe()["pool-1"]
    assert {n.name for n in seen.nodes} == set(names)


def test_without_the_crd_a_downscale_drains_the_newest_nodes_or_the_named_ones() -> None:
    api = FakeApi(crd=False)
    work = Workers(api)
    work.apply(pool(desired=3), None)
    newest = sandbox_nodes.node_name("pool-1", 2)
    work.apply(pool(desired=2), work.observe()["pool-1"])
    assert newest not in api.nodes and len(api.nodes) == 2
    assert ("PUT", f"/api/v1/nodes/{newest}") in api.calls  # cordoned before it went
    first = sandbox_nodes.node_name("pool-1", 0)
    work.apply(pool(desired=1, nodes_to_remove=[first]), work.observe()["pool-1"])
    assert list(api.nodes) == [sandbox_nodes.node_name("pool-1", 1)]
    work.apply(pool(desired=2), work.observe()["pool-1"])  # the gap is filled first
    assert sorted(api.nodes) == sorted([first, sandbox_nodes.node_name("pool-1", 1)])


def test_with_the_crd_each_pool_is_a_nodepool_object_with_its_id() -> None:
    api = FakeApi(crd=True)
    work = Workers(api)
    work.apply(pool(autoscaling={"scaleDownUtilizationThreshold": 0.5}), None)
    created = api.pools["pool-1"]
    assert created["kind"] == "NodePool"
    assert created["metadata"]["labels"] == {"id": "pool-id-1"}
    spec = created["spec"]
    assert (spec["flavor"], spec["desiredNodes"], spec["maxNodes"]) == ("c3-4", 2, 5)
    assert spec["autoscaling"]["scaleDownUtilizationThreshold"] == "0.5"  # a string in the CRD
    assert not api.nodes  # the add-on's controller makes the nodes
    work.apply(pool(desired=4), work.observe()["pool-1"])
    assert api.pools["pool-1"]["spec"]["desiredNodes"] == 4
    work.delete("pool-1", work.observe()["pool-1"])
    assert not api.pools


def seen(
    name: str, ready: int, *, spec: dict[str, Any] | None = None, pool_id: str | None = None
) -> SeenPool:
    found = [SeenNode(f"{name}-node-{i:06x}", True, "") for i in range(ready)]
    return SeenPool(name, found, spec, pool_id)


def world_with_pool(**kw: Any) -> tuple[World, NodePool]:
    world = World()
    cluster = world.cluster()
    world.ready(cluster["id"])
    body = {"flavorName": "b3-8", "name": "pool-1", "desiredNodes": 2, "maxNodes": 4, **kw}
    created = world.ok("POST", f"{world.kube}/{cluster['id']}/nodepool", body)
    return world, world.store.pools[created["id"]]


def test_a_new_pool_is_pushed_then_ready_once_its_nodes_are() -> None:
    world, p = world_with_pool()
    actions = poolsync.sync(world.store, p.cluster, {}, now=NOW, delay=0, crd=False)
    assert [(a.kind, a.name) for a in actions] == [("apply", "pool-1")]
    poolsync.pushed(world.store, actions[0].pool)  # type: ignore[arg-type]
    poolsync.sync(
        world.store, p.cluster, {"pool-1": seen("pool-1", 1)}, now=NOW, delay=0, crd=False
    )
    assert (p.status, p.current) == ("INSTALLING", 1)
    cluster_seen = {"pool-1": seen("pool-1", 2)}
    poolsync.sync(world.store, p.cluster, cluster_seen, now=NOW, delay=0, crd=False)
    assert (p.status, p.current, p.available) == ("READY", 2, 2)
    nodes = world.store.nodes_of(p.cluster, p.id)
    assert [n.status for n in nodes] == ["READY", "READY"]
    assert nodes[0].id == poolsync.node_id(p.cluster, nodes[0].name)  # stable across restarts


def test_the_profiles_delay_holds_the_status() -> None:
    world, p = world_with_pool()
    p.pushed = True
    found = {"pool-1": seen("pool-1", 2)}
    poolsync.sync(world.store, p.cluster, found, now=NOW + 10, delay=30, crd=False)
    assert p.status == "INSTALLING"
    poolsync.sync(world.store, p.cluster, found, now=NOW + 31, delay=30, crd=False)
    assert p.status == "READY"


def test_a_change_made_in_the_cluster_shows_in_the_api() -> None:
    # the autoscaler (or `kubectl scale nodepool`) changed desiredNodes
    world, p = world_with_pool(autoscale=True)
    p.pushed, p.status, p.operation = True, "READY", None
    spec = {"desiredNodes": 4, "minNodes": 0, "maxNodes": 4, "autoscale": True}
    found = {"pool-1": seen("pool-1", 2, spec=spec, pool_id=p.id)}
    actions = poolsync.sync(world.store, p.cluster, found, now=NOW, delay=0, crd=True)
    assert actions == []
    assert (p.desired, p.status) == (4, "UPSCALING")


def test_the_sandbox_default_pool_is_dropped_and_kubectl_pools_are_adopted() -> None:
    world, p = world_with_pool()
    p.pushed = True
    found = {
        "pool-1": seen("pool-1", 2, spec={"desiredNodes": 2}, pool_id=p.id),
        "nodepool": seen("nodepool", 0, spec={"desiredNodes": 0, "flavor": "b3-8"}),
        "from-kubectl": seen("from-kubectl", 1, spec={"desiredNodes": 1, "flavor": "d2-8"}),
    }
    actions = poolsync.sync(world.store, p.cluster, found, now=NOW, delay=0, crd=True)
    kinds = {(a.kind, a.name) for a in actions}
    assert kinds == {("drop", "nodepool"), ("adopt", "from-kubectl")}
    adopted = next(x for x in world.store.pools_of(p.cluster) if x.name == "from-kubectl")
    assert (adopted.flavor, adopted.desired, adopted.current, adopted.status) == (
        "d2-8",
        1,
        1,
        "READY",
    )


def test_a_deleted_pool_leaves_once_its_nodes_are_gone() -> None:
    world, p = world_with_pool()
    world.ok("DELETE", f"{world.kube}/{p.cluster}/nodepool/{p.id}")
    found = {"pool-1": seen("pool-1", 1)}
    actions = poolsync.sync(world.store, p.cluster, found, now=NOW, delay=0, crd=False)
    assert [(a.kind, a.name) for a in actions] == [("delete", "pool-1")]
    assert p.id in world.store.pools
    poolsync.sync(world.store, p.cluster, {}, now=NOW, delay=0, crd=False)
    assert p.id not in world.store.pools
    assert not world.store.nodes_of(p.cluster)


@pytest.mark.parametrize("crd", [False, True])
def test_a_spec_changed_while_it_was_pushed_is_pushed_again(crd: bool) -> None:
    world, p = world_with_pool()
    (planned,) = poolsync.sync(world.store, p.cluster, {}, now=NOW, delay=0, crd=crd)
    world.ok("PUT", f"{world.kube}/{p.cluster}/nodepool/{p.id}", {"desiredNodes": 3})
    world.store.pools[p.id].updated = NOW + 1  # the PUT came later than the plan
    poolsync.pushed(world.store, planned.pool)  # type: ignore[arg-type]
    assert p.pushed is False
