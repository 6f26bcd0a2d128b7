"""What ``ClusterView`` draws, as data: nodes as boxes holding their pods, pods still waiting
for a node outside any box. Pure functions of the Node and Pod objects (tests build them in
memory); ``render`` turns a picture into the HTML the widget shows."""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from typing import Any, Literal

Object = dict[str, Any]
State = Literal["ready", "running", "waiting", "pending", "failed", "succeeded", "terminating"]

# Colours by state; the legend under the picture names them.
COLOURS: dict[State, str] = {
    "ready": "#2da44e",
    "running": "#a6d96a",
    "waiting": "#f2c94c",
    "pending": "#d0d7de",
    "failed": "#e5534b",
    "succeeded": "#6e9bd1",
    "terminating": "#8c959f",
}
LEGEND: dict[State, str] = {
    "ready": "Running and Ready",
    "running": "Running, not Ready",
    "waiting": "starting (ContainerCreating, pulling)",
    "pending": "Pending: no node yet",
    "failed": "failing (CrashLoopBackOff, ErrImagePull, Failed)",
    "succeeded": "Succeeded (finished)",
    "terminating": "Terminating",
}
_FAILING = {
    "CrashLoopBackOff",
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "Error",
    "OOMKilled",
}


@dataclass(frozen=True)
class PodTile:
    namespace: str
    name: str
    state: State
    reason: str  # what kubectl's STATUS column would say: Running, Pending, CrashLoopBackOff...
    node: str | None
    app: str | None  # the app/app.kubernetes.io/name label, to tell workloads apart
    restarts: int = 0

    @property
    def short_name(self) -> str:
        """``hello-8595b64cff-g8742`` -> ``hello-…-g8742``: the app and the pod's own suffix."""
        parts = self.name.split("-")
        if len(parts) >= 3 and len(parts[-2]) in (9, 10) and len(parts[-1]) == 5:
            return "-".join(parts[:-2]) + "-…-" + parts[-1]
        return self.name


@dataclass(frozen=True)
class NodeBox:
    name: str
    ready: bool
    schedulable: bool
    flavor: str | None  # node.kubernetes.io/instance-type when it is a name (e.g. e2-medium)
    pool: str | None
    pods: tuple[PodTile, ...]


@dataclass(frozen=True)
class ClusterPicture:
    nodes: tuple[NodeBox, ...]
    unscheduled: tuple[PodTile, ...]  # Pending pods with no node (yet)

    @property
    def pods(self) -> tuple[PodTile, ...]:
        return tuple(p for n in self.nodes for p in n.pods) + self.unscheduled

    def count(self, state: State) -> int:
        return sum(1 for p in self.pods if p.state == state)

    def summary(self) -> str:
        """``3 nodes (3 Ready), 4 pods: 3 ready, 1 pending``."""
        ready_nodes = sum(1 for n in self.nodes if n.ready)
        head = f"{_plural(len(self.nodes), 'node')} ({ready_nodes} Ready)"
        pods = self.pods
        if not pods:
            return f"{head}, no pods"
        states = [s for s in COLOURS if self.count(s)]
        parts = ", ".join(f"{self.count(s)} {s}" for s in states)
        return f"{head}, {_plural(len(pods), 'pod')}: {parts}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _conditions(obj: Object) -> dict[str, str]:
    found = (obj.get("status") or {}).get("conditions") or []
    return {str(c.get("type")): str(c.get("status")) for c in found if isinstance(c, dict)}


def pod_tile(pod: Object) -> PodTile:
    """How one pod looks: its state and the reason kubectl would print."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    labels = meta.get("labels") or {}
    containers = status.get("containerStatuses") or []
    restarts = sum(int(c.get("restartCount") or 0) for c in containers)
    node = spec.get("nodeName") or None
    phase = str(status.get("phase") or "Pending")
    waiting = [
        (c.get("state") or {}).get("waiting") or {}
        for c in containers
        if (c.get("state") or {}).get("waiting")
    ]
    terminated = [
        (c.get("state") or {}).get("terminated") or {}
        for c in containers
        if (c.get("state") or {}).get("terminated")
    ]
    reason = str(waiting[0].get("reason") or "Waiting") if waiting else phase
    if terminated and not waiting:
        reason = str(terminated[0].get("reason") or phase)
    state: State
    if meta.get("deletionTimestamp"):
        state, reason = "terminating", "Terminating"
    elif phase == "Succeeded":
        state = "succeeded"
    elif phase == "Failed" or reason in _FAILING:
        state = "failed"
    elif phase == "Running":
        state = "ready" if _conditions(pod).get("Ready") == "True" else "running"
    elif node is None:
        state = "pending"
        scheduled = [
            c
            for c in (status.get("conditions") or [])
            if isinstance(c, dict) and c.get("type") == "PodScheduled"
        ]
        if scheduled and scheduled[0].get("reason"):
            reason = f"Pending ({scheduled[0]['reason']})"
    else:
        state = "waiting"
        if not waiting:
            reason = "ContainerCreating"
    app = labels.get("app.kubernetes.io/name") or labels.get("app")
    return PodTile(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or "?"),
        state=state,
        reason=reason,
        node=node,
        app=str(app) if app else None,
        restarts=restarts,
    )


def _instance_type(label: str | None) -> str | None:
    """The node's instance type if it says something to a reader: OpenStack clouds, OVHcloud
    Managed Kubernetes among them, put the flavor's id (a UUID) there, not its name."""
    if not label:
        return None
    try:
        uuid.UUID(label)
    except ValueError:
        return label
    return None


