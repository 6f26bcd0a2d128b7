"""The cluster autoscaler's arithmetic: what pods ask for, what fits where, who is underused (pure).

Like the real cluster autoscaler, it simulates scheduling instead of guessing: a pending
pod triggers a scale-up only if it would fit on a new node of the pool (resources,
nodeSelector, required node affinity, taints); a node is removed only if its pods fit on
the other nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workshop.quantity import memory_bytes, millicores


@dataclass(frozen=True)
class Resources:
    cpu: int = 0  # millicores
    memory: int = 0  # bytes
    pods: int = 0

    def __add__(self, other: Resources) -> Resources:
        return Resources(self.cpu + other.cpu, self.memory + other.memory, self.pods + other.pods)

    def __sub__(self, other: Resources) -> Resources:
        return Resources(self.cpu - other.cpu, self.memory - other.memory, self.pods - other.pods)

    def within(self, room: Resources) -> bool:
        return self.cpu <= room.cpu and self.memory <= room.memory and self.pods <= room.pods

    def short_of(self, room: Resources) -> list[str]:
        """The scheduler's words for what is missing: ``Insufficient cpu``..."""
        missing = []
        if self.cpu > room.cpu:
            missing.append("Insufficient cpu")
        if self.memory > room.memory:
            missing.append("Insufficient memory")
        if self.pods > room.pods:
            missing.append("Too many pods")
        return missing


def _amounts(values: dict[str, Any] | None) -> Resources:
    values = values or {}
    return Resources(millicores(values.get("cpu", 0)), memory_bytes(values.get("memory", 0)), 0)


def requests(pod: dict[str, Any]) -> Resources:
    """What the scheduler reserves for a pod: its containers' requests (init containers run
    first, so the larger of the two), plus the pod overhead, plus one pod slot."""
    spec = pod["spec"]
    total = Resources()
    for container in spec["containers"]:
        total += _amounts((container.get("resources") or {}).get("requests"))
    for container in spec.get("initContainers") or []:
        first = _amounts((container.get("resources") or {}).get("requests"))
        total = Resources(max(total.cpu, first.cpu), max(total.memory, first.memory), 0)
    return total + _amounts(spec.get("overhead")) + Resources(pods=1)


def allocatable(node: dict[str, Any]) -> Resources:
    values = node.get("status", {}).get("allocatable") or {}
    return _amounts(values) + Resources(pods=int(values.get("pods", 110)))


@dataclass(frozen=True)
class Shape:
    """A node as the scheduler sees it: labels, taints, room for pods."""

    name: str
    labels: dict[str, str]
    taints: tuple[dict[str, Any], ...]
    room: Resources


def shape_of(node: dict[str, Any], pods: list[dict[str, Any]]) -> Shape:
    """A node with the room its bound pods leave."""
    used = sum((requests(p) for p in on_node(node["metadata"]["name"], pods)), Resources())
    return Shape(
        node["metadata"]["name"],
        node["metadata"].get("labels") or {},
        tuple(node.get("spec", {}).get("taints") or []),
        allocatable(node) - used,
    )


def on_node(name: str, pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        p
        for p in pods
        if p["spec"].get("nodeName") == name
        and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
    ]


def tolerates(pod: dict[str, Any], taints: tuple[dict[str, Any], ...]) -> bool:
    for taint in taints:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if not any(_tolerates(t, taint) for t in pod["spec"].get("tolerations") or []):
            return False
    return True


def _tolerates(toleration: dict[str, Any], taint: dict[str, Any]) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("operator") == "Exists":
        return not toleration.get("key") or toleration["key"] == taint["key"]
    same_value = toleration.get("value", "") == taint.get("value", "")
    return bool(toleration.get("key") == taint["key"] and same_value)


def selects(pod: dict[str, Any], labels: dict[str, str]) -> bool:
    """nodeSelector and required node affinity, against a node's labels."""
    spec = pod["spec"]
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    return not terms or any(_term(t, labels) for t in terms)


def _term(term: dict[str, Any], labels: dict[str, str]) -> bool:
    for expression in term.get("matchExpressions") or []:
        key, op, values = expression["key"], expression["operator"], expression.get("values") or []
        present = key in labels
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def fits(pod: dict[str, Any], shape: Shape) -> bool:
    return (
        requests(pod).within(shape.room)
        and tolerates(pod, shape.taints)
        and selects(pod, shape.labels)
    )


@dataclass(frozen=True)
class Group:
    """An autoscaled pool as the autoscaler sees it."""

    name: str
    desired: int
    maximum: int
    present: int  # nodes Ready (desired - present are on their way)
    template: Shape  # an empty new node of the pool


