"""The widgets against the real sandbox: what they show follows the cluster, live.

Each test works in a namespace of its own in the session's sandbox; widgets are driven
through their Python API (what a click would do), no browser involved.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import Kubectl
from workshop.cluster import Cluster
from workshop.widgets import (
    ApplyBox,
    ClusterView,
    LogView,
    ResourceTable,
    ScaleSlider,
    service_url,
    session,
    wait_until,
)

pytestmark = pytest.mark.integration


def test_cluster_view_follows_pods_onto_nodes_and_shows_pending_ones(
    cluster: Cluster, kubectl: Kubectl, ns: str
) -> None:
    view = ClusterView(cluster, namespace=ns)
    try:
        pic = view.wait_until(lambda p: len(p.nodes) == 3, timeout=30, what="3 nodes")
        assert all(n.ready for n in pic.nodes) and not pic.pods
        kubectl("create", "deployment", "web", "--image=nginx", "--replicas=3", "-n", ns)
        pic = view.wait_until(lambda p: p.count("ready") == 3, timeout=60, what="3 ready pods")
        assert sum(len(n.pods) for n in pic.nodes) == 3 and not pic.unscheduled
        kubectl(
            "run",
            "stuck",
            "--image=nginx",
            "-n",
            ns,
            "--overrides",
            '{"spec": {"nodeSelector": {"workshop/nowhere": "true"}}}',
        )
        pic = view.wait_until(lambda p: len(p.unscheduled) == 1, timeout=30, what="a pending pod")
        assert pic.unscheduled[0].name == "stuck" and pic.unscheduled[0].state == "pending"
        # wait_until flushed the render, unless the debouncer's thread was drawing: the page
        page = wait_until(
            lambda: view.html if 'class="ws-unscheduled"' in view.html else None,
            timeout=10,
            what="the page to show the pending pod",
        )
        assert page.count('class="ws-node"') == 3
        assert page.count('data-state="ready"') == 3 and 'class="ws-unscheduled"' in page
        victim = pic.nodes[0].pods[0].name if pic.nodes[0].pods else pic.pods[0].name
        kubectl("delete", "pod", victim, "-n", ns, "--wait=false")
        view.wait_until(
            lambda p: p.count("ready") == 3 and victim not in {t.name for t in p.pods},
            timeout=60,
            what="a replacement pod",
        )
        # Everything above arrived through the two watches: one list each, no polling.
        assert (view.nodes.lists, view.pods.lists) == (1, 1)
        assert view.command.command == f"kubectl get pods -o wide --watch -n {ns}"
    finally:
        view.stop()
    wait_until(lambda: not view.pods.running, timeout=10, what="the watch thread to end")


def test_resource_table_is_kubectl_get_kept_live(
    cluster: Cluster, kubectl: Kubectl, ns: str
) -> None:
    kubectl("create", "deployment", "hello", "--image=ovhplatform/hello", "-n", ns)
    table = ResourceTable(cluster, "deploy", ns)
    try:
        rows = wait_until(
            lambda: table.refresh() if table.rows.column("ready") == ["1/1"] else None,
            timeout=60,
            interval=0.2,
            what="hello to be ready",
        )
        assert rows.columns == ("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE")
        before = table.fetches
        kubectl("scale", "deployment/hello", "--replicas=3", "-n", ns)
        wait_until(
            lambda: table.rows.column("ready") == ["3/3"], timeout=60, interval=0.2, what="3/3"
        )
        assert table.fetches > before  # refetched because the watch saw the change
        assert "<td" in table.box.children[0].value
        assert table.command.command == f"kubectl get deployments --watch -n {ns}"
    finally:
        table.stop()


def test_apply_box_applies_diffs_deletes_and_explains_refusals(
    cluster: Cluster, kubectl: Kubectl, ns: str
) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  colour: blue\n"
    box = ApplyBox(cluster, text, namespace=ns)
    assert box.diff() and "+  colour: blue" in box.diff_text and "(not there yet)" in box.diff_text
    assert kubectl.run("get", "configmap", "demo", "-n", ns, check=False).returncode != 0  # dry run
    assert box.apply() and box.message.text == "configmap/demo applied"
    assert kubectl("get", "configmap", "demo", "-n", ns, "-o", "jsonpath={.data.colour}") == "blue"
    box.text = text.replace("blue", "green")
    assert box.diff() and "-  colour: blue" in box.diff_text and "+  colour: green" in box.diff_text
    assert "1 of 1 object(s) would change" in box.message.text

    bad = text.replace("name: demo", "name: Not_Valid")
    box.text = bad
    assert not box.apply()
    assert "the API server refused configmap/Not_Valid (422)" in box.message.text
    assert "lowercase RFC 1123" in box.message.text
    assert box.text == bad  # nothing lost

    box.text = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
    assert not box.apply() and "does not serve apiVersion example.com/v1" in box.message.text

    box.text = text
    assert box.delete() and box.message.text == "configmap/demo deleted"
    assert box.delete() and box.message.text == "configmap/demo was not there"
    assert box.command.command == f"kubectl delete -f manifest.yaml -n {ns}"


def test_log_view_follows_a_deployments_pod(cluster: Cluster, kubectl: Kubectl, ns: str) -> None:
    kubectl("create", "deployment", "hello", "--image=ovhplatform/hello", "-n", ns)
    kubectl("rollout", "status", "deployment/hello", "-n", ns, "--timeout=60s")
    view = LogView(cluster, "deployment/hello", ns)
    try:
        first = view.wait_for("", timeout=30)  # any line
        assert first and view.pod and view.pod.startswith("hello-")
        assert view.command.command == f"kubectl logs deployment/hello --tail=100 -f -n {ns}"
    finally:
        view.stop()
    wait_until(lambda: not view.running, timeout=10, what="the log stream to end")
    missing = LogView(cluster, "deployment/nothing", ns)
    wait_until(lambda: missing.message.kind == "error", timeout=10, what="an error")
    assert "deployment nothing not found" in missing.message.text


def test_scale_slider_scales_and_shows_ready_replicas(
    cluster: Cluster, kubectl: Kubectl, ns: str
) -> None:
    kubectl("create", "deployment", "hello", "--image=ovhplatform/hello", "-n", ns)
    slider = ScaleSlider(cluster, "hello", ns)
    try:
        assert slider.wait_ready(timeout=60) == (1, 1)
        assert slider.scale(4, wait=True, timeout=60)
        assert slider.ready == (4, 4)
        slider.slider.value = 2  # what dragging the slider does
        wait_until(lambda: slider.ready == (2, 2), timeout=60, interval=0.2, what="2/2")
        assert slider.command.command == f"kubectl scale deployment/hello --replicas=2 -n {ns}"
        assert (
            kubectl("get", "deployment", "hello", "-n", ns, "-o", "jsonpath={.spec.replicas}")
            == "2"
        )
    finally:
        slider.stop()
    absent = ScaleSlider(cluster, "nothing", ns)
    try:
        assert not absent.scale(3)
        assert "deployment nothing not found" in absent.message.text
    finally:
        absent.stop()


def test_plain_kubectl_drives_the_connected_cluster(cluster: Cluster, tmp_path: Path) -> None:
    env = session.environment(cluster, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    done = subprocess.run(
        ["kubectl", "get", "nodes", "-o", "name"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert len(done.stdout.split()) == 3


def test_service_url_waits_for_a_load_balancer_address(
    cluster: Cluster, kubectl: Kubectl, ns: str
) -> None:
    kubectl("create", "service", "clusterip", "plain", "--tcp=80:80", "-n", ns)
    assert service_url(cluster, "plain", ns) is None
    assert service_url(cluster, "absent", ns) is None


def test_running_a_cell_again_replaces_its_view(cluster: Cluster, ns: str) -> None:
    first = ClusterView(cluster, namespace=ns)
    first.wait_until(lambda p: len(p.nodes) == 3, timeout=30, what="3 nodes")
    second = ClusterView(cluster, namespace=ns)  # the same cell, run again
    try:
        wait_until(lambda: not first.pods.running, timeout=10, what="the first view to stop")
        assert second.pods.running and not first.nodes.running
        other = ClusterView(cluster, namespace="default")  # another namespace: both stay
        try:
            other.wait_until(lambda p: len(p.nodes) == 3, timeout=30, what="3 nodes")
            assert second.pods.running
        finally:
            other.stop()
    finally:
        second.stop()
