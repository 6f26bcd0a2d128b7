"""Node pools: Node objects created and removed to match each NodePool, as the service does.

A NodePool (``kubectl get nodepools``) says how many nodes of which flavor, with which
labels and taints. This controller compares that with the pool's Node objects:

- too few: it "boots" instances (a delay in the lifelike profile), then creates their
  Node objects; kwok's ``node-initialize`` stage makes them Ready;
- too many: it picks nodes (those the autoscaler marked first, then not-Ready ones, then
  the newest), cordons them, evicts their pods through the Eviction API (so
  PodDisruptionBudgets are honoured), and deletes them once empty;
- a changed template is applied to the existing nodes;
- ``status`` counts the current, available and up-to-date nodes.

A finalizer keeps a deleted pool until its nodes are gone.
"""

from __future__ import annotations

import time
from typing import Any

from kubernetes.client.exceptions import ApiException

from workshop.errors import SandboxError
from workshop.sandbox import nodes as node_specs
from workshop.sandbox.addons import pools
from workshop.sandbox.addons.annotations import PREFIX
from workshop.sandbox.addons.client import MERGE_PATCH, Events, Kube, call
from workshop.sandbox.addons.loop import Controller, Informer
from workshop.sandbox.addons.settings import Settings

FINALIZER = "kube.cloud.ovh.com/nodepool"
APPLIED = PREFIX + "nodepool-template"
GROUP, VERSION, PLURAL = node_specs.POOL_GROUP, node_specs.POOL_VERSION, "nodepools"


def evictable(pod: dict[str, Any]) -> bool:
    """Pods a drain evicts: not finished, not a DaemonSet's (it would come back at once)."""
    owners = pod["metadata"].get("ownerReferences") or []
    done = pod.get("status", {}).get("phase") in ("Succeeded", "Failed")
    return not done and not any(o.get("kind") == "DaemonSet" for o in owners)


