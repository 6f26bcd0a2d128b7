"""Node pool arithmetic and the cluster autoscaler's decisions (pure)."""

from __future__ import annotations

from typing import Any

from workshop.quantity import memory_bytes, millicores
from workshop.sandbox import nodes
from workshop.sandbox.addons import autoscaler, pools, scaling

APPLIED = "sandbox.workshop.dev/nodepool-template"


def node(
    pool: str, index: int, *, ready: bool = True, created: str = "2026-01-01T00:00:00Z", **kw: Any
) -> dict[str, Any]:
    made = nodes.manifest(pool=pool, index=index, **kw)
    made["metadata"]["creationTimestamp"] = created
    made["status"]["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
    return made


def pod(
    name: str, cpu: str = "100m", memory: str = "64Mi", on: str | None = None, **spec: Any
) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": name,
            "ownerReferences": [{"kind": "ReplicaSet"}],
        },
        "spec": {
            "nodeName": on,
            "containers": [
                {"name": "c", "resources": {"requests": {"cpu": cpu, "memory": memory}}}
            ],
            **spec,
        },
        "status": {"phase": "Running" if on else "Pending"},
    }


def test_quantities() -> None:
    assert millicores("500m") == 500 and millicores("2") == 2000 and millicores(0.5) == 500
    assert memory_bytes("128Mi") == 128 * 2**20 and memory_bytes("1G") == 10**9
    assert memory_bytes("1e3") == 1000


def test_a_pool_grows_with_the_lowest_free_indexes() -> None:
    present = [node("np", 0), node("np", 2)]
    assert pools.plan("np", 4, present).create == [1, 3]
    assert pools.plan("np", 4, present, frozenset({1})).create == [3]
    assert pools.plan("np", 2, present) == pools.Plan()


def test_a_pool_shrinks_marked_then_unready_then_newest_nodes() -> None:
    old = node("np", 0, created="2026-01-01T00:00:00Z")
    new = node("np", 1, created="2026-01-02T00:00:00Z")
    sick = node("np", 2, ready=False)
    marked = node("np", 3)
    marked["spec"]["taints"] = [{"key": pools.TO_BE_DELETED, "effect": "NoSchedule"}]
    everyone = [old, new, sick, marked]
    names = [n["metadata"]["name"] for n in everyone]
    assert pools.plan("np", 3, everyone).delete == [names[3]]
    assert pools.plan("np", 2, everyone).delete == [names[3], names[2]]
    assert pools.plan("np", 1, everyone).delete == [names[3], names[2], names[1]]


def test_new_nodes_get_addresses_no_node_has() -> None:
    taken = [node("a", 0, ip="10.0.0.2"), node("b", 0, ip="10.0.0.4")]
    assert pools.free_ips(taken, 2) == ["10.0.0.3", "10.0.0.5"]


def test_pool_status_counts_current_available_and_up_to_date() -> None:
    template = {"metadata": {"labels": {"team": "a"}}}
    pool = {
        "metadata": {"name": "np", "generation": 2},
        "spec": {"desiredNodes": 3, "template": template},
    }
    fresh = node("np", 0, annotations={APPLIED: pools.template_note(template)})
    stale = node("np", 1)
    joining = node("np", 2, ready=False)
    status = pools.status(pool, [fresh, stale, joining, node("other", 0)], APPLIED)
    assert (status["currentNodes"], status["availableNodes"], status["upToDateNodes"]) == (3, 2, 1)
    assert status["conditions"][0]["reason"] == "NodesNotReady"
    assert pools.status(pool, [fresh], APPLIED)["conditions"][0]["reason"] == "ScalingUp"


def test_a_changed_template_moves_labels_and_taints_but_keeps_the_others() -> None:
    old = {
        "metadata": {"labels": {"team": "a", "tier": "web"}},
        "spec": {"taints": [{"key": "t", "effect": "NoSchedule"}]},
    }
    made = node(
        "np",
        0,
        labels={"team": "a", "tier": "web"},
        taints=[{"key": "t", "effect": "NoSchedule"}],
        annotations={APPLIED: pools.template_note(old)},
    )
    made["spec"]["taints"].append({"key": pools.TO_BE_DELETED, "effect": "NoSchedule"})
    new = {"metadata": {"labels": {"team": "b"}}}
    patch = pools.template_patch(made, new, APPLIED)
    assert patch is not None
    assert patch["metadata"]["labels"] == {"team": "b", "tier": None}
    assert patch["spec"]["taints"] == [{"key": pools.TO_BE_DELETED, "effect": "NoSchedule"}]
    made["metadata"]["annotations"][APPLIED] = pools.template_note(new)
    assert pools.template_patch(made, new, APPLIED) is None


