"""Solutions of lab 04 that need a name only the cluster knows, and the rollout that breaks."""

from __future__ import annotations

import time
from pathlib import Path

import yaml

from workshop.course import SolutionContext
from workshop.errors import WorkshopError

HERE = Path(__file__).resolve().parent
TYPO = "ovhplatfrom/hello:1.1"  # "platfrom": no such repository on Docker Hub


def quarantine_one_pod(lab: SolutionContext) -> None:
    """kubectl label pod <one hello pod> -n lab-04 app=debug --overwrite"""
    pods = lab.api.list("v1", "Pod", namespace=lab.namespace, label_selector="app=hello")
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    names = sorted(p["metadata"]["name"] for p in live)
    if not names:
        raise RuntimeError(f"no pod with app=hello in namespace {lab.namespace}")
    lab.kubectl("label", "pod", names[0], "-n", lab.namespace, "app=debug", "--overwrite")


def roll_out_a_typo(lab: SolutionContext) -> None:
    """kubectl set image deployment/hello hello=ovhplatfrom/hello:1.1 -n lab-04

    On a namespace where the Deployment is missing, it is created first from
    manifests/hello-deployment.yaml, so that there is a revision to go back to.
    """
    if lab.api.get("apps/v1", "Deployment", "hello", lab.namespace) is None:
        manifest = yaml.safe_load((HERE / "manifests" / "hello-deployment.yaml").read_text())
        lab.api.apply(manifest, namespace=lab.namespace)
        _wait_for_a_revision(lab)
    lab.kubectl("set", "image", "deployment/hello", f"hello={TYPO}", "-n", lab.namespace)


def _wait_for_a_revision(lab: SolutionContext, timeout: float = 30.0) -> None:
    """Until the Deployment controller has made the first ReplicaSet (revision 1)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = lab.api.get("apps/v1", "Deployment", "hello", lab.namespace) or {}
        if "deployment.kubernetes.io/revision" in (
            found.get("metadata", {}).get("annotations") or {}
        ):
            return
        time.sleep(0.5)
    raise WorkshopError(f"deployment hello in {lab.namespace} has no revision after {timeout:.0f}s")
