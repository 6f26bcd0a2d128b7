"""The reference solution of lab 11: a KeyValueStore operator, plain and with kopf.

- ``children``: what a store is made of (pure); ``kube``: the client calls both forms share;
- ``plain``: ``Reconciler`` (one level-based ``reconcile(obj)``) on ``workshop.operators``;
- ``kopf_operator``: the same with kopf's handlers.

The functions below are the lab's solution actions (``python: solution:NAME`` in lab.yaml).
Where does the operator run while ``workshop solve`` works? A real operator runs as a
Deployment in the cluster; the sandbox's pods run no code (kwok simulates them). So, like
``kopf run`` or ``make run`` during development, it runs *outside* the cluster, in this
process: ``start_operator`` starts it in a background thread, once per process and
namespace. In the notebook and in tests the process lives on, and so does the operator;
``workshop solve`` in a terminal stops it when it exits, after the step's checks pass
(what the operator did stays in the cluster; nothing heals any more until you start it
again, e.g. with ``kopf run``).
"""

from __future__ import annotations

import threading
import time

from workshop import operators
from workshop.cluster import Cluster, connect
from workshop.course import SolutionContext
from workshop.errors import ClusterError

from . import children, kopf_operator, kube, plain
from .children import GROUP, VERSION

__all__ = ["children", "kopf_operator", "kube", "plain"]

_RUNNING: dict[tuple[str, str], operators.Operator] = {}
_LOCK = threading.Lock()


def running_operator(cluster: Cluster, namespace: str) -> operators.Operator | None:
    """The operator this process runs for ``namespace``, if any."""
    found = _RUNNING.get((cluster.context, namespace))
    return found if found is not None and found.running else None


def start_operator(lab: SolutionContext) -> None:
    """Start the lab's operator in the background (the notebook's ReconcileView does the same)."""
    ensure_operator(lab.cluster, lab.namespace)


def ensure_operator(cluster: Cluster, namespace: str) -> operators.Operator:
    with _LOCK:
        found = running_operator(cluster, namespace)
        if found is None:
            # its own connection: the caller's may be closed when the caller is done
            own = connect(cluster.context, kubeconfig=cluster.kubeconfig)
            found = plain.operator(own.api_client, namespace).start()
            _RUNNING[(cluster.context, namespace)] = found
        return found


def stop_operators() -> None:
    """Stop every operator ``start_operator`` started in this process."""
    with _LOCK:
        for op in _RUNNING.values():
            op.stop()
        _RUNNING.clear()


def heal(lab: SolutionContext) -> None:
    """kubectl delete service demo -n lab-11   # the operator puts it back"""
    ensure_operator(lab.cluster, lab.namespace)
    lab.kubectl("delete", "service", "demo", "-n", lab.namespace, "--wait=false")


def create_and_delete_scratch(lab: SolutionContext) -> None:
    """kubectl apply -f manifests/scratch.yaml, then once its volume is there:
    kubectl delete keyvaluestore scratch -n lab-11"""
    ensure_operator(lab.cluster, lab.namespace)
    path = str(lab.lab.dir / "manifests" / "scratch.yaml")
    lab.kubectl("apply", "-n", lab.namespace, "-f", path)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # let it come up: a volume for the finalizer to delete
        claim = lab.api.get("v1", "PersistentVolumeClaim", "data-scratch-0", lab.namespace)
        store = lab.api.get(children.API_VERSION, "KeyValueStore", "scratch", lab.namespace)
        if claim and (store or {}).get("metadata", {}).get("finalizers"):
            break
        time.sleep(0.5)
    lab.kubectl("delete", "keyvaluestore", "scratch", "-n", lab.namespace, "--wait=false")


def release_finalizers(lab: SolutionContext) -> None:
    """Delete every store and backup, and release their finalizers

    Reset deletes the CRDs, which must work with no operator running: a finalizer whose
    operator is gone holds its object, its namespace and its CRD forever."""
    for kind in ("KeyValueStore", "Backup"):
        try:
            found = lab.api.list(f"{GROUP}/{VERSION}", kind)  # in every namespace
        except ClusterError as e:
            if e.status == 404:
                continue  # no CRD: nothing to release
            raise
        for obj in found:
            name, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
            lab.api.delete(f"{GROUP}/{VERSION}", kind, name, namespace)
            try:
                lab.api.request(
                    "PATCH",
                    lab.api.resource(f"{GROUP}/{VERSION}", kind).path(namespace, name),
                    body={"metadata": {"finalizers": None}},
                    content_type="application/merge-patch+json",
                )
            except ClusterError as e:
                if e.status != 404:  # already gone: its operator was quicker
                    raise