def group(
    name: str, desired: int, maximum: int, present: int | None = None, **template: Any
) -> scaling.Group:
    pool = {"metadata": {"name": name}, "spec": {"flavor": "b3-8", "template": template}}
    return scaling.Group(
        name,
        desired,
        maximum,
        desired if present is None else present,
        autoscaler.template_shape(pool),
    )


def test_pending_pods_are_packed_onto_new_nodes_of_the_pool() -> None:
    pending = [pod(f"p{i}", cpu="1") for i in range(5)]  # a b3-8 node offers 1780m
    decisions, refused = scaling.plan_scale_up(pending, [group("np", 2, 10)])
    assert refused == {}
    assert [(d.group.name, d.target) for d in decisions] == [("np", 7)]
    assert len(decisions[0].pods) == 5


def test_scale_up_stops_at_max_nodes_and_says_so() -> None:
    pending = [pod(f"p{i}", cpu="1") for i in range(5)]
    decisions, refused = scaling.plan_scale_up(pending, [group("np", 2, 4)])
    assert decisions[0].target == 4
    assert sorted(refused.values()) == ["1 max node group size reached"] * 3


def test_nodes_on_their_way_take_pending_pods_first() -> None:
    pending = [pod("p0", cpu="1")]
    decisions, refused = scaling.plan_scale_up(pending, [group("np", 3, 10, present=2)])
    assert decisions == [] and refused == {}


def test_pods_no_pool_could_host_do_not_scale_anything() -> None:
    huge = pod("huge", cpu="8")
    picky = pod("picky", nodeSelector={"disktype": "ssd"})
    intolerant = pod("intolerant")
    groups = [
        group("np", 1, 10),
        group("gpu", 1, 10, spec={"taints": [{"key": "gpu", "effect": "NoSchedule"}]}),
    ]
    decisions, refused = scaling.plan_scale_up([huge, picky], groups[:1])
    assert decisions == []
    assert refused["default/huge"] == "1 Insufficient cpu"
    assert "didn't match Pod's node affinity/selector" in refused["default/picky"]
    decisions, _ = scaling.plan_scale_up([intolerant], groups[1:])
    assert decisions == []
    tolerant = pod("tolerant", tolerations=[{"key": "gpu", "operator": "Exists"}])
    decisions, _ = scaling.plan_scale_up([tolerant], groups[1:])
    assert decisions[0].target == 2


def test_only_resource_shortage_triggers_a_scale_up() -> None:
    starving = pod("s")
    starving["status"]["conditions"] = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient cpu.",
        }
    ]
    assert autoscaler.starved(starving)
    starving["status"]["conditions"][0]["message"] = (
        "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims."
    )
    assert not autoscaler.starved(starving)


def test_an_underused_node_goes_only_if_its_pods_fit_elsewhere() -> None:
    a, b = node("np", 0), node("np", 1)
    name_a, name_b = a["metadata"]["name"], b["metadata"]["name"]
    pods = [pod("small", cpu="200m", on=name_a), pod("big", cpu="1700m", on=name_b)]
    cpu, memory = scaling.utilisation(a, pods)
    assert round(cpu, 2) == 0.11 and memory < 0.5
    assert scaling.movable(scaling.on_node(name_a, pods), [scaling.shape_of(b, pods)]) is False
    pods[1] = pod("big", cpu="1000m", on=name_b)
    assert scaling.movable(scaling.on_node(name_a, pods), [scaling.shape_of(b, pods)]) is True
    bare = pod("bare", on=name_a)
    bare["metadata"]["ownerReferences"] = []
    assert "not replicated" in (scaling.blocker([bare]) or "")
    daemon = pod("agent", on=name_a)
    daemon["metadata"]["ownerReferences"] = [{"kind": "DaemonSet"}]
    assert scaling.blocker([daemon]) is None
    assert scaling.utilisation(a, [daemon]) == (0.0, 0.0)


def test_pending_pods_that_fit_a_node_that_just_joined_scale_nothing() -> None:
    joined = node("np", 5)  # Ready, empty: the scheduler has not used it yet
    pending = [pod("p0", cpu="1"), pod("p1", cpu="1")]
    left = scaling.unplaceable(pending, [scaling.shape_of(joined, [])])
    assert [p["metadata"]["name"] for p in left] == ["p1"]  # one 1-CPU pod per b3-8 node


def test_a_ready_node_still_tainted_not_ready_is_on_its_way() -> None:
    joining = node("burst", 1, ready=True)
    joining["spec"]["taints"] = [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]
    assert pools.is_ready(joining) and not pools.settled(joining)
    joining["spec"]["taints"] = []
    assert pools.settled(joining)
    assert not pools.settled(node("burst", 2, ready=False))
