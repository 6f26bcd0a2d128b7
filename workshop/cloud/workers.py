"""A node pool of the API, made real inside its cluster; and what the cluster has.

When the cluster serves the NodePool CRD (``nodepools.kube.cloud.ovh.com``, the
sandbox's nodepools add-on), each API pool is a NodePool object labelled with the pool's
id: the add-on creates the nodes and its autoscaler may change ``desiredNodes``, which
the API then reports, as on the service. A sandbox without the CRD gets the Node objects
directly, named and labelled as the service names them (``<pool>-node-<6 hex>``).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from workshop.cloud.store import NodePool
from workshop.sandbox import nodes as sandbox_nodes
from workshop.sandbox.api import ApiError

GROUP = "kube.cloud.ovh.com"
VERSION = "v1alpha1"
POOLS = f"/apis/{GROUP}/{VERSION}/nodepools"
POOL_LABEL = "nodepool"
ID_LABEL = "id"
DEFAULT_POOL = "nodepool"
MAX_INDEX = 200


class Api(Protocol):
    """kube-apiserver: ``workshop.sandbox.api.Api``, or a fake in tests."""

    def request(self, method: str, path: str, body: Any = None) -> Any: ...


@dataclass(frozen=True)
class SeenNode:
    name: str
    ready: bool
    created: str
    deleting: bool = False


@dataclass
class SeenPool:
    """One pool as the cluster has it: its nodes, and its NodePool object if there is one."""

    name: str
    nodes: list[SeenNode] = field(default_factory=list)
    spec: dict[str, Any] | None = None
    pool_id: str | None = None


def _ready(node: dict[str, Any]) -> bool:
    conditions = node.get("status", {}).get("conditions", [])
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def crd_spec(pool: NodePool) -> dict[str, Any]:
    """The NodePool spec of an API pool (autoscaling threshold as a string, as the CRD has it)."""
    autoscaling = dict(pool.autoscaling)
    if "scaleDownUtilizationThreshold" in autoscaling:
        autoscaling["scaleDownUtilizationThreshold"] = str(
            autoscaling["scaleDownUtilizationThreshold"]
        )
    return {
        "flavor": pool.flavor,
        "desiredNodes": pool.desired,
        "minNodes": pool.min,
        "maxNodes": pool.max,
        "autoscale": pool.autoscale,
        "antiAffinity": pool.anti_affinity,
        "monthlyBilled": pool.monthly_billed,
        "autoscaling": autoscaling,
        "template": pool.template,
    }


class Workers:
    """The pools of one running cluster."""

    def __init__(self, api: Api) -> None:
        self.api = api
        try:
            api.request("GET", f"/apis/{GROUP}/{VERSION}")
            self.crd = True
        except ApiError:
            self.crd = False

    # -- reading ---------------------------------------------------------------------------

    def observe(self) -> dict[str, SeenPool]:
        """Every pool the cluster has: NodePool objects and nodes labelled ``nodepool``."""
        seen: dict[str, SeenPool] = {}
        if self.crd:
            for item in self.api.request("GET", POOLS)["items"]:
                meta = item["metadata"]
                seen[meta["name"]] = SeenPool(
                    meta["name"],
                    spec=item.get("spec", {}),
                    pool_id=(meta.get("labels") or {}).get(ID_LABEL),
                )
        for node in self.api.request("GET", "/api/v1/nodes")["items"]:
            meta = node["metadata"]
            pool = (meta.get("labels") or {}).get(POOL_LABEL)
            if pool is None:
                continue
            seen.setdefault(pool, SeenPool(pool)).nodes.append(
                SeenNode(
                    meta["name"],
                    _ready(node),
                    meta.get("creationTimestamp", ""),
                    deleting=bool(meta.get("deletionTimestamp")),
                )
            )
        return seen

    # -- writing ---------------------------------------------------------------------------

    def apply(self, pool: NodePool, seen: SeenPool | None) -> None:
        """Make the cluster hold ``pool`` as the API describes it."""
        if pool.nodes_to_remove:
            self.remove_nodes(pool.nodes_to_remove)
            if seen is not None:
                gone = set(pool.nodes_to_remove)
                seen = SeenPool(
                    seen.name,
                    [n for n in seen.nodes if n.name not in gone],
                    seen.spec,
                    seen.pool_id,
                )
        if self.crd:
            self._apply_crd(pool)
        else:
            self._apply_nodes(pool, seen)

    def delete(self, name: str, seen: SeenPool | None) -> None:
        if self.crd:
            with contextlib.suppress(ApiError):
                self.api.request("DELETE", f"{POOLS}/{name}")
            if seen and seen.spec is not None:
                return  # its controller removes the nodes first
        if seen:
            self.remove_nodes([n.name for n in seen.nodes if not n.deleting])

    def adopt(self, name: str, pool_id: str) -> None:
        """Label a NodePool created in the cluster (kubectl) with its new API id."""
        current = self.api.request("GET", f"{POOLS}/{name}")
        labels = {**(current["metadata"].get("labels") or {}), ID_LABEL: pool_id}
        current["metadata"]["labels"] = labels
        self.api.request("PUT", f"{POOLS}/{name}", current)

    def remove_nodes(self, names: list[str]) -> None:
        """Cordon, evict the pods, delete: a short drain, as the service does on downscale."""
        for name in names:
            path = f"/api/v1/nodes/{quote(name)}"
            try:
                node = self.api.request("GET", path)
            except ApiError:
                continue
            node.setdefault("spec", {})["unschedulable"] = True
            with contextlib.suppress(ApiError):
                self.api.request("PUT", path, node)
            selector = quote(f"spec.nodeName={name}")
            pods = self.api.request("GET", f"/api/v1/pods?fieldSelector={selector}")["items"]
            for pod in pods:
                meta = pod["metadata"]
                owners = meta.get("ownerReferences") or []
                if any(o.get("kind") == "DaemonSet" for o in owners):
                    continue
                eviction = {
                    "apiVersion": "policy/v1",
                    "kind": "Eviction",
                    "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
                }
                with contextlib.suppress(ApiError):
                    self.api.request(
                        "POST",
                        f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/eviction",
                        eviction,
                    )
            with contextlib.suppress(ApiError):
                self.api.request("DELETE", path)

    def _apply_crd(self, pool: NodePool) -> None:
        path = f"{POOLS}/{pool.name}"
        try:
            current = self.api.request("GET", path)
        except ApiError as e:
            if e.status != 404:
                raise
            body = {
                "apiVersion": f"{GROUP}/{VERSION}",
                "kind": "NodePool",
                "metadata": {"name": pool.name, "labels": {ID_LABEL: pool.id}},
                "spec": crd_spec(pool),
            }
            self.api.request("POST", POOLS, body)
            return
        current["metadata"]["labels"] = {
            **(current["metadata"].get("labels") or {}),
            ID_LABEL: pool.id,
        }
        current["spec"] = {**current.get("spec", {}), **crd_spec(pool)}
        self.api.request("PUT", path, current)

    def _apply_nodes(self, pool: NodePool, seen: SeenPool | None) -> None:
        present = [n for n in (seen.nodes if seen else []) if not n.deleting]
        index = {sandbox_nodes.node_name(pool.name, i): i for i in range(MAX_INDEX)}
        taken = {index.get(n.name, -1) for n in present}
        missing = pool.desired - len(present)
        free = (i for i in range(MAX_INDEX) if i not in taken)
        for _ in range(max(0, missing)):
            self.api.request("POST", "/api/v1/nodes", self._node(pool, next(free)))
        if missing < 0:
            extra = sorted(present, key=lambda n: index.get(n.name, MAX_INDEX), reverse=True)
            self.remove_nodes([n.name for n in extra[:-missing]])

    @staticmethod
    def _node(pool: NodePool, i: int) -> dict[str, Any]:
        node = sandbox_nodes.manifest(pool=pool.name, index=i, flavor=pool.flavor)
        meta, template = node["metadata"], pool.template
        meta["labels"].update(template.get("metadata", {}).get("labels") or {})
        meta["annotations"].update(template.get("metadata", {}).get("annotations") or {})
        spec = template.get("spec", {})
        if spec.get("taints"):
            node["spec"]["taints"] = spec["taints"]
        if spec.get("unschedulable"):
            node["spec"]["unschedulable"] = True
        return node
