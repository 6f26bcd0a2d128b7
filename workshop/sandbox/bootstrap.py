"""The sandbox's own API objects: CRDs, RBAC and StorageClasses, applied before the add-ons start.

They live as YAML in ``addons/manifests/``. ``up`` renders them to JSON in the plan; the
supervisor applies them once kube-apiserver answers and before it starts kwok and the
add-ons (kwok watches the ``Logs``/``PortForward`` kinds from its first second). Our own
definitions (CRDs, RBAC) are updated on every start, so an upgraded workshop brings its
new schema; the rest (StorageClasses) is created once and then left to the learner.
"""

from __future__ import annotations

import time
from importlib import resources
from typing import Any

import yaml

from workshop.sandbox.api import Api, ApiError

# Kinds whose objects belong to the sandbox: replaced on every start.
OWNED_KINDS = frozenset(
    {"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
    | {"FlowSchema"}
)
PLURALS = {"StorageClass": "storageclasses"}


def load() -> list[dict[str, Any]]:
    """Every document of ``addons/manifests/*.yaml``, in file-name order."""
    folder = resources.files("workshop.sandbox.addons").joinpath("manifests")
    docs: list[dict[str, Any]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            docs += [d for d in yaml.safe_load_all(entry.read_text()) if d]
    return docs


def collection(doc: dict[str, Any]) -> str:
    """Where the objects of the document's kind live: ``/apis/<group>/<version>/<plural>``,
    with ``/namespaces/<namespace>`` before the plural for a namespaced object."""
    group_version = doc["apiVersion"]
    prefix = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    namespace = doc["metadata"].get("namespace")
    if namespace:
        prefix = f"{prefix}/namespaces/{namespace}"
    kind = doc["kind"]
    return f"{prefix}/{PLURALS.get(kind, kind.lower() + 's')}"


def apply(api: Api, docs: list[dict[str, Any]]) -> list[str]:
    """Create each object, or replace the ones the sandbox owns; return what was done."""
    done = []
    for doc in docs:
        path, name = collection(doc), doc["metadata"]["name"]
        try:
            api.request("POST", path, doc)
            done.append(f"created {doc['kind']} {name}")
            continue
        except ApiError as e:
            if e.status != 409:
                raise
        if doc["kind"] not in OWNED_KINDS:
            continue
        current = api.request("GET", f"{path}/{name}")
        updated = {**doc, "metadata": {**doc["metadata"], **_keep(current["metadata"])}}
        api.request("PUT", f"{path}/{name}", updated)
        done.append(f"updated {doc['kind']} {name}")
    return done


def _keep(metadata: dict[str, Any]) -> dict[str, Any]:
    return {"resourceVersion": metadata["resourceVersion"]}


def wait_established(api: Api, docs: list[dict[str, Any]], timeout: float = 20.0) -> None:
    """Wait until every CRD of ``docs`` is served (its ``Established`` condition is True)."""
    names = [d["metadata"]["name"] for d in docs if d["kind"] == "CustomResourceDefinition"]
    deadline = time.monotonic() + timeout
    for name in names:
        path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
        while True:
            conditions = api.request("GET", path).get("status", {}).get("conditions", [])
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"CustomResourceDefinition {name} was not established in time")
            time.sleep(0.1)


NODE_LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"


def release_node_leases(api: Api) -> list[str]:
    """Delete the nodes' leases a previous kwok held, before this start's kwok runs.

    kwok only drives the pods of a node whose lease it holds; the lease of the kwok that
    was stopped would otherwise keep the new one waiting for it to expire (40 s), and new
    pods would sit in ``ContainerCreating`` that long after a restart. The nodes are all
    kwok's, so every lease in ``kube-node-lease`` is a stopped kwok's.
    """
    held = api.request("GET", NODE_LEASES).get("items") or []
    if held:
        api.request("DELETE", NODE_LEASES)
        return [f"released {len(held)} node lease(s) of the previous kwok"]
    return []
