"""Node pool arithmetic: which nodes to add or remove, what the pool's status says (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from workshop.sandbox.nodes import POOL_LABEL, node_name

TO_BE_DELETED = "ToBeDeletedByClusterAutoscaler"
"""The taint the cluster autoscaler puts on a node it is removing."""


@dataclass(frozen=True)
class Plan:
    """What it takes to bring a pool to its desired size."""

    create: list[int] = field(default_factory=list)  # node indexes
    delete: list[str] = field(default_factory=list)  # node names


def members(pool: str, nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [n for n in nodes if (n["metadata"].get("labels") or {}).get(POOL_LABEL) == pool]


def is_ready(node: dict[str, Any]) -> bool:
    conditions = node.get("status", {}).get("conditions") or []
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


# Taints a new node carries until the node lifecycle controller sees it Ready.
STARTUP_TAINTS = frozenset(
    {
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
        "node.cloudprovider.kubernetes.io/uninitialized",
    }
)


def settled(node: dict[str, Any]) -> bool:
    """Ready, and rid of its start-up taints: the scheduler can place pods on it now. (A
    node can report Ready a moment before the controller-manager lifts ``not-ready``; the
    cluster autoscaler counts such a node as still on its way, and so do we.)"""
    taints = node.get("spec", {}).get("taints") or []
    return is_ready(node) and not any(t["key"] in STARTUP_TAINTS for t in taints)


def marked(node: dict[str, Any]) -> bool:
    """Whether the autoscaler chose this node for removal."""
    return any(t["key"] == TO_BE_DELETED for t in node.get("spec", {}).get("taints") or [])


def removal_order(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Nodes to remove first: those the autoscaler marked, then not Ready, then the newest."""
    return sorted(
        nodes,
        key=lambda n: (
            not marked(n),
            is_ready(n),
            _negated(n["metadata"].get("creationTimestamp", "")),
            n["metadata"]["name"],
        ),
    )


def _negated(stamp: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in stamp)


def plan(
    pool: str, desired: int, nodes: list[dict[str, Any]], booting: frozenset[int] = frozenset()
) -> Plan:
    """Nodes to create (the lowest free indexes) or delete to reach ``desired`` nodes.

    ``booting`` are the indexes of nodes on their way (instances starting): they count.
    """
    current = members(pool, nodes)
    missing = desired - len(current) - len(booting)
    if missing > 0:
        taken = {n["metadata"]["name"] for n in current}
        indexes: list[int] = []
        index = 0
        while len(indexes) < missing:
            if index not in booting and node_name(pool, index) not in taken:
                indexes.append(index)
            index += 1
        return Plan(create=indexes)
    extra = len(current) - desired
    if extra > 0:
        return Plan(delete=[n["metadata"]["name"] for n in removal_order(current)[:extra]])
    return Plan()


def free_ips(nodes: list[dict[str, Any]], count: int) -> list[str]:
    """``count`` private addresses no node uses yet, lowest first (10.0.0.2, 10.0.0.3, ...)."""
    used = {
        a["address"]
        for n in nodes
        for a in n.get("status", {}).get("addresses") or []
        if a["type"] == "InternalIP"
    }
    found: list[str] = []
    index = 0
    while len(found) < count:
        address = f"10.0.{index // 250}.{index % 250 + 2}"
        if address not in used:
            found.append(address)
        index += 1
    return found


def template_note(template: dict[str, Any]) -> str:
    """The pool template a node got, as kept in its annotation (canonical JSON)."""
    return json.dumps(template, sort_keys=True, separators=(",", ":"))


def template_patch(
    node: dict[str, Any], template: dict[str, Any], applied: str
) -> dict[str, Any] | None:
    """A merge patch moving ``node`` from the template it got (annotation ``applied``) to
    ``template``: labels, annotations and taints the old one added go, the new ones come.
    Taints and labels from elsewhere (the autoscaler's, the learner's) stay."""
    meta = node["metadata"]
    note = (meta.get("annotations") or {}).get(applied)
    if note == template_note(template):
        return None
    old = json.loads(note) if note else {}

    def part(t: dict[str, Any], section: str, key: str) -> Any:
        return (t.get(section) or {}).get(key) or {}

    patch: dict[str, Any] = {"metadata": {"labels": {}, "annotations": {}}, "spec": {}}
    for key in ("labels", "annotations"):
        gone = set(part(old, "metadata", key)) - set(part(template, "metadata", key))
        patch["metadata"][key] = {**dict.fromkeys(gone), **part(template, "metadata", key)}
    patch["metadata"]["annotations"][applied] = template_note(template)

    def ident(t: dict[str, Any]) -> tuple[str, str]:
        return t["key"], t["effect"]

    old_taints = {ident(t) for t in (old.get("spec") or {}).get("taints") or []}
    new_taints = (template.get("spec") or {}).get("taints") or []
    kept = [t for t in node.get("spec", {}).get("taints") or [] if ident(t) not in old_taints]
    patch["spec"]["taints"] = kept + [
        t for t in new_taints if ident(t) not in {ident(k) for k in kept}
    ]
    wanted = bool((template.get("spec") or {}).get("unschedulable"))
    was = bool((old.get("spec") or {}).get("unschedulable"))
    if wanted != was:
        patch["spec"]["unschedulable"] = wanted
    return patch


def status(pool: dict[str, Any], nodes: list[dict[str, Any]], applied: str) -> dict[str, Any]:
    """The pool's status: nodes there, available (Ready, schedulable), up to date, and why."""
    current = members(pool["metadata"]["name"], nodes)
    available = [n for n in current if is_ready(n) and not n.get("spec", {}).get("unschedulable")]
    wanted = template_note(pool["spec"].get("template") or {})
    fresh = [n for n in current if (n["metadata"].get("annotations") or {}).get(applied) == wanted]
    desired = pool["spec"]["desiredNodes"]
    if len(available) == desired == len(current):
        condition = ("True", "PoolReady", f"{desired} of {desired} nodes are available")
    elif len(current) < desired:
        condition = ("False", "ScalingUp", f"{len(current)} of {desired} nodes, more are joining")
    elif len(current) > desired:
        condition = ("False", "ScalingDown", f"{len(current)} nodes, {desired} wanted: draining")
    else:
        condition = ("False", "NodesNotReady", f"{len(available)} of {desired} nodes are available")
    return {
        "observedGeneration": pool["metadata"].get("generation", 0),
        "currentNodes": len(current),
        "availableNodes": len(available),
        "upToDateNodes": len(fresh),
        "conditions": [
            {
                "type": "Ready",
                "status": condition[0],
                "reason": condition[1],
                "message": condition[2],
            }
        ],
    }
