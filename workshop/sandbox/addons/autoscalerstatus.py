"""The cluster autoscaler's status ConfigMap, ``kube-system/cluster-autoscaler-status``.

The upstream cluster autoscaler publishes its view of each node group there (its key
``status``, YAML since 1.30: target size, bounds, registered and ready nodes, scale-up and
scale-down activity), and records its node-group events on that ConfigMap:
``ScaledUpGroup``, ``ScaleDown`` and ``ScaleDownEmpty`` (its FAQ, "What events are emitted
by CA?"). ``report`` is the document (pure); ``StatusMap`` writes it when it changes and
gives the events their object.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import yaml
from kubernetes.client.exceptions import ApiException

from workshop.sandbox import nodes as node_specs
from workshop.sandbox.addons import pools
from workshop.sandbox.addons.client import Kube, call, explain

NAMESPACE = "kube-system"
NAME = "cluster-autoscaler-status"
LAST_UPDATED = "cluster-autoscaler.kubernetes.io/last-updated"

Object = dict[str, Any]


def _counts(members: list[Object]) -> dict[str, Any]:
    ready = [n for n in members if pools.settled(n)]
    return {
        "registered": {
            "total": len(members),
            "ready": len(ready),
            "notStarted": len(members) - len(ready),
        }
    }


def report(groups: list[Object], nodes: list[Object], unneeded: list[str]) -> dict[str, Any]:
    """What the autoscaler knows of the cluster and of each autoscaled pool, in the shape of
    upstream's status document (without its ``time``: the caller stamps it)."""
    by_name = {n["metadata"]["name"]: n for n in nodes}
    node_groups = []
    for pool in sorted(groups, key=lambda p: str(p["metadata"]["name"])):
        name, spec = pool["metadata"]["name"], pool["spec"]
        members = pools.members(name, nodes)
        candidates = len([n for n in unneeded if by_name.get(n) in members])
        target = int(spec.get("desiredNodes") or 0)
        node_groups.append(
            {
                "name": name,
                "health": {
                    "status": "Healthy",
                    "nodeCounts": _counts(members),
                    "cloudProviderTarget": target,
                    "minSize": int(spec.get("minNodes") or 0),
                    "maxSize": int(spec.get("maxNodes", node_specs.MAX_POOL_NODES)),
                },
                "scaleUp": {"status": "InProgress" if target > len(members) else "NoActivity"},
                "scaleDown": {
                    "status": "CandidatesPresent" if candidates else "NoCandidates",
                    "candidates": candidates,
                },
            }
        )
    growing = any(g["scaleUp"]["status"] == "InProgress" for g in node_groups)
    candidates = sum(g["scaleDown"]["candidates"] for g in node_groups)
    return {
        "autoscalerStatus": "Running",
        "clusterWide": {
            "health": {"status": "Healthy", "nodeCounts": _counts(nodes)},
            "scaleUp": {"status": "InProgress" if growing else "NoActivity"},
            "scaleDown": {
                "status": "CandidatesPresent" if candidates else "NoCandidates",
                "candidates": candidates,
            },
        },
        "nodeGroups": node_groups,
    }


class StatusMap:
    """Writes the status document to its ConfigMap when it changes; holds that ConfigMap,
    the object the node-group events are recorded on."""

    def __init__(self, kube: Kube) -> None:
        self.kube = kube
        self.obj: Object | None = None
        self._written: dict[str, Any] | None = None
        self._log = logging.getLogger("cluster-autoscaler.status")

    def publish(self, document: dict[str, Any]) -> Object | None:
        """The ConfigMap holding ``document`` (None if it cannot be written: the autoscaler
        scales all the same, as upstream does when its status write fails)."""
        if document == self._written and self.obj is not None:
            return self.obj
        stamp = time.strftime("%Y-%m-%d %H:%M:%S +0000 UTC", time.gmtime())
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": NAME,
                "namespace": NAMESPACE,
                "annotations": {LAST_UPDATED: stamp},
            },
            "data": {"status": yaml.safe_dump({"time": stamp, **document}, sort_keys=False)},
        }
        try:
            try:
                written = call(self.kube.core.replace_namespaced_config_map, NAME, NAMESPACE, body)
            except ApiException as e:
                if e.status != 404:
                    raise
                written = call(self.kube.core.create_namespaced_config_map, NAMESPACE, body)
        except ApiException as e:
            self._log.warning("status not written: %s", explain(e))
            return self.obj
        if written:
            self.obj, self._written = written, document
        return self.obj
