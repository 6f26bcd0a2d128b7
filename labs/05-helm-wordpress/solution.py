"""Solutions of lab 05: the helm commands of each step, run with the real helm."""

from __future__ import annotations

import tempfile
from pathlib import Path

from workshop.course import SolutionContext
from workshop.errors import WorkshopError
from workshop.tools import helm

CHART = Path(__file__).resolve().parent / "chart"
RELEASE = "blog"
WAIT = "3m"
BAD_TAG = "6.7.1-apahce"  # "apahce": a typo, no such tag of the wordpress image


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


def upgrade_with_a_typo(lab: SolutionContext) -> None:
    """helm upgrade blog labs/05-helm-wordpress/chart -n lab-05 --reuse-values --set
    wordpress.image.tag=6.7.1-apahce

    Where there is no release blog yet, it is installed first (as in step 1), so that
    there is a revision to go back to.
    """
    if not any(r.name == RELEASE for r in helm.list_releases(lab.cluster, namespace=lab.namespace)):
        install(lab)
    _upgrade(lab, {"wordpress.image.tag": BAD_TAG}, wait=False)


def roll_back_to_what_worked(lab: SolutionContext) -> None:
    """helm rollback blog N -n lab-05 --wait (N: the last revision that worked, from helm
    history)
    """
    revisions = helm.history(lab.cluster, RELEASE, namespace=lab.namespace)
    for revision in reversed(revisions):
        values = helm.get_values(
            lab.cluster, RELEASE, namespace=lab.namespace, revision=revision.revision
        )
        if (values.get("wordpress") or {}).get("image", {}).get("tag") != BAD_TAG:
            helm.rollback(
                lab.cluster,
                RELEASE,
                revision.revision,
                namespace=lab.namespace,
                wait=True,
                timeout=WAIT,
            )
            return
    raise WorkshopError(f"release {RELEASE} has no revision without the image tag {BAD_TAG}")


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
