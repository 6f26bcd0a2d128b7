"""Solutions of lab 05: the helm commands of each step, run with the real helm."""

from __future__ import annotations

import tempfile
from pathlib import Path

from workshop.course import SolutionContext
from workshop.tools import helm

CHART = Path(__file__).resolve().parent / "chart"
RELEASE = "blog"
WAIT = "3m"


def install(lab: SolutionContext) -> None:
    """helm install blog labs/05-helm-wordpress/chart -n lab-05 --set service.type=ClusterIP
    --wait
    """
    helm.install(
        lab.cluster,
        RELEASE,
        CHART,
        namespace=lab.namespace,
        set_values={"service.type": "ClusterIP"},
        wait=True,
        timeout=WAIT,
    )


def _upgrade(lab: SolutionContext, values: dict[str, object], *, wait: bool = True) -> None:
    helm.upgrade(
        lab.cluster,
        RELEASE,
        CHART,
        namespace=lab.namespace,
        reuse_values=True,
        set_values=values,
        wait=wait,
        timeout=WAIT,
    )


def open_site(lab: SolutionContext) -> None:
    """helm upgrade blog labs/05-helm-wordpress/chart -n lab-05 --reuse-values --set
    service.type=LoadBalancer --wait
    """
    _upgrade(lab, {"service.type": "LoadBalancer"})


def upgrade(lab: SolutionContext) -> None:
    """helm upgrade blog labs/05-helm-wordpress/chart -n lab-05 --reuse-values --set
    wordpress.replicas=2 --set wordpress.memoryLimit=256M --wait
    """
    _upgrade(lab, {"wordpress.replicas": 2, "wordpress.memoryLimit": "256M"})


def bad_upgrade_then_rollback(lab: SolutionContext) -> None:
    """helm upgrade blog labs/05-helm-wordpress/chart -n lab-05 --reuse-values
    --set wordpress.image.tag=6.7.1-apahce; helm rollback blog -n lab-05 --wait
    """
    _upgrade(lab, {"wordpress.image.tag": "6.7.1-apahce"}, wait=False)
    helm.rollback(lab.cluster, RELEASE, namespace=lab.namespace, wait=True, timeout=WAIT)


def memory_limit(lab: SolutionContext) -> None:
    """helm upgrade blog labs/05-helm-wordpress/chart -n lab-05 --reuse-values --set
    wordpress.resources.limits.memory=512Mi --wait
    """
    _upgrade(lab, {"wordpress.resources.limits.memory": "512Mi"})


def uninstall_and_restore(lab: SolutionContext) -> None:
    """helm uninstall blog -n lab-05 --keep-history; helm rollback blog N -n lab-05 --wait (N:
    the last revision)
    """
    helm.uninstall(lab.cluster, RELEASE, namespace=lab.namespace, keep_history=True)
    last = helm.history(lab.cluster, RELEASE, namespace=lab.namespace)[-1]
    helm.rollback(
        lab.cluster, RELEASE, last.revision, namespace=lab.namespace, wait=True, timeout=WAIT
    )


def own_chart(lab: SolutionContext) -> None:
    """helm create hello; helm lint ./hello; helm install hello ./hello -n lab-05 --set
    image.repository=ovhplatform/hello --set image.tag=latest --wait
    """
    image = {"image.repository": "ovhplatform/hello", "image.tag": "latest"}
    with tempfile.TemporaryDirectory(prefix="workshop-chart-") as scratch:
        chart = helm.create(Path(scratch) / "hello")
        linted = helm.lint(chart, set_values=image)
        if not linted.ok:
            raise RuntimeError(f"helm lint ./hello failed: {linted.output}")
        helm.install(
            lab.cluster,
            "hello",
            chart,
            namespace=lab.namespace,
            set_values=image,
            wait=True,
            timeout=WAIT,
        )
