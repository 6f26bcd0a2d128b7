"""The cluster autoscaler, for NodePools with ``autoscale: true``.

Every scan (10s on the real service, less here) it looks at the whole cluster:

- **scale up**: pods the scheduler could not place for lack of resources ("Insufficient
  cpu") are packed onto new nodes of the pools they would fit; each such pool's
  ``desiredNodes`` grows, up to ``maxNodes``. Each pod gets ``TriggeredScaleUp`` (or
  ``NotTriggerScaleUp`` with the reason);
- **scale down**: a node whose pods request less than the pool's
  ``scaleDownUtilizationThreshold`` (0.5) of its CPU and memory, and whose pods fit on
  the other nodes, is *unneeded*; unneeded for ``scaleDownUnneededTimeSeconds``, it is
  tainted ``ToBeDeletedByClusterAutoscaler``, its pods are evicted, and the pool's
  ``desiredNodes`` shrinks (never below ``minNodes``): the nodepools controller then
  removes that very node. Empty nodes go together, busy ones one at a time.

Its events go where upstream's go (its FAQ): ``ScaledUpGroup``, ``ScaleDown`` and
``ScaleDownEmpty`` on the ConfigMap ``kube-system/cluster-autoscaler-status``, which holds
its status (``autoscalerstatus``); ``ScaleDown`` on the node it removes; ``TriggeredScaleUp``,
``NotTriggerScaleUp`` and ``ScaleDown`` on pods.
"""

from __future__ import annotations

import time
from typing import Any

from workshop.sandbox import nodes as node_specs
from workshop.sandbox.addons import autoscalerstatus, nodepools, pools, scaling
from workshop.sandbox.addons.client import MERGE_PATCH, Events, Kube, call
from workshop.sandbox.addons.loop import Controller, Informer
from workshop.sandbox.addons.settings import Settings

KEY = "cluster"  # one key: each reconcile is a scan of the whole cluster
RESOURCE_WORDS = ("Insufficient ", "Too many pods")


def starved(pod: dict[str, Any]) -> bool:
    """Pending because no node has room (not for a missing volume, a taint, a selector)."""
    if pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
        return False
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition["type"] == "PodScheduled" and condition.get("reason") == "Unschedulable":
            return any(w in condition.get("message", "") for w in RESOURCE_WORDS)
    return False


def template_shape(pool: dict[str, Any]) -> scaling.Shape:
    """An empty node of the pool, as it would join."""
    spec = pool["spec"]
    template = spec.get("template") or {}
    node = node_specs.manifest(
        pool=pool["metadata"]["name"],
        index=0,
        flavor=spec["flavor"],
        labels=(template.get("metadata") or {}).get("labels"),
        taints=(template.get("spec") or {}).get("taints"),
    )
    return scaling.Shape(
        "template",
        node["metadata"]["labels"],
        tuple(node["spec"].get("taints") or []),
        scaling.allocatable(node),
    )


