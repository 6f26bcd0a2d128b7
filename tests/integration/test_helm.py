"""The real helm against the sandbox: the workshop's WordPress chart installed, upgraded,
rolled back and uninstalled with ``--wait``; what a learner would see at each step (pods
Ready, the claim Bound, the site answering through its LoadBalancer), and the
ReleasePanel following along and rolling back with the real helm."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from tests.conftest import Kubectl
from workshop import course
from workshop.cluster import Cluster
from workshop.course import schema
from workshop.tools import helm
from workshop.widgets import ReleasePanel, wait_until

pytestmark = pytest.mark.integration

CHART = Path(__file__).resolve().parents[2] / "labs" / "05-helm-wordpress" / "chart"
CHECK = TypeAdapter(schema.Check)


def ready_pods(cluster: Cluster, ns: str, selector: str) -> list[str]:
    pods = cluster.api.list("v1", "Pod", namespace=ns, label_selector=selector)
    return sorted(
        p["metadata"]["name"]
        for p in pods
        if not p["metadata"].get("deletionTimestamp")
        and any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (p.get("status") or {}).get("conditions") or []
        )
    )


def site_url(cluster: Cluster, ns: str, service: str) -> str:
    def found() -> str | None:
        obj = cluster.api.get("v1", "Service", service, ns) or {}
        urls = course.load_balancer_urls(obj)
        return urls[0] if urls else None

    url: str = wait_until(found, timeout=60, what=f"an address for service {service}")
    return url


def check(cluster: Cluster, ns: str, **spec: object) -> course.CheckResult:
    return course.run_check(cluster.api, CHECK.validate_python(spec), namespace=ns)


def test_install_upgrade_rollback_uninstall_with_wait(
    cluster: Cluster, kubectl: Kubectl, ns: str
) -> None:
    # install --wait: when helm returns, the two pods are Ready and the claim is Bound
    installed = helm.install(cluster, "blog", CHART, namespace=ns, wait=True, timeout="2m")
    assert (installed.revision, installed.status, installed.chart_ref) == (
        1,
        "deployed",
        "wordpress-0.1.0",
    )
    assert f"kubectl get pods,pvc -n {ns} -l app.kubernetes.io/instance=blog" in installed.notes
    assert ready_pods(cluster, ns, "app.kubernetes.io/instance=blog") == [
        "blog-mariadb-0",
        *ready_pods(cluster, ns, "app.kubernetes.io/name=wordpress"),
    ]
    assert len(ready_pods(cluster, ns, "app.kubernetes.io/instance=blog")) == 2
    claim = cluster.api.get("v1", "PersistentVolumeClaim", "data-blog-mariadb-0", ns)
    assert claim is not None and claim["status"]["phase"] == "Bound"
    page = cluster.api.http_get(site_url(cluster, ns, "blog-wordpress"))
    assert page.status == 200 and "WordPress" in page.text
    assert "Phase:          Succeeded" in helm.test(cluster, "blog", namespace=ns)
    [listed] = helm.list_releases(cluster, namespace=ns)
    assert (listed.name, listed.revision, listed.chart) == ("blog", 1, "wordpress-0.1.0")
    assert check(cluster, ns, kind="helm_release", release="blog", chart="wordpress").passed

    # installing it again is refused, in helm's words, with what to do instead
    with pytest.raises(helm.HelmError) as again:
        helm.install(cluster, "blog", CHART, namespace=ns)
    assert "cannot reuse a name that is still in use" in again.value.message
    assert again.value.hint and f"helm upgrade blog CHART -n {ns}" in again.value.hint

    # upgrade --wait with new values: a second revision, two WordPress pods Ready
    upgraded = helm.upgrade(
        cluster,
        "blog",
        CHART,
        namespace=ns,
        reuse_values=True,
        set_values={"wordpress.replicas": 2, "wordpress.memoryLimit": "256M"},
        wait=True,
        timeout="2m",
    )
    assert (upgraded.revision, upgraded.status) == (2, "deployed")
    assert len(ready_pods(cluster, ns, "app.kubernetes.io/name=wordpress")) == 2
    assert helm.get_values(cluster, "blog", namespace=ns) == {
        "wordpress": {"replicas": 2, "memoryLimit": "256M"}
    }
    assert helm.get_values(cluster, "blog", namespace=ns, revision=1) == {}
    assert helm.get_values(cluster, "blog", namespace=ns, all=True)["service"]["type"] == (
        "LoadBalancer"
    )
    assert check(
        cluster, ns, kind="helm_release", release="blog", values={"wordpress.replicas": 2}
    ).passed

    # the schema refuses a wrong value: no new revision
    with pytest.raises(helm.HelmError) as refused:
        helm.upgrade(
            cluster,
            "blog",
            CHART,
            namespace=ns,
            reuse_values=True,
            set_values={"wordpress.resources.limits.memory": "512MB"},
        )
    assert "at '/wordpress/resources/limits/memory'" in refused.value.message
    assert [r.revision for r in helm.history(cluster, "blog", namespace=ns)] == [1, 2]

    # rollback --wait to revision 1: a third revision, one WordPress pod again
    back = helm.rollback(cluster, "blog", 1, namespace=ns, wait=True, timeout="2m")
    assert (back.revision, back.status, back.description, back.rollback_revision) == (
        3,
        "deployed",
        "Rollback to 1",
        1,
    )
    deployment = cluster.api.get("apps/v1", "Deployment", "blog-wordpress", ns)
    assert deployment is not None and deployment["spec"]["replicas"] == 1
    assert [r.status for r in helm.history(cluster, "blog", namespace=ns)] == [
        "superseded",
        "superseded",
        "deployed",
    ]
    assert check(cluster, ns, kind="helm_release", release="blog", history=["^Rollback to 1$"])
    with pytest.raises(helm.HelmError, match="release has no 99 version") as missing:
        helm.rollback(cluster, "blog", 99, namespace=ns)
    assert missing.value.hint and f"helm history blog -n {ns}" in missing.value.hint

    # uninstall --wait: the release and its objects go, the database's claim stays Bound
    said = helm.uninstall(cluster, "blog", namespace=ns, wait=True, timeout="2m")
    assert said == 'release "blog" uninstalled'
    assert helm.list_releases(cluster, namespace=ns, all=True) == []
    assert cluster.api.get("apps/v1", "StatefulSet", "blog-mariadb", ns) is None
    claim = cluster.api.get("v1", "PersistentVolumeClaim", "data-blog-mariadb-0", ns)
    assert claim is not None and claim["status"]["phase"] == "Bound"
    assert not check(cluster, ns, kind="helm_release", release="blog").passed


def test_release_panel_follows_a_release_and_rolls_it_back(cluster: Cluster, ns: str) -> None:
    panel = ReleasePanel(cluster, ns)
    try:
        helm.install(cluster, "site", CHART, namespace=ns, set_values={"service.type": "ClusterIP"})
        wait_until(lambda: panel.latest, timeout=30, what="the panel to see revision 1")
        helm.upgrade(
            cluster,
            "site",
            CHART,
            namespace=ns,
            reuse_values=True,
            set_values={"wordpress.replicas": 2},
        )
        wait_until(
            lambda: panel.latest and panel.latest.revision == 2,
            timeout=30,
            what="the panel to see revision 2",
        )
        assert "+  replicas: 2" in panel.diff()
        assert panel.target.value == 1
        assert panel.rollback(panel.target.value), panel.message.text
        assert panel.command.command == f"helm rollback site 1 -n {ns}"
        assert panel.message.text == "site: revision 3 is deployed (Rollback to 1)"
        wait_until(
            lambda: panel.latest and panel.latest.revision == 3,
            timeout=30,
            what="the panel to see revision 3",
        )
        assert [r.row()[2] for r in panel.history] == ["superseded", "superseded", "deployed"]
        # a failing rollback shows helm's own message, and loses nothing
        assert not panel.rollback(42)
        assert panel.message.kind == "error"
        assert "release has no 42 version" in panel.message.text
        assert [r.revision for r in panel.history] == [1, 2, 3]
    finally:
        panel.close()


def test_a_chart_from_scratch_renders_lints_and_installs(
    cluster: Cluster, ns: str, tmp_path: Path
) -> None:
    chart = helm.create(tmp_path / "hello")
    assert (chart / "Chart.yaml").exists() and (chart / "templates" / "deployment.yaml").exists()
    image = {"image.repository": "ovhplatform/hello", "image.tag": "latest"}
    rendered = helm.template(chart, release="hello", set_values=image)
    [deployment] = [m for m in rendered if m["kind"] == "Deployment"]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "ovhplatform/hello:latest"
    )
    assert helm.lint(chart, set_values=image).ok
    started = time.monotonic()
    helm.install(cluster, "hello", chart, namespace=ns, set_values=image, wait=True, timeout="2m")
    assert ready_pods(cluster, ns, "app.kubernetes.io/instance=hello"), time.monotonic() - started
