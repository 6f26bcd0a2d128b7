"""ClusterView's picture: which tile each pod gets, where it goes, and what the page says."""

from __future__ import annotations

from typing import Any

import pytest

from workshop.widgets import drawing


def node(name: str, *, ready: bool = True, unschedulable: bool = False) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": {"node.kubernetes.io/instance-type": "b3-8", "nodepool": "nodepool"},
        },
        "spec": {"unschedulable": unschedulable},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def pod(
    name: str,
    *,
    node: str | None = "n1",
    phase: str = "Running",
    ready: bool = True,
    waiting: str | None = None,
    deleting: bool = False,
    namespace: str = "lab-04",
    unschedulable_reason: str | None = None,
) -> dict[str, Any]:
    state: dict[str, Any] = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    if unschedulable_reason:
        conditions.append(
            {"type": "PodScheduled", "status": "False", "reason": unschedulable_reason}
        )
    meta: dict[str, Any] = {"name": name, "namespace": namespace, "labels": {"app": "hello"}}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {
        "metadata": meta,
        "spec": {"nodeName": node} if node else {},
        "status": {
            "phase": phase,
            "conditions": conditions,
            "containerStatuses": [{"name": "hello", "state": state, "restartCount": 2}],
        },
    }


@pytest.mark.parametrize(
    ("spec", "state", "reason"),
    [
        ({}, "ready", "Running"),
        ({"ready": False}, "running", "Running"),
        ({"phase": "Pending", "node": None, "ready": False}, "pending", "Pending"),
        (
            {"phase": "Pending", "node": None, "unschedulable_reason": "Unschedulable"},
            "pending",
            "Pending (Unschedulable)",
        ),
        (
            {"phase": "Pending", "ready": False, "waiting": "ContainerCreating"},
            "waiting",
            "ContainerCreating",
        ),
        ({"phase": "Pending", "ready": False, "waiting": "ErrImagePull"}, "failed", "ErrImagePull"),
        ({"ready": False, "waiting": "CrashLoopBackOff"}, "failed", "CrashLoopBackOff"),
        ({"phase": "Succeeded"}, "succeeded", "Succeeded"),
        ({"deleting": True}, "terminating", "Terminating"),
    ],
)
def test_each_pod_gets_the_state_kubectl_would_show(
    spec: dict[str, Any], state: str, reason: str
) -> None:
    tile = drawing.pod_tile(pod("hello-8595b64cff-g8742", **spec))
    assert (tile.state, tile.reason) == (state, reason)
    assert tile.restarts == 2
    assert tile.app == "hello"


def test_pods_sit_in_their_node_and_pending_ones_outside() -> None:
    pic = drawing.picture(
        [node("n2"), node("n1", ready=False, unschedulable=True)],
        [pod("a", node="n1"), pod("b", node="n2"), pod("c", node=None, phase="Pending")],
    )
    assert [n.name for n in pic.nodes] == ["n1", "n2"]
    assert [p.name for p in pic.nodes[0].pods] == ["a"]
    assert not pic.nodes[0].ready and not pic.nodes[0].schedulable
    assert [p.name for p in pic.unscheduled] == ["c"]
    assert pic.summary() == "2 nodes (1 Ready), 3 pods: 2 ready, 1 pending"


def test_a_pod_on_an_unknown_node_still_shows() -> None:
    pic = drawing.picture([node("n1")], [pod("a", node="gone")])
    assert [(n.name, [p.name for p in n.pods]) for n in pic.nodes] == [("n1", []), ("gone", ["a"])]


def test_render_draws_every_node_and_pod_and_escapes_names() -> None:
    pic = drawing.picture(
        [node("n1")], [pod("x<b>", node="n1"), pod("p", node=None, phase="Pending")]
    )
    page = drawing.render(pic, title="lab-04", error="lost the watch (retrying)")
    assert page.count('class="ws-node"') == 1
    assert page.count('class="ws-pod"') == 2
    assert 'data-state="pending"' in page and 'class="ws-unscheduled"' in page
    assert "x&lt;b&gt;" in page and "x<b>" not in page
    assert "lost the watch" in page


def test_short_names_keep_the_app_and_the_pod_suffix() -> None:
    assert drawing.pod_tile(pod("hello-8595b64cff-g8742")).short_name == "hello-…-g8742"
    assert drawing.pod_tile(pod("shell")).short_name == "shell"


def test_a_node_shows_its_instance_type_only_when_it_is_a_name() -> None:
    """OVHcloud (OpenStack) puts the flavor's id, a UUID, in instance-type: the picture
    shows the pool then, not an id; a name (kind, other clouds) is shown."""
    named, opaque = node("a"), node("b")
    opaque["metadata"]["labels"]["node.kubernetes.io/instance-type"] = (
        "0da61e94-ce69-4971-b6df-c410fa3659ec"
    )
    boxes = {box.name: box for box in drawing.picture([named, opaque], []).nodes}
    assert (boxes["a"].flavor, boxes["a"].pool) == ("b3-8", "nodepool")
    assert (boxes["b"].flavor, boxes["b"].pool) == (None, "nodepool")
