"""Solutions of lab 07 that need what only the cluster knows."""

from __future__ import annotations

from workshop.course import SolutionContext


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