class NodePools(Controller):
    name = "nodepools"

    def __init__(
        self, kube: Kube, pools_: Informer, nodes: Informer, pods: Informer, settings: Settings
    ) -> None:
        super().__init__()
        self.kube, self.pools, self.nodes, self.pods = kube, pools_, nodes, pods
        self.settings = settings
        self.events = Events(kube, "nodepool-controller")
        self.booting: dict[str, dict[int, float]] = {}  # pool -> node index -> when it joins
        self.created: dict[str, tuple[float, dict[str, Any]]] = {}  # until the cache has them
        self.draining: dict[str, float] = {}  # node -> when its drain started
        self.watch(pools_)
        self.watch(nodes, self._pool_of)

    @staticmethod
    def _pool_of(node: dict[str, Any]) -> list[str]:
        pool = (node["metadata"].get("labels") or {}).get(node_specs.POOL_LABEL)
        return [pool] if pool else []

    def _all_nodes(self) -> list[dict[str, Any]]:
        """The cache's nodes, plus the ones just created that the watch has not shown yet."""
        cached = self.nodes.items()
        names = {n["metadata"]["name"] for n in cached}
        for name, (when, _) in list(self.created.items()):
            if name in names or time.monotonic() - when > 30:
                del self.created[name]
        return cached + [node for _, node in self.created.values()]

    def reconcile(self, key: str) -> float | None:
        pool = self.pools.get(key)
        if pool is None:
            self.booting.pop(key, None)
            return None
        nodes = self._all_nodes()
        mine = pools.members(key, nodes)
        if pool["metadata"].get("deletionTimestamp"):
            return self._delete_pool(pool, mine)
        if FINALIZER not in (pool["metadata"].get("finalizers") or []):
            finalizers = [*(pool["metadata"].get("finalizers") or []), FINALIZER]
            self._patch(pool, {"metadata": {"finalizers": finalizers}})
        spec = pool["spec"]
        try:
            node_specs.flavor_spec(spec["flavor"])
        except SandboxError as e:
            self._status(pool, nodes, ("False", "UnknownFlavor", e.message))
            return None
        wake = [self._resize(pool, nodes, mine)]
        template = spec.get("template") or {}
        for node in mine:
            patch = pools.template_patch(node, template, APPLIED)
            if patch is not None and node["metadata"]["name"] not in self.draining:
                self._patch_node(node["metadata"]["name"], patch)
        self._status(pool, self._all_nodes())
        waits = [w for w in wake if w is not None]
        return min(waits) if waits else None

    # -- resizing ---------------------------------------------------------------------------

    def _resize(
        self, pool: dict[str, Any], nodes: list[dict[str, Any]], mine: list[dict[str, Any]]
    ) -> float | None:
        name, spec = pool["metadata"]["name"], pool["spec"]
        desired = spec["desiredNodes"]
        if len(mine) > desired:
            nodes = self._read_members(name, nodes)
        booting = self.booting.setdefault(name, {})
        while booting and len(mine) + len(booting) > desired:  # shrunk while booting
            booting.pop(max(booting))
        plan = pools.plan(name, desired, nodes, frozenset(booting))
        now = time.monotonic()
        if plan.create:
            total = len(mine) + len(booting)
            self.events.record(
                pool,
                "NodePool",
                "ScalingUp",
                f"Adding {len(plan.create)} node(s): {total} -> {total + len(plan.create)}",
            )
            self.log.info("%s: adding %d node(s) (%s)", name, len(plan.create), spec["flavor"])
            for index in plan.create:
                booting[index] = now + self.settings.node_boot_seconds
        due = sorted(i for i, at in booting.items() if at <= now)
        for index, ip in zip(due, pools.free_ips(nodes, len(due)), strict=True):
            del booting[index]
            self._create_node(pool, index, ip)
        for node_name in plan.delete:
            self._drain(pool, node_name)
        waits = [at - now for at in booting.values()]
        if any(n in self.draining for n in {m["metadata"]["name"] for m in mine}):
            waits.append(1.0)
        return max(0.05, min(waits)) if waits else None

    def _create_node(self, pool: dict[str, Any], index: int, ip: str) -> None:
        spec = pool["spec"]
        template = spec.get("template") or {}
        meta_t, spec_t = template.get("metadata") or {}, template.get("spec") or {}
        node = node_specs.manifest(
            pool=pool["metadata"]["name"],
            index=index,
            flavor=spec["flavor"],
            ip=ip,
            labels=meta_t.get("labels"),
            annotations={
                **(meta_t.get("annotations") or {}),
                APPLIED: pools.template_note(template),
            },
            taints=spec_t.get("taints"),
            unschedulable=bool(spec_t.get("unschedulable")),
        )
        name = node["metadata"]["name"]
        try:
            call(self.kube.core.create_node, node)
        except ApiException as e:
            if e.status != 409:
                raise
            return
        self.created[name] = (time.monotonic(), node)
        self.events.record(
            pool, "NodePool", "NodeCreated", f"Node {name} created ({spec['flavor']}, {ip})"
        )
        self.log.info("%s: node %s created", pool["metadata"]["name"], name)

    def _read_members(self, pool: str, nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``nodes`` with the pool's own read from kube-apiserver, not from the cache.

        The autoscaler marks the node it removes, then lowers ``desiredNodes``: two watches,
        and ours of the nodes may not show the mark yet when the pool's change arrives. Read
        now, the node it chose goes, never another one whose pods it did not evict.
        """
        found = call(self.kube.core.list_node, label_selector=f"{node_specs.POOL_LABEL}={pool}")
        mine = {n["metadata"]["name"] for n in pools.members(pool, nodes)}
        return [n for n in nodes if n["metadata"]["name"] not in mine] + list(found["items"])

    def _drain(self, pool: dict[str, Any], node_name: str) -> None:
        """Cordon, evict the pods (PodDisruptionBudgets permitting), delete once empty."""
        node = self.nodes.get(node_name)
        if node is None:
            return
        started = self.draining.setdefault(node_name, time.monotonic())
        if not node.get("spec", {}).get("unschedulable"):
            self._patch_node(node_name, {"spec": {"unschedulable": True}})
            self.events.record(
                node,
                "Node",
                "NodeNotSchedulable",
                f"Node {node_name} status is now: NodeNotSchedulable",
            )
        left = [
            p for p in self.pods.items() if p["spec"].get("nodeName") == node_name and evictable(p)
        ]
        for pod in left:
            if not pod["metadata"].get("deletionTimestamp"):
                evict(self.kube, pod)
        timed_out = time.monotonic() - started > self.settings.drain_timeout_seconds
        if left and not timed_out:
            return
        try:
            call(self.kube.core.delete_node, node_name)
        except ApiException as e:
            if e.status != 404:
                raise
        self.draining.pop(node_name, None)
        self.events.record(pool, "NodePool", "NodeDeleted", f"Node {node_name} deleted")
        self.log.info("%s: node %s deleted", pool["metadata"]["name"], node_name)

    def _delete_pool(self, pool: dict[str, Any], mine: list[dict[str, Any]]) -> float | None:
        for node in mine:
            self._drain(pool, node["metadata"]["name"])
        if any(self.nodes.get(n["metadata"]["name"]) for n in mine):
            return 1.0
        remaining = [f for f in pool["metadata"].get("finalizers") or [] if f != FINALIZER]
        self._patch(pool, {"metadata": {"finalizers": remaining}})
        self.booting.pop(pool["metadata"]["name"], None)
        return None

    # -- writes -----------------------------------------------------------------------------

    def _status(
        self,
        pool: dict[str, Any],
        nodes: list[dict[str, Any]],
        problem: tuple[str, str, str] | None = None,
    ) -> None:
        status = pools.status(pool, nodes, APPLIED)
        if problem:
            status["conditions"][0].update(
                zip(("status", "reason", "message"), problem, strict=True)
            )
        current = pool.get("status") or {}
        if all(current.get(k) == v for k, v in status.items()):
            return
        call(
            self.kube.custom.patch_cluster_custom_object_status,
            GROUP,
            VERSION,
            PLURAL,
            pool["metadata"]["name"],
            {"status": status},
            _content_type=MERGE_PATCH,
        )

    def _patch(self, pool: dict[str, Any], patch: dict[str, Any]) -> None:
        patch["metadata"]["resourceVersion"] = pool["metadata"]["resourceVersion"]
        call(
            self.kube.custom.patch_cluster_custom_object,
            GROUP,
            VERSION,
            PLURAL,
            pool["metadata"]["name"],
            patch,
            _content_type=MERGE_PATCH,
        )

    def _patch_node(self, name: str, patch: dict[str, Any]) -> None:
        try:
            call(self.kube.core.patch_node, name, patch, _content_type=MERGE_PATCH)
        except ApiException as e:
            if e.status != 404:
                raise


def evict(kube: Kube, pod: dict[str, Any]) -> bool:
    """Ask the Eviction API to remove ``pod``; False when a PodDisruptionBudget refuses (429)."""
    meta = pod["metadata"]
    body = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
    }
    try:
        call(kube.core.create_namespaced_pod_eviction, meta["name"], meta["namespace"], body)
    except ApiException as e:
        if e.status in (404, 429):
            return False
        raise
    return True
