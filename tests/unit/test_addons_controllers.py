"""The nodepools controller and the autoscaler against a recording stand-in for kube-apiserver
(no cluster)."""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace
from typing import Any

import yaml

from workshop.sandbox import nodes as node_specs
from workshop.sandbox.addons import pools
from workshop.sandbox.addons.autoscaler import Autoscaler
from workshop.sandbox.addons.loop import Informer, key_of
from workshop.sandbox.addons.nodepools import APPLIED, FINALIZER, NodePools
from workshop.sandbox.addons.settings import for_profile


class Answer:
    """What ``client.call`` reads of an answer: its body."""

    def __init__(self, body: Any) -> None:
        self.data = json.dumps(body).encode() if body is not None else b""


class Group:
    """An API group of the official client: records each call, answers from ``answers``."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, method: str) -> Any:
        def called(*args: Any, **_: Any) -> Answer:
            self.calls.append((method, args))
            return Answer(self.answers.get(method))

        return called


def node(index: int, created: str) -> dict[str, Any]:
    found = node_specs.manifest(pool="p", index=index, ip=f"10.0.0.{index + 2}")
    found["metadata"].update(uid=f"uid-{index}", creationTimestamp=created)
    found["metadata"].setdefault("annotations", {})[APPLIED] = pools.template_note({})
    found["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
    return found


def informer(name: str, *objects: dict[str, Any]) -> Informer:
    cache = Informer(name, lambda **_: None)
    cache.cache = {key_of(o): o for o in objects}
    return cache


def nodepool(desired: int, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{node_specs.POOL_GROUP}/{node_specs.POOL_VERSION}",
        "kind": "NodePool",
        "metadata": {"name": "p", "uid": "pool", "resourceVersion": "7", "finalizers": [FINALIZER]},
        "spec": {"flavor": "b3-8", "desiredNodes": desired, "template": {}, **spec},
    }


def test_a_shrink_removes_the_node_the_autoscaler_marked_even_before_the_cache_shows_it() -> None:
    """The autoscaler taints a node, then lowers desiredNodes: the pool's watch may bring
    the new size before the node's watch brings the taint."""
    older, newer = node(0, "2026-01-01T00:00:00Z"), node(1, "2026-01-01T00:05:00Z")
    marked = copy.deepcopy(older)
    marked["spec"]["taints"] = [{"key": pools.TO_BE_DELETED, "value": "1", "effect": "NoSchedule"}]
    pool = nodepool(1)
    core = Group({"list_node": {"items": [marked, newer]}})  # what kube-apiserver holds
    kube = SimpleNamespace(core=core, custom=Group({}))
    controller = NodePools(
        kube,  # type: ignore[arg-type]
        informer("pools", pool),
        informer("nodes", older, newer),  # the cache: no taint yet
        informer("pods"),
        for_profile("instant"),
    )
    controller.reconcile("p")
    deleted = [args[0] for method, args in core.calls if method == "delete_node"]
    cordoned = [
        args[0]
        for method, args in core.calls
        if method == "patch_node" and args[1] == {"spec": {"unschedulable": True}}
    ]
    name = older["metadata"]["name"]
    assert deleted == [name] and cordoned == [name], core.calls


def test_a_pod_no_pool_can_hold_keeps_no_pool_from_shrinking() -> None:
    pool = nodepool(
        2, minNodes=1, maxNodes=3, autoscale=True, autoscaling={"scaleDownUnneededTimeSeconds": 0}
    )
    idle = [node(0, "2026-01-01T00:00:00Z"), node(1, "2026-01-01T00:05:00Z")]
    huge = {  # 16 CPUs: no node of any pool has them
        "metadata": {"name": "huge", "namespace": "default", "uid": "huge"},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": "16"}}}]},
        "status": {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/2 nodes are available: 2 Insufficient cpu.",
                }
            ],
        },
    }
    core, custom = Group({}), Group({})
    kube = SimpleNamespace(core=core, custom=custom)
    autoscaler = Autoscaler(
        kube,  # type: ignore[arg-type]
        informer("pools", pool),
        informer("nodes", *idle),
        informer("pods", huge),
        for_profile("instant"),
    )
    autoscaler.reconcile("cluster")  # one scan: both nodes unneeded (for 0 s is enough)
    sizes = [args[4] for method, args in custom.calls if method == "patch_cluster_custom_object"]
    assert sizes == [{"spec": {"desiredNodes": 1}}], custom.calls
    tainted = [args[0] for method, args in core.calls if method == "patch_node"]
    assert len(tainted) == 1 and tainted[0] in {n["metadata"]["name"] for n in idle}