@dataclass
class ScaleUp:
    group: Group
    target: int
    pods: list[str] = field(default_factory=list)


def key(pod: dict[str, Any]) -> str:
    return f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"


def plan_scale_up(
    pending: list[dict[str, Any]], groups: list[Group]
) -> tuple[list[ScaleUp], dict[str, str]]:
    """Which pools to grow, and by how much, so the pending pods fit; and why the others
    do not help (the reason of the ``NotTriggerScaleUp`` event)."""
    biggest_first = sorted(pending, key=lambda p: (-requests(p).cpu, -requests(p).memory, key(p)))
    open_nodes: dict[str, list[Resources]] = {
        g.name: [g.template.room] * max(0, g.desired - g.present) for g in groups
    }
    already = {name: len(rooms) for name, rooms in open_nodes.items()}  # nodes on their way
    decisions = {g.name: ScaleUp(g, g.desired) for g in groups}
    refused: dict[str, str] = {}
    for pod in biggest_first:
        need = requests(pod)
        suitable = [g for g in groups if fits(pod, g.template)]
        if not suitable:
            refused[key(pod)] = _why_not(pod, groups)
            continue
        placed = False
        for group in suitable:
            rooms = open_nodes[group.name]
            slot = next((i for i, room in enumerate(rooms) if need.within(room)), None)
            if slot is None and decisions[group.name].target < group.maximum:
                rooms.append(group.template.room)
                decisions[group.name].target += 1
                slot = len(rooms) - 1
            if slot is not None:
                rooms[slot] = rooms[slot] - need
                if slot >= already[group.name]:  # it needs one of the new nodes
                    decisions[group.name].pods.append(key(pod))
                placed = True
                break
        if not placed:
            refused[key(pod)] = f"{len(suitable)} max node group size reached"
    return [d for d in decisions.values() if d.target > d.group.desired], refused


def _why_not(pod: dict[str, Any], groups: list[Group]) -> str:
    if not groups:
        return "no node group can be scaled (no NodePool has autoscale: true)"
    reasons = []
    for group in groups:
        shape = group.template
        if not selects(pod, shape.labels):
            reasons.append("node(s) didn't match Pod's node affinity/selector")
        elif not tolerates(pod, shape.taints):
            reasons.append("node(s) had untolerated taint")
        else:
            reasons += requests(pod).short_of(shape.room)
    counted = {r: reasons.count(r) for r in reasons}
    return ", ".join(f"{n} {r}" for r, n in sorted(counted.items()))


def utilisation(node: dict[str, Any], pods: list[dict[str, Any]]) -> tuple[float, float]:
    """Requested share of the node's CPU and memory (DaemonSet pods do not count, as in the CA)."""
    room = allocatable(node)
    used = sum(
        (requests(p) for p in on_node(node["metadata"]["name"], pods) if not daemon(p)),
        Resources(),
    )
    return used.cpu / max(room.cpu, 1), used.memory / max(room.memory, 1)


def daemon(pod: dict[str, Any]) -> bool:
    return any(o.get("kind") == "DaemonSet" for o in pod["metadata"].get("ownerReferences") or [])


def blocker(pods: list[dict[str, Any]]) -> str | None:
    """A pod that keeps its node, as the cluster autoscaler's default rules say."""
    for pod in pods:
        if daemon(pod):
            continue
        if not pod["metadata"].get("ownerReferences"):
            return f"pod {key(pod)} is not replicated (no controller would recreate it)"
        if pod["metadata"]["namespace"] == "kube-system":
            return f"pod {key(pod)} is a kube-system pod"
    return None


def unplaceable(pending: list[dict[str, Any]], nodes: list[Shape]) -> list[dict[str, Any]]:
    """The pending pods that fit on no existing node, even now (a node that just joined has
    room the scheduler has not used yet: no reason to add another)."""
    rooms = {s.name: s for s in nodes}
    left = []
    for pod in sorted(pending, key=lambda p: -requests(p).cpu):
        target = next((s for s in rooms.values() if fits(pod, s)), None)
        if target is None:
            left.append(pod)
            continue
        rooms[target.name] = Shape(
            target.name, target.labels, target.taints, target.room - requests(pod)
        )
    return left


def movable(pods: list[dict[str, Any]], others: list[Shape]) -> bool:
    """Whether every pod (but DaemonSet pods) fits on one of ``others``, first fit."""
    rooms = {s.name: s for s in others}
    for pod in sorted(pods, key=lambda p: -requests(p).cpu):
        if daemon(pod):
            continue
        target = next((s for s in rooms.values() if fits(pod, s)), None)
        if target is None:
            return False
        rooms[target.name] = Shape(
            target.name, target.labels, target.taints, target.room - requests(pod)
        )
    return True
