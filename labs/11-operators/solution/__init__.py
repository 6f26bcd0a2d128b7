"""The reference solution of lab 11: a KeyValueStore operator, plain and with kopf.

- ``children``: what a store is made of (pure); ``kube``: the client calls both forms share;
- ``plain``: ``Reconciler`` (one level-based ``reconcile(obj)``) on ``workshop.operators``;
- ``kopf_operator``: the same with kopf's handlers;
- ``reconcile``: the solution of the step the learner writes (``yours.py``: the children).

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

from kubernetes import client

from workshop import operators
from workshop.cluster import Cluster, connect
from workshop.course import SolutionContext
from workshop.course.loading import load_manifests
from workshop.errors import ClusterError

from . import children, kopf_operator, kube, plain, reconcile
from .children import GROUP, VERSION

__all__ = ["children", "kopf_operator", "kube", "plain", "reconcile"]

SERVICE_ACCOUNT = "kvs-operator"
CRD = "keyvaluestores.db.workshop.dev"

_RUNNING: dict[tuple[str, str], operators.Operator] = {}
_CHILDREN_ONLY: dict[tuple[str, str], operators.Operator] = {}
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
            partial = _CHILDREN_ONLY.pop((cluster.context, namespace), None)
            if partial is not None:  # the whole operator takes over from the step-4b one
                partial.stop()
            # its own connection: the caller's may be closed when the caller is done
            own = connect(cluster.context, kubeconfig=cluster.kubeconfig)
            found = plain.operator(own.api_client, namespace).start()
            _RUNNING[(cluster.context, namespace)] = found
        return found


def stop_operators() -> None:
    """Stop every operator ``start_operator`` (or the steps' solutions) started in this
    process, and the one running as the ServiceAccount."""
    with _LOCK:
        for op in [*_RUNNING.values(), *_CHILDREN_ONLY.values()]:
            op.stop()
        _RUNNING.clear()
        _CHILDREN_ONLY.clear()


def run_children_operator(lab: SolutionContext) -> None:
    """define reconcile(kvs, kube, children) as solution/reconcile.py does, and run an
    operator that calls it (the notebook's, from step 4b)

    Its reconcile makes the store's Secret, Service and StatefulSet and nothing else: no
    status, no finalizer (the next step's operator adds them). When the whole operator
    runs already, it does this too: nothing to start."""
    with _LOCK:
        key = (lab.cluster.context, lab.namespace)
        found = _CHILDREN_ONLY.get(key)
        if (found is not None and found.running) or running_operator(lab.cluster, lab.namespace):
            return
        own = connect(lab.cluster.context, kubeconfig=lab.cluster.kubeconfig)
        hands = kube.Kube(own.api_client)
        started = operators.Operator(
            own.api_client,
            lambda obj: reconcile.reconcile(obj, hands, children),
            namespace=lab.namespace,
            primary=[plain.STORES],
            owns=plain.OWNS,
            resync=10.0,
            name="your-operator",
        ).start()
        _CHILDREN_ONLY[key] = started


def _rbac(lab: SolutionContext, relative: str) -> None:
    """The ServiceAccount, Role and RoleBinding of ``relative``, bound in the lab's namespace."""
    for manifest in load_manifests(lab.lab, relative):
        if manifest["kind"] == "RoleBinding":
            subjects = [{**s, "namespace": lab.namespace} for s in manifest["subjects"]]
            manifest = {**manifest, "subjects": subjects}
        lab.api.apply(manifest, namespace=lab.namespace)


def _ensure_crds(lab: SolutionContext) -> None:
    """The lab's CRDs, when they are not there yet (never over the learner's own columns)."""
    if lab.api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", CRD, None):
        return
    for manifest in load_manifests(lab.lab, "manifests/crds.yaml"):
        lab.api.apply(manifest)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = lab.api.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", CRD, None)
        conditions = ((found or {}).get("status") or {}).get("conditions") or []
        if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
            return
        time.sleep(0.3)


def break_rbac(lab: SolutionContext) -> None:
    """kubectl apply -n lab-11 -f labs/11-operators/manifests/operator-rbac.yaml, and the
    store `cache` (manifests/cache.yaml), whose StatefulSet the operator must create

    The Role misses a verb the operator needs; a StatefulSet `cache` made earlier is
    deleted, so that the operator has to create it again."""
    _ensure_crds(lab)
    _rbac(lab, "manifests/operator-rbac.yaml")
    lab.api.delete("apps/v1", "StatefulSet", "cache", lab.namespace)
    for manifest in load_manifests(lab.lab, "manifests/cache.yaml"):
        lab.api.apply(manifest, namespace=lab.namespace)


def grant_the_missing_verb(lab: SolutionContext) -> None:
    """kubectl apply -n lab-11 -f labs/11-operators/solution/role-with-create.yaml (the Role
    with `create` on statefulsets), then the store `cache` and an operator to reconcile it"""
    _ensure_crds(lab)
    _rbac(lab, "solution/role-with-create.yaml")
    for manifest in load_manifests(lab.lab, "manifests/cache.yaml"):
        lab.api.apply(manifest, namespace=lab.namespace)
    ensure_operator(lab.cluster, lab.namespace)


def operator_as_service_account(cluster: Cluster, namespace: str) -> operators.Operator:
    """The plain operator with the rights of the ServiceAccount ``kvs-operator`` (not started).

    In a cluster, the operator's pod gets its ServiceAccount's token; here it asks the
    TokenRequest API for one (``kubectl create token kvs-operator``) and connects with it,
    so the API server grants it exactly what the Role says. It becomes this process's
    operator for the namespace: the steps' solutions start no second one beside it."""
    core = client.CoreV1Api(cluster.api_client)
    spec = client.V1TokenRequestSpec(audiences=[], expiration_seconds=3600)  # the API's own
    request = client.AuthenticationV1TokenRequest(spec=spec)
    answer = core.create_namespaced_service_account_token(SERVICE_ACCOUNT, namespace, request)
    if answer.status is None or not answer.status.token:
        raise ClusterError(f"no token for the ServiceAccount {SERVICE_ACCOUNT} in {namespace}")
    base = cluster.api_client.configuration
    config = client.Configuration()
    config.host = base.host
    config.ssl_ca_cert = base.ssl_ca_cert
    config.verify_ssl = base.verify_ssl
    config.tls_server_name = getattr(base, "tls_server_name", None)
    config.api_key = {"authorization": f"Bearer {answer.status.token}"}
    found = plain.operator(client.ApiClient(config), namespace)
    with _LOCK:
        previous = _RUNNING.get((cluster.context, namespace))
        if previous is not None and previous is not found:
            previous.stop()
        _RUNNING[(cluster.context, namespace)] = found
    return found


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
