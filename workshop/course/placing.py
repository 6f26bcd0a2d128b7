"""A lab placed for one learner: their namespaces, and the steps that are not theirs to do.

On a class learner's kubeconfig (``Cluster.seat``), a lab works in the learner's own
namespace (``k8s101-alice-lab-04`` for ``lab-04``). Steps that change the cluster itself
(node labels, node pools, CRDs) need rights a learner does not have: when their checks do
not pass (the instructor may have done them for the class), they are skipped with an
explanation, never a raw Forbidden.
"""

from __future__ import annotations

import json
from typing import Any

from workshop.course import loading, objects
from workshop.course.loading import Lab
from workshop.course.schema import NodeCountCheck, Step
from workshop.errors import ClusterError


def place(cluster: Any, lab: Lab) -> Lab:
    """``lab`` as the cluster's user sees it: a class learner's namespaces, else unchanged."""
    seat = getattr(cluster, "seat", None)
    if seat is None or lab.prefix == seat.prefix:
        return lab
    return lab.within(seat.prefix)


def is_learner(cluster: Any) -> bool:
    return getattr(cluster, "seat", None) is not None


def cluster_scoped_kinds(api: Any, lab: Lab, step: Step) -> list[str]:
    """Kinds outside any namespace that the step's checks read or its solution writes."""
    found: list[str] = []

    def scoped(api_version: str, kind: str) -> bool:
        resource = getattr(api, "resource", None)
        if resource is not None:
            try:
                return not resource(api_version, kind).namespaced
            except ClusterError:
                pass
        return kind in objects.CLUSTER_SCOPED

    for check in step.checks:
        if isinstance(check, NodeCountCheck):
            found.append("Node")
            continue
        target = getattr(check, "target", None)
        if (
            target is not None
            and target.kind != "Namespace"
            and scoped(target.api_version, target.kind)
        ):
            found.append(target.kind)
    for action in step.solution:
        if action.apply is not None:
            for manifest in loading.load_manifests(lab, action.apply):
                kind = str(manifest.get("kind"))
                name = (manifest.get("metadata") or {}).get("name")
                if kind == "Namespace" and name == lab.base_namespace:
                    continue  # the learner's own, made by the class
                if scoped(str(manifest.get("apiVersion")), kind):
                    found.append(kind)
        elif action.kubectl and any(
            word in ("node", "nodes", "nodepool", "nodepools", "crd") or word.startswith("node/")
            for word in action.kubectl
        ):
            found.append("Node")
    return sorted(set(found))


def blocked(api: Any, lab: Lab, step: Step) -> list[str]:
    """What the API server would refuse of the step's solution for this user: each manifest
    is applied as a server-side dry run (RBAC, admission, LimitRanges: nothing is stored),
    and each refusal (403, 422) is kept in the server's words."""
    request = getattr(api, "request", None)
    resource = getattr(api, "resource", None)
    if request is None or resource is None:
        return []
    found: list[str] = []
    for action in step.solution:
        if action.apply is None:
            continue
        for manifest in loading.load_manifests(lab, action.apply):
            api_version, kind = str(manifest.get("apiVersion")), str(manifest.get("kind"))
            meta = dict(manifest.get("metadata") or {})
            try:
                where = resource(api_version, kind)
            except ClusterError:
                continue  # a kind the cluster does not serve: the check will say so
            namespace = None
            if where.namespaced:
                namespace = lab.localize(meta.get("namespace") or lab.base_namespace)
                meta["namespace"] = namespace
            try:
                request(
                    "PATCH",
                    where.path(namespace, str(meta.get("name"))),
                    query=[("dryRun", "All"), ("fieldManager", "workshop"), ("force", "true")],
                    body=json.dumps({**manifest, "metadata": meta}),
                    content_type="application/apply-patch+yaml",
                )
            except ClusterError as e:
                if e.status in (403, 422):
                    found.append(e.message.split(": ", 1)[-1])
    return found


def blocked_reason(what: list[str]) -> str:
    return (
        f"skipped: your class's rights or limits refuse this step ({'; '.join(what)}); "
        "the instructor set those for the class (`kubectl auth can-i --list` shows yours)"
    )


def skip_reason(kinds: list[str]) -> str:
    names = ", ".join(kinds) or "objects outside your namespaces"
    return (
        f"skipped: this step changes the cluster itself ({names}), which only the "
        "instructor may do in a class; your instructor does it for everyone or shows it"
    )


def reason_to_skip(api: Any, lab: Lab, step: Step) -> str | None:
    """Why a class learner cannot do this step themselves, or ``None``."""
    kinds = cluster_scoped_kinds(api, lab, step)
    if kinds:
        return skip_reason(kinds)
    denied = blocked(api, lab, step)
    return blocked_reason(denied) if denied else None


def forbidden_reason(error: ClusterError) -> str:
    said = error.message.split(": ", 1)[-1]
    return (
        f"skipped: your class's rights or limits refuse this step ({said}); it reaches "
        "beyond what the instructor gave each learner"
    )
