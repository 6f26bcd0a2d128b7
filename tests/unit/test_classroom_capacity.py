"""What a class asks of the nodes, and whether they have it (``classroom.capacity`` and
the plan's quotas)."""

from __future__ import annotations

from typing import Any

import pytest

from workshop.classroom import capacity, plan, roster
from workshop.course.schema import Footprint

DEFAULT = plan.LIMITS["defaultRequest"]


def pod(*containers: dict[str, Any], init: tuple[dict[str, Any], ...] = (), **extra: Any) -> dict:
    spec = {"containers": list(containers), "initContainers": list(init)}
    return {"metadata": {"name": "p"}, "spec": spec | extra.get("spec", {}),
            "status": {"phase": extra.get("phase", "Running")}}  # fmt: skip


def asks(cpu: str | None = None, memory: str | None = None, *, limits: bool = False) -> dict:
    given = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    return {"name": "c", "resources": {"limits" if limits else "requests": given}}


def node(name: str, cpu: str, memory: str, *, ready: bool = True, **spec: Any) -> dict:
    return {
        "metadata": {"name": name},
        "spec": spec,
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def test_a_pod_asks_what_a_quota_counts() -> None:
    # containers add up; a container that asks nothing gets the class's default
    assert capacity.requests(pod(asks("200m", "128Mi"), asks()), DEFAULT) == (
        250,
        (128 + 64) * 2**20,
    )
    # limits alone are its requests (the API server's defaulting)
    assert capacity.requests(pod(asks("1", "1Gi", limits=True)), DEFAULT) == (1000, 2**30)
    # the largest init container counts when it asks more than the containers together
    assert capacity.requests(pod(asks("100m", "64Mi"), init=(asks("2", "32Mi"),)), DEFAULT) == (
        2000,
        64 * 2**20,
    )


def test_ended_pods_hold_nothing() -> None:
    pods = [pod(asks("1", "1Gi")), pod(asks("1", "1Gi"), phase="Succeeded"), pod(asks())]
    assert capacity.used(pods, DEFAULT) == Footprint(pods=2, cpu="1050m", memory="1088Mi")


def test_room_counts_only_nodes_that_take_pods_less_what_is_placed_there() -> None:
    nodes = [
        node("a", "1780m", "6892Mi"),
        node("b", "1780m", "6892Mi", ready=False),
        node("c", "1780m", "6892Mi", unschedulable=True),
        node("d", "1780m", "6892Mi", taints=[{"key": "k", "effect": "NoSchedule"}]),
    ]
    placed = pod(asks("780m", "892Mi"), spec={"nodeName": "a"})
    elsewhere = pod(asks("1", "1Gi"), spec={"nodeName": "b"})
    assert capacity.room(nodes, [placed, elsewhere]) == Footprint(
        pods=109, cpu="1000m", memory="6000Mi"
    )


def test_a_shortfall_is_said_in_words_and_in_nodes() -> None:
    needed = Footprint(pods=10, cpu="5", memory="4Gi")
    available = Footprint(pods=110, cpu="1780m", memory="8Gi")
    assert capacity.shortfall(needed, available) == ["3220m CPU"]
    assert capacity.shortfall(needed, needed) == []
    one_node = Footprint(pods=110, cpu="1780m", memory="6892Mi")
    assert capacity.nodes_for(capacity.missing(needed, available), one_node) == 2


def test_each_namespace_gets_its_labs_footprint_and_a_learner_the_sum() -> None:
    alice = roster.Learner("alice", "Alice")
    p = plan.ClassPlan(
        "k8s101",
        [alice],
        ["lab-04", "lab-09"],
        footprints={"lab-09": Footprint(pods=8, cpu="5", memory="2Gi")},
    )
    hard = {
        o["metadata"]["namespace"]: o["spec"]["hard"]
        for o in p.learner_objects(alice)
        if o["kind"] == "ResourceQuota"
    }
    assert hard["k8s101-alice"]["pods"] == str(plan.HOME.pods)
    assert hard["k8s101-alice-lab-04"]["requests.cpu"] == Footprint().cpu  # the default
    assert (hard["k8s101-alice-lab-09"]["pods"], hard["k8s101-alice-lab-09"]["requests.cpu"]) == (
        "8",
        "5",
    )
    total = p.learner_total()
    assert total.pods == plan.HOME.pods + Footprint().pods + 8
    assert capacity.times(total, 3).pods == 3 * total.pods


@pytest.mark.parametrize("field", ["cpu", "memory"])
def test_a_footprint_is_made_of_quantities(field: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        Footprint(**{field: "lots"})


def test_every_labs_footprint_holds_its_pods_at_the_default_requests() -> None:
    """Bare pods stop at the quota's pod count, not at its CPU or memory first."""
    from workshop import course

    for one in [plan.HOME, *(lab.spec.footprint for lab in course.list_labs())]:
        bare = capacity.times(
            Footprint(cpu=DEFAULT["cpu"], memory=DEFAULT["memory"], pods=1), one.pods
        )
        assert not capacity.shortfall(bare, one), one
