"""Solutions of lab 04 that need a name only the cluster knows."""

from __future__ import annotations

from workshop.course import SolutionContext


def quarantine_one_pod(lab: SolutionContext) -> None:
    """kubectl label pod <one hello pod> -n lab-04 app=debug --overwrite"""
    pods = lab.api.list("v1", "Pod", namespace=lab.namespace, label_selector="app=hello")
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    names = sorted(p["metadata"]["name"] for p in live)
    if not names:
        raise RuntimeError(f"no pod with app=hello in namespace {lab.namespace}")
    lab.kubectl("label", "pod", names[0], "-n", lab.namespace, "app=debug", "--overwrite")
