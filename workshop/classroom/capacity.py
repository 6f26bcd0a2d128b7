"""What a class asks of a cluster, and whether the cluster has it (pure but for ``free()``).

A class's ResourceQuotas cap each learner at the sum of the labs' footprints (``plan``);
the class as a whole asks for that times its learners. ``free()`` reads what the nodes
still offer, the way the scheduler counts it: the allocatable of every Ready node that
takes new pods, less the requests of the pods placed there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from workshop.course.schema import Footprint
from workshop.kubeapi import KubeApi
from workshop.quantity import memory_bytes, millicores

Object = dict[str, Any]
DONE = ("Succeeded", "Failed")
MIB = 2**20


def requests(pod: Object, default: dict[str, str]) -> tuple[int, int]:
    """A pod's requests (millicores, bytes) as a ResourceQuota counts them: its containers'
    sum or its largest init container, whichever is more; a container that asks nothing
    gets ``default`` (the class's LimitRange does that on admission), one with limits only
    asks its limits (the API server's defaulting)."""

    def one(container: Object) -> tuple[int, int]:
        resources = container.get("resources") or {}
        asked = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        cpu = asked.get("cpu", default["cpu"])
        memory = asked.get("memory", default["memory"])
        return millicores(cpu), memory_bytes(memory)

    spec = pod.get("spec") or {}
    main = [one(c) for c in spec.get("containers") or []]
    init = [one(c) for c in spec.get("initContainers") or []]
    cpu = max([sum(c for c, _ in main), *(c for c, _ in init)])
    memory = max([sum(m for _, m in main), *(m for _, m in init)])
    return cpu, memory


def used(pods: Iterable[Object], default: dict[str, str]) -> Footprint:
    """What these pods hold of a quota: those not yet ended, and their requests."""
    live = [p for p in pods if (p.get("status") or {}).get("phase") not in DONE]
    asked = [requests(p, default) for p in live]
    return Footprint(
        pods=len(live),
        cpu=f"{sum(c for c, _ in asked)}m",
        memory=f"{-(-sum(m for _, m in asked) // MIB)}Mi",
    )


def add(parts: list[Footprint]) -> Footprint:
    """The sum of footprints."""
    memory = sum(memory_bytes(p.memory) for p in parts)
    return Footprint(
        pods=sum(p.pods for p in parts),
        cpu=f"{sum(millicores(p.cpu) for p in parts)}m",
        memory=f"{math.ceil(memory / MIB)}Mi",
    )


def times(footprint: Footprint, n: int) -> Footprint:
    return Footprint(
        pods=footprint.pods * n,
        cpu=f"{millicores(footprint.cpu) * n}m",
        memory=f"{-(-memory_bytes(footprint.memory) * n // MIB)}Mi",
    )


def takes_pods(node: Object) -> bool:
    """Ready, not cordoned, and no taint that keeps ordinary pods away."""
    spec, status = node.get("spec") or {}, node.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or []
    )
    tainted = any(t.get("effect") in ("NoSchedule", "NoExecute") for t in spec.get("taints") or [])
    return ready and not spec.get("unschedulable") and not tainted


def room(nodes: Iterable[Object], pods: Iterable[Object]) -> Footprint:
    """What the nodes that take pods still offer, after the pods placed on them."""
    open_nodes = {n["metadata"]["name"]: n for n in nodes if takes_pods(n)}
    cpu = memory = count = 0
    for node in open_nodes.values():
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        cpu += millicores(allocatable.get("cpu", "0"))
        memory += memory_bytes(allocatable.get("memory", "0"))
        count += int(allocatable.get("pods", "0"))
    placed = [p for p in pods if (p.get("spec") or {}).get("nodeName") in open_nodes]
    taken = used(placed, {"cpu": "0", "memory": "0"})
    return Footprint(
        pods=max(0, count - taken.pods),
        cpu=f"{max(0, cpu - millicores(taken.cpu))}m",
        memory=f"{max(0, memory - memory_bytes(taken.memory)) // MIB}Mi",
    )


def free(api: KubeApi) -> Footprint:
    """What the cluster's nodes still offer to new pods."""
    return room(api.list("v1", "Node"), api.list("v1", "Pod"))


def missing(needed: Footprint, available: Footprint) -> Footprint:
    """What ``available`` lacks of ``needed`` (zero where it has enough)."""
    memory = max(0, memory_bytes(needed.memory) - memory_bytes(available.memory))
    return Footprint(
        pods=max(0, needed.pods - available.pods),
        cpu=f"{max(0, millicores(needed.cpu) - millicores(available.cpu))}m",
        memory=f"{math.ceil(memory / MIB)}Mi",
    )


def shortfall(needed: Footprint, available: Footprint) -> list[str]:
    """What is missing, in words (empty when ``needed`` fits)."""
    short = missing(needed, available)
    words = []
    if short.pods:
        words.append(f"{short.pods} pods")
    if millicores(short.cpu):
        words.append(f"{short.cpu} CPU")
    if memory_bytes(short.memory):
        words.append(f"{short.memory} of memory")
    return words


def nodes_for(short: Footprint, node: Footprint | None) -> int:
    """How many more nodes like ``node`` (what one offers) hold ``short``; at least one."""
    if node is None:
        return 1
    ratios = [
        short.pods / max(1, node.pods),
        millicores(short.cpu) / max(1, millicores(node.cpu)),
        memory_bytes(short.memory) / max(1, memory_bytes(node.memory)),
    ]
    return max(1, math.ceil(max(ratios)))
