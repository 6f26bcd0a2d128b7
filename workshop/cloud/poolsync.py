"""Bringing the API's node pools and what a cluster has together (pure over the store).

``sync`` takes what the cluster has (``SeenPool``s) and updates the store: node records,
current and available counts, statuses that reach READY once the nodes are there, spec
changes made inside the cluster (the autoscaler, ``kubectl scale nodepool``) and
NodePools created with kubectl. It returns the actions the cluster still needs, which
the reconciler performs outside the store's lock.
"""

from __future__ import annotations

import copy
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from workshop.cloud import catalog, nodepools
from workshop.cloud.store import Node, NodePool, Operation, Store
from workshop.cloud.workers import DEFAULT_POOL, SeenPool

log = logging.getLogger("workshop.cloud.poolsync")
NODE_IDS = uuid.UUID("5b0f3c1e-8f5a-4c56-9d55-6b1b7c1f0a11")


@dataclass(frozen=True)
class Action:
    kind: str  # apply, delete, adopt, drop
    name: str
    seen: SeenPool | None = None
    pool: NodePool | None = None
    """A copy of the pool as it was when the action was planned (apply, adopt)."""


def node_id(cluster: str, name: str) -> str:
    return str(uuid.uuid5(NODE_IDS, f"{cluster}/{name}"))


def _record_nodes(store: Store, pool: NodePool, seen: SeenPool | None, now: float) -> None:
    seen_nodes = seen.nodes if seen else []
    names = {n.name for n in seen_nodes}
    for gone in store.nodes_of(pool.cluster, pool.id):
        if gone.name not in names:
            store.nodes.pop(gone.id, None)
    for seen_node in seen_nodes:
        status = "READY" if seen_node.ready else "INSTALLING"
        if seen_node.deleting:
            status = "DELETING"
        nid = node_id(pool.cluster, seen_node.name)
        node = store.nodes.get(nid)
        if node is None:
            node = Node(
                id=nid,
                pool=pool.id,
                cluster=pool.cluster,
                project=pool.project,
                name=seen_node.name,
                flavor=pool.flavor,
                instance_id=str(uuid.uuid5(NODE_IDS, f"instance/{nid}")),
                status=status,
                created=now,
                updated=now,
            )
            store.nodes[nid] = node
        if node.status != status:
            node.status, node.updated = status, now
        if seen_node.ready and node.deployed is None:
            node.deployed = now
    live = [n for n in seen_nodes if not n.deleting]
    pool.current = len(live)
    pool.available = sum(1 for n in live if n.ready)


def _follow_cluster(pool: NodePool, spec: dict[str, Any], now: float) -> None:
    """The NodePool was changed inside the cluster: the API reports it, as the service does."""
    desired = int(spec.get("desiredNodes", pool.desired))
    low, high = int(spec.get("minNodes", pool.min)), int(spec.get("maxNodes", pool.max))
    autoscale = bool(spec.get("autoscale", pool.autoscale))
    if (desired, low, high, autoscale) == (pool.desired, pool.min, pool.max, pool.autoscale):
        return
    resized = desired != pool.desired
    pool.desired, pool.min, pool.max, pool.autoscale = desired, low, high, autoscale
    pool.updated = now
    if resized and pool.operation is None:
        pool.operation = Operation("resize", now)
        pool.status = "UPSCALING" if desired > pool.current else "DOWNSCALING"


def _adopted(store: Store, cluster: str, seen: SeenPool, now: float) -> NodePool:
    spec = seen.spec or {}
    owner = store.clusters[cluster]
    desired = int(spec.get("desiredNodes", 0))
    return NodePool(
        id=store.new_uuid(),
        cluster=cluster,
        project=owner.project,
        name=seen.name,
        flavor=str(spec.get("flavor", "")),
        desired=desired,
        min=int(spec.get("minNodes", 0)),
        max=int(spec.get("maxNodes", catalog.MAX_NODES_PER_POOL)),
        created=now,
        updated=now,
        autoscale=bool(spec.get("autoscale", False)),
        anti_affinity=bool(spec.get("antiAffinity", False)),
        monthly_billed=bool(spec.get("monthlyBilled", False)),
        autoscaling={**nodepools.AUTOSCALING_DEFAULTS, **(spec.get("autoscaling") or {})},
        template=spec.get("template") or {},
        status="READY",
        pushed=True,
    )