def picture(nodes: list[Object], pods: list[Object]) -> ClusterPicture:
    """Nodes in name order, each with its pods; pods without a node set apart."""
    tiles = sorted((pod_tile(p) for p in pods), key=lambda t: (t.namespace, t.name))
    by_node: dict[str, list[PodTile]] = {}
    for tile in tiles:
        if tile.node:
            by_node.setdefault(tile.node, []).append(tile)
    boxes = []
    known = set()
    for node in sorted(nodes, key=lambda n: str((n.get("metadata") or {}).get("name"))):
        meta = node.get("metadata") or {}
        labels = meta.get("labels") or {}
        name = str(meta.get("name") or "?")
        known.add(name)
        boxes.append(
            NodeBox(
                name=name,
                ready=_conditions(node).get("Ready") == "True",
                schedulable=not (node.get("spec") or {}).get("unschedulable"),
                flavor=_instance_type(labels.get("node.kubernetes.io/instance-type")),
                pool=labels.get("nodepool") or labels.get("kubernetes.ovhcloud.com/nodepool"),
                pods=tuple(by_node.get(name, ())),
            )
        )
    # Pods bound to a node that is gone (or not listed yet) still show, in a box of their own.
    for name in sorted(set(by_node) - known):
        boxes.append(NodeBox(name, False, False, None, None, tuple(by_node[name])))
    unscheduled = tuple(t for t in tiles if not t.node)
    return ClusterPicture(tuple(boxes), unscheduled)


def _tile_html(tile: PodTile, *, show_namespace: bool) -> str:
    label = html.escape(tile.short_name)
    where = f"{tile.namespace}/" if tile.namespace else ""
    title = html.escape(f"{where}{tile.name}: {tile.reason}, {tile.restarts} restarts")
    extra = (
        f'<div style="font-size:9px;opacity:.8">{html.escape(tile.namespace)}</div>'
        if show_namespace
        else ""
    )
    reason = "" if tile.state == "ready" else f'<div style="font-size:9px">{tile.reason}</div>'
    return (
        f'<div class="ws-pod" data-state="{tile.state}" data-pod="{html.escape(tile.name)}" '
        f'title="{title}" style="background:{COLOURS[tile.state]};border-radius:4px;'
        "padding:3px 5px;margin:2px;font-size:10px;min-width:70px;"
        'font-family:var(--jp-code-font-family,monospace);color:#1f2328">'
        f"{label}{reason}{extra}</div>"
    )


def _pods_html(tiles: tuple[PodTile, ...], *, show_namespace: bool, empty: str) -> str:
    if not tiles:
        return f'<div style="color:#8c959f;font-size:11px;padding:4px">{empty}</div>'
    inner = "".join(_tile_html(t, show_namespace=show_namespace) for t in tiles)
    return f'<div style="display:flex;flex-wrap:wrap">{inner}</div>'


def render(pic: ClusterPicture, *, title: str, error: str | None = None) -> str:
    """The picture as HTML: a summary line, the node boxes, the waiting pods, a legend."""
    show_ns = len({p.namespace for p in pic.pods}) > 1
    boxes = []
    for node in pic.nodes:
        status = "Ready" if node.ready else "NotReady"
        if not node.schedulable:
            status += ", cordoned"
        details = " · ".join(x for x in (node.flavor, node.pool) if x)
        border = "#2da44e" if node.ready else "#e5534b"
        boxes.append(
            f'<div class="ws-node" data-node="{html.escape(node.name)}" '
            f'style="border:2px solid {border};border-radius:6px;padding:6px;margin:4px;'
            'min-width:180px;max-width:320px;flex:1 1 200px;background:#fff">'
            f'<div style="font-weight:600;font-size:12px">{html.escape(node.name)}</div>'
            f'<div style="font-size:10px;color:#57606a">{html.escape(status)}'
            f"{' · ' + html.escape(details) if details else ''} · "
            f"{_plural(len(node.pods), 'pod')}</div>"
            + _pods_html(node.pods, show_namespace=show_ns, empty="no pods")
            + "</div>"
        )
    nodes_html = "".join(boxes) or '<div style="color:#8c959f">no nodes</div>'
    pending = (
        '<div class="ws-unscheduled" style="border:2px dashed #8c959f;border-radius:6px;'
        'padding:6px;margin:4px">'
        '<div style="font-weight:600;font-size:12px">waiting for a node</div>'
        + _pods_html(pic.unscheduled, show_namespace=show_ns, empty="")
        + "</div>"
        if pic.unscheduled
        else ""
    )
    legend = "".join(
        f'<span style="display:inline-block;margin-right:10px">'
        f'<span style="display:inline-block;width:10px;height:10px;background:{COLOURS[s]};'
        f'border-radius:2px;margin-right:3px"></span>{html.escape(text)}</span>'
        for s, text in LEGEND.items()
    )
    warning = (
        f'<div class="ws-stale" style="color:#cf222e;font-size:11px">{html.escape(error)}</div>'
        if error
        else ""
    )
    return (
        '<div class="ws-cluster" style="font-family:var(--jp-ui-font-family,sans-serif)">'
        f'<div class="ws-summary" style="font-size:12px;margin:2px 4px">'
        f"<b>{html.escape(title)}</b>: {html.escape(pic.summary())}</div>{warning}"
        f'<div style="display:flex;flex-wrap:wrap;align-items:flex-start">{nodes_html}</div>'
        f"{pending}"
        f'<div style="font-size:10px;color:#57606a;margin:4px">{legend}</div></div>'
    )