class Autoscaler(Controller):
    name = "cluster-autoscaler"

    def __init__(
        self, kube: Kube, pools_: Informer, nodes: Informer, pods: Informer, settings: Settings
    ) -> None:
        super().__init__()
        self.kube, self.pools, self.nodes, self.pods = kube, pools_, nodes, pods
        self.settings = settings
        self.events = Events(kube, "cluster-autoscaler")
        self.status = autoscalerstatus.StatusMap(kube)
        self.unneeded: dict[str, float] = {}  # node -> since when
        self.last_scale_up: dict[str, float] = {}
        self.asked: dict[str, tuple[int, float]] = {}  # pool -> size we set, and when
        self.told: set[tuple[str, str]] = set()  # (pod uid, message) already in an event
        self.last_scan = 0.0
        for informer in (pools_, nodes, pods):
            self.watch(informer, lambda _obj: [KEY])

    def reconcile(self, key: str) -> float | None:
        groups = [
            p
            for p in self.pools.items()
            if p["spec"].get("autoscale") and not p["metadata"].get("deletionTimestamp")
        ]
        if not groups:
            self.unneeded.clear()
            return None  # nothing to scale: wait for a pool to turn autoscale on
        since = time.monotonic() - self.last_scan
        if since < self.settings.autoscaler_scan_seconds / 2:
            return self.settings.autoscaler_scan_seconds / 2 - since  # coalesce bursts
        self.last_scan = time.monotonic()
        pods, nodes = self.pods.items(), self.nodes.items()
        self.status.publish(autoscalerstatus.report(groups, nodes, list(self.unneeded)))
        pending = [p for p in pods if starved(p)]
        if not self._scale_up(groups, nodes, pods, pending):
            # Pods no pool can hold (NotTriggerScaleUp) keep no other pool from shrinking,
            # as with the real cluster autoscaler; pods a node will take, now or once it
            # joins, do: their node must not go first.
            for pool in groups:
                self._scale_down(pool, nodes, pods)
        return self.settings.autoscaler_scan_seconds

    # -- scale up ---------------------------------------------------------------------------

    def _scale_up(
        self,
        groups: list[dict[str, Any]],
        nodes: list[dict[str, Any]],
        pods: list[dict[str, Any]],
        pending: list[dict[str, Any]],
    ) -> bool:
        """Grow the pools the pending pods need; whether any of them has a node coming."""
        usable = [
            scaling.shape_of(n, pods)
            for n in nodes
            if pools.settled(n) and not pools.marked(n) and not n["spec"].get("unschedulable")
        ]
        left = scaling.unplaceable(pending, usable)
        if not left:
            return bool(pending)  # they fit on nodes already there
        by_name = {p["metadata"]["name"]: p for p in groups}
        shapes = [
            scaling.Group(
                name,
                self._desired(pool),
                pool["spec"].get("maxNodes", node_specs.MAX_POOL_NODES),
                len([n for n in pools.members(name, nodes) if pools.settled(n)]),
                template_shape(pool),
            )
            for name, pool in sorted(by_name.items())
        ]
        decisions, refused = scaling.plan_scale_up(left, shapes)
        by_key = {scaling.key(p): p for p in left}
        for decision in decisions:
            group, pool = decision.group, by_name[decision.group.name]
            self._set_desired(pool, decision.target)
            self.last_scale_up[group.name] = time.monotonic()
            self._group_event(
                "ScaledUpGroup",
                f"Scale-up: setting group {group.name} size to {decision.target} instead of "
                f"{group.desired} (max: {group.maximum})",
            )
            self.log.info(
                "scale up %s: %d -> %d for %d pending pod(s)",
                group.name,
                group.desired,
                decision.target,
                len(decision.pods),
            )
            change = f"{group.name} {group.desired}->{decision.target} (max: {group.maximum})"
            told = f"pod triggered scale-up: [{{{change}}}]"
            for pod_key in decision.pods:
                self._tell(by_key[pod_key], "TriggeredScaleUp", told)
        for pod_key, reason in refused.items():
            said = f"pod didn't trigger scale-up: {reason}"
            self._tell(by_key[pod_key], "NotTriggerScaleUp", said)
        return len(refused) < len(pending)

    def _group_event(self, reason: str, message: str) -> None:
        """A node-group event, on the status ConfigMap as upstream records it."""
        if self.status.obj is None:
            self.log.warning("no status ConfigMap to record %s on: %s", reason, message)
            return
        self.events.record(self.status.obj, "ConfigMap", reason, message)

    def _tell(self, pod: dict[str, Any], reason: str, message: str) -> None:
        """An event on a pod, once per message (the scan repeats; the news does not)."""
        seen = (pod["metadata"]["uid"], message)
        if seen not in self.told:
            self.told.add(seen)
            self.events.record(pod, "Pod", reason, message)

    # -- scale down -------------------------------------------------------------------------

    def _scale_down(
        self, pool: dict[str, Any], nodes: list[dict[str, Any]], pods: list[dict[str, Any]]
    ) -> None:
        name, spec = pool["metadata"]["name"], pool["spec"]
        desired = self._desired(pool)
        tuning = spec.get("autoscaling") or {}
        threshold = float(tuning.get("scaleDownUtilizationThreshold") or 0.5)
        unneeded_for = tuning.get("scaleDownUnneededTimeSeconds")
        if unneeded_for is None:
            unneeded_for = self.settings.scale_down_unneeded_seconds
        now = time.monotonic()
        members = pools.members(name, nodes)
        leaving = [n for n in members if pools.marked(n)]
        if leaving:
            # An earlier decision: these nodes go. Make sure the pool says so (this catches
            # up a write that failed), and decide nothing more until they are gone.
            wanted = max(spec.get("minNodes", 0), len(members) - len(leaving))
            if desired > wanted:
                self._set_desired(pool, wanted)
            return
        recently = now - self.last_scale_up.get(name, -1e9)
        mine = [n for n in members if pools.settled(n)]
        if len(mine) < desired or recently < self.settings.scale_down_delay_after_add_seconds:
            return  # still growing, or grew a moment ago
        ripe: list[tuple[float, dict[str, Any]]] = []
        for node in mine:
            node_name = node["metadata"]["name"]
            here = scaling.on_node(node_name, pods)
            used = max(scaling.utilisation(node, pods))
            others = [
                scaling.shape_of(n, pods)
                for n in nodes
                if n["metadata"]["name"] != node_name
                and pools.settled(n)
                and not pools.marked(n)
                and not n.get("spec", {}).get("unschedulable")
            ]
            if used >= threshold or scaling.blocker(here) or not scaling.movable(here, others):
                self.unneeded.pop(node_name, None)
                continue
            since = self.unneeded.setdefault(node_name, now)
            if now - since >= unneeded_for:
                ripe.append((used, node))
        room = desired - spec.get("minNodes", 0)
        empty = [
            n
            for used, n in ripe
            if not [
                p for p in scaling.on_node(n["metadata"]["name"], pods) if not scaling.daemon(p)
            ]
        ]
        chosen = (
            empty[:room] if empty else [min(ripe, key=lambda r: r[0])[1]][:room] if ripe else []
        )
        for node in chosen:
            self._remove(pool, node, pods)
        if chosen:
            self._set_desired(pool, desired - len(chosen))

    def _remove(
        self, pool: dict[str, Any], node: dict[str, Any], pods: list[dict[str, Any]]
    ) -> None:
        node_name = node["metadata"]["name"]
        cpu, memory = scaling.utilisation(node, pods)
        here = [p for p in scaling.on_node(node_name, pods) if not scaling.daemon(p)]
        taint = {"key": pools.TO_BE_DELETED, "value": str(int(time.time())), "effect": "NoSchedule"}
        taints = [*(node.get("spec", {}).get("taints") or []), taint]
        call(
            self.kube.core.patch_node,
            node_name,
            {"spec": {"taints": taints}},
            _content_type=MERGE_PATCH,
        )
        self.events.record(
            node, "Node", "ScaleDown", "marked the node as toBeDeleted/unschedulable"
        )
        if here:
            moved = ",".join(f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in here)
            self._group_event(
                "ScaleDown",
                f"Scale-down: removing node {node_name}, utilization: {{cpu: {cpu:.2f}, "
                f"memory: {memory:.2f}}}, pods to reschedule: {moved}",
            )
        else:
            self._group_event("ScaleDownEmpty", f"Scale-down: removing empty node {node_name}")
        for pod in here:
            self.events.record(pod, "Pod", "ScaleDown", "deleting pod for node scale down")
            nodepools.evict(self.kube, pod)
        self.unneeded.pop(node_name, None)
        self.log.info(
            "scale down %s: removing %s (cpu %.2f, memory %.2f)",
            pool["metadata"]["name"],
            node_name,
            cpu,
            memory,
        )

    def _desired(self, pool: dict[str, Any]) -> int:
        """The pool's size: the one we just set, until the watch shows it (a stale cache
        must not make us scale twice for the same pods)."""
        name, cached = pool["metadata"]["name"], pool["spec"]["desiredNodes"]
        asked = self.asked.get(name)
        if asked is None or asked[0] == cached or time.monotonic() - asked[1] > 10:
            self.asked.pop(name, None)
            return int(cached)
        return asked[0]

    def _set_desired(self, pool: dict[str, Any], desired: int) -> None:
        self.asked[pool["metadata"]["name"]] = (desired, time.monotonic())
        call(
            self.kube.custom.patch_cluster_custom_object,
            nodepools.GROUP,
            nodepools.VERSION,
            nodepools.PLURAL,
            pool["metadata"]["name"],
            {"spec": {"desiredNodes": desired}},  # a size, as the autoscaler asks the cloud API
            _content_type=MERGE_PATCH,
        )