def sync(
    store: Store, cluster: str, seen: dict[str, SeenPool], *, now: float, delay: float, crd: bool
) -> list[Action]:
    """Record what the cluster has; return what it still needs. Call under ``store.lock``."""
    actions: list[Action] = []
    pools = store.pools_of(cluster)
    by_name = {p.name: p for p in pools}
    for name, other in seen.items():
        if name in by_name:
            continue
        if other.spec is None:
            # nodes of a pool the API deleted: remove them
            if any(not n.deleting for n in other.nodes):
                actions.append(Action("delete", name, other))
        elif other.pool_id is None and name == DEFAULT_POOL and not other.spec.get("desiredNodes"):
            # the empty pool sandboxes asked for at start before ``default_pool=False``
            # (clusters created by older versions): a managed cluster has only the pools
            # its API created
            actions.append(Action("drop", name, other))
        elif other.pool_id not in store.pools:
            try:
                adopted = _adopted(store, cluster, other, now)
            except (ValueError, TypeError) as e:
                log.warning("cluster %s: NodePool %s is not adopted: %s", cluster, name, e)
                continue
            store.pools[adopted.id] = adopted
            _record_nodes(store, adopted, other, now)
            actions.append(Action("adopt", name, other, copy.deepcopy(adopted)))
    for pool in pools:
        found = seen.get(pool.name)
        operation = pool.operation
        if operation is not None and operation.kind == "delete":
            _record_nodes(store, pool, found, now)
            if found is None or (found.spec is None and not found.nodes):
                store.remove_pool(pool.id)
            else:
                actions.append(Action("delete", pool.name, found))
            continue
        if pool.status == "ERROR":
            _record_nodes(store, pool, found, now)
            continue  # the cluster refused its spec: waits for a new one (PUT)
        if pool.pushed and crd and found is not None and found.spec is not None:
            try:
                _follow_cluster(pool, found.spec, now)
            except (ValueError, TypeError) as e:
                # a spec the API cannot read: the API's own spec is pushed over it
                log.warning("cluster %s: NodePool %s: %s", cluster, pool.name, e)
                pool.pushed = False
        _record_nodes(store, pool, found, now)
        if pool.pushed and not crd and operation is None and pool.current != pool.desired:
            pool.pushed = False  # a node went away: the pool makes up for it
        if not pool.pushed:
            actions.append(Action("apply", pool.name, found, copy.deepcopy(pool)))
            continue
        done = pool.current == pool.desired and pool.available == pool.desired
        if operation is not None and done and now - operation.since >= delay:
            pool.operation = None
            pool.status = "READY"
            pool.nodes_to_remove = []
            pool.updated = now
    return actions


def refused(store: Store, planned: NodePool, reason: str, *, now: float) -> None:
    """The cluster refused a pool's spec: the pool is in ERROR with the reason, unless its
    spec changed meanwhile (that one gets its own try)."""
    pool = store.pools.get(planned.id)
    if pool is not None and pool.updated == planned.updated:
        pool.status, pool.operation, pool.updated = "ERROR", None, now
        pool.message = f"the cluster refused this node pool: {reason}"
        pool.pushed = True


def pushed(store: Store, planned: NodePool) -> None:
    """Mark a pool's spec as told to the cluster, unless it changed again meanwhile."""
    pool = store.pools.get(planned.id)
    if pool is not None and pool.updated == planned.updated:
        pool.pushed = True
        pool.nodes_to_remove = []