class Recorded:
    """Stands in for the event recorder: what was recorded, on which object."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str, str, str]] = []

    def record(self, obj: dict[str, Any], kind: str, reason: str, message: str, **_: Any) -> None:
        meta = obj["metadata"]
        self.events.append((meta.get("namespace", ""), meta["name"], kind, reason, message))


STATUS_MAP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "cluster-autoscaler-status", "namespace": "kube-system", "uid": "cm"},
}


def starving(name: str, cpu: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "lab", "uid": name},
        "spec": {"containers": [{"name": "c", "resources": {"requests": {"cpu": cpu}}}]},
        "status": {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/1 nodes are available: 1 Insufficient cpu.",
                }
            ],
        },
    }


def autoscaler_of(pool: dict[str, Any], nodes: list[dict[str, Any]], pods: list[Any]) -> Any:
    core = Group({"replace_namespaced_config_map": STATUS_MAP})
    custom = Group({})
    scaler = Autoscaler(
        SimpleNamespace(core=core, custom=custom),  # type: ignore[arg-type]
        informer("pools", pool),
        informer("nodes", *nodes),
        informer("pods", *pods),
        for_profile("instant"),
    )
    scaler.events = Recorded()  # type: ignore[assignment]
    return scaler, core, custom


def test_a_scale_up_is_told_on_the_status_config_map_and_the_pods_as_upstream_does() -> None:
    pool = nodepool(1, minNodes=1, maxNodes=2, autoscale=True)
    # a new b3-8 node holds two of them (the stand-in node has no room: no allocatable)
    pods = [starving(f"web-{i}", "800m") for i in range(3)]
    scaler, core, custom = autoscaler_of(pool, [node(0, "2026-01-01T00:00:00Z")], pods)
    scaler.reconcile("cluster")
    sizes = [args[4] for method, args in custom.calls if method == "patch_cluster_custom_object"]
    assert sizes == [{"spec": {"desiredNodes": 2}}]
    events = scaler.events.events
    on_status = [e[2:] for e in events if e[:2] == ("kube-system", "cluster-autoscaler-status")]
    assert on_status == [
        ("ConfigMap", "ScaledUpGroup", "Scale-up: setting group p size to 2 instead of 1 (max: 2)")
    ]
    assert not [e for e in events if e[2] == "NodePool"]  # never on the pool: upstream does not
    reasons = sorted(e[3] for e in events if e[2] == "Pod")
    assert reasons == ["NotTriggerScaleUp", "TriggeredScaleUp", "TriggeredScaleUp"]
    # the status it wrote: upstream's document, with the pool's target and bounds
    written = [args[2] for method, args in core.calls if method == "replace_namespaced_config_map"]
    status = yaml.safe_load(written[0]["data"]["status"])
    assert status["autoscalerStatus"] == "Running"
    group = status["nodeGroups"][0]
    assert group["name"] == "p" and group["health"]["cloudProviderTarget"] == 1
    assert (group["health"]["minSize"], group["health"]["maxSize"]) == (1, 2)
    assert group["health"]["nodeCounts"]["registered"] == {"total": 1, "ready": 1, "notStarted": 0}


def test_a_scale_down_is_told_on_the_status_config_map_and_the_node() -> None:
    pool = nodepool(
        2, minNodes=1, maxNodes=3, autoscale=True, autoscaling={"scaleDownUnneededTimeSeconds": 0}
    )
    idle = [node(0, "2026-01-01T00:00:00Z"), node(1, "2026-01-01T00:05:00Z")]
    scaler, _core, _custom = autoscaler_of(pool, idle, [])
    scaler.reconcile("cluster")
    events = scaler.events.events
    gone = [e for e in events if e[2] == "Node"]
    assert len(gone) == 1 and gone[0][3] == "ScaleDown"
    assert [e[2:] for e in events if e[1] == "cluster-autoscaler-status"] == [
        ("ConfigMap", "ScaleDownEmpty", f"Scale-down: removing empty node {gone[0][1]}")
    ]
