"""Lab 09's break-and-fix step: the state it starts from (the pool capped at 2 nodes, with
more pods than 2 nodes hold), and its repair."""

from __future__ import annotations

import json

from workshop.course import SolutionContext, loading

POOL_API = "kube.cloud.ovh.com/v1alpha1"
CAP = 2


def cap_pool(lab: SolutionContext) -> None:
    """kubectl patch nodepool lab-09 --type merge -p '{"spec": {"maxNodes": 2}}'
    (the pool of step 1 when there is none), then the crowd of step 2"""
    pool = lab.api.get(POOL_API, "NodePool", "lab-09", None)
    if pool is None:
        for manifest in loading.load_manifests(lab.lab, "solution/autoscaled-pool.yaml"):
            lab.api.apply(manifest)
    else:
        spec = pool.get("spec") or {}
        capped = {"autoscale": True, "minNodes": 1, "maxNodes": CAP}
        if spec.get("desiredNodes", 1) > CAP:
            capped["desiredNodes"] = CAP  # the pool shrinks to its new maximum
        lab.kubectl(
            "patch", "nodepool", "lab-09", "--type", "merge", "-p", json.dumps({"spec": capped})
        )
    for manifest in loading.load_manifests(lab.lab, "manifests/crowd.yaml"):
        lab.api.apply(manifest, namespace=lab.namespace)


def raise_max(lab: SolutionContext) -> None:
    """kubectl patch nodepool lab-09 --type merge -p '{"spec": {"maxNodes": 4}}'"""
    # the crowd of six the step starts from (a lab solved again after scale-down left one)
    for manifest in loading.load_manifests(lab.lab, "manifests/crowd.yaml"):
        lab.api.apply(manifest, namespace=lab.namespace)
    lab.kubectl("patch", "nodepool", "lab-09", "--type", "merge", "-p", '{"spec": {"maxNodes": 4}}')
