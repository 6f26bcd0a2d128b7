"""Solutions of lab 07 that need what only the cluster knows."""

from __future__ import annotations

from workshop.course import SolutionContext, loading


def record_upgrade_plan(lab: SolutionContext) -> None:
    """kubectl create configmap upgrade-plan -n lab-07
    --from-literal=kubernetes-version=<MAJOR.MINOR of the server, from `kubectl version`>
    --from-literal=update-policy=MINIMAL_DOWNTIME"""
    version = lab.api.version()
    lab.api.apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "upgrade-plan"},
            "data": {
                "kubernetes-version": f"{version['major']}.{version['minor'].rstrip('+')}",
                "update-policy": "MINIMAL_DOWNTIME",
            },
        },
        namespace=lab.namespace,
    )


def _starting_state(lab: SolutionContext, name: str, manifest: str) -> None:
    """Deploy what a fix step starts from, if it is not there (a lab solved without breaking)."""
    if lab.api.get("apps/v1", "Deployment", name, lab.namespace) is None:
        for obj in loading.load_manifests(lab.lab, manifest):
            lab.api.apply(obj, namespace=lab.namespace)


def fit_greedy(lab: SolutionContext) -> None:
    """kubectl set resources deployment/greedy -n lab-07 -c web --requests=cpu=500m"""
    _starting_state(lab, "greedy", "manifests/greedy-deployment.yaml")
    lab.kubectl(
        "set", "resources", "deployment/greedy", "-n", lab.namespace, "-c", "web",
        "--requests=cpu=500m",
    )  # fmt: skip


def feed_memory_hog(lab: SolutionContext) -> None:
    """kubectl set resources deployment/memory-hog -n lab-07 -c stress --limits=memory=200Mi"""
    _starting_state(lab, "memory-hog", "manifests/memory-hog-deployment.yaml")
    lab.kubectl(
        "set", "resources", "deployment/memory-hog", "-n", lab.namespace, "-c", "stress",
        "--limits=memory=200Mi",
    )  # fmt: skip
