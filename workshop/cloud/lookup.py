"""Finding the project, cluster or node pool a path names, with the API's 404 answers."""

from __future__ import annotations

from workshop.cloud import protocol
from workshop.cloud.protocol import ApiError
from workshop.cloud.store import Cluster, NodePool, Project, Store

PROJECT = "/cloud/project/{serviceName}"
KUBE = PROJECT + "/kube"
CLUSTER = KUBE + "/{kubeId}"
POOLS = CLUSTER + "/nodepool"
POOL = POOLS + "/{nodePoolId}"


def project(store: Store, service_name: str) -> Project:
    found = store.projects.get(service_name)
    if found is None:
        raise protocol.not_found("This service does not exist")
    return found


def cluster(store: Store, params: dict[str, str]) -> Cluster:
    project(store, params["serviceName"])
    found = store.clusters.get(params["kubeId"])
    if found is None or found.project != params["serviceName"]:
        raise protocol.not_found(f"This cluster ({params['kubeId']}) does not exist")
    return found


def pool(store: Store, params: dict[str, str]) -> tuple[Cluster, NodePool]:
    owner = cluster(store, params)
    found = store.pools.get(params["nodePoolId"])
    if found is None or found.cluster != owner.id:
        raise protocol.not_found(f"Node pool {params['nodePoolId']} does not exist")
    return owner, found


def require_ready(found: Cluster) -> None:
    if found.status != "READY":
        raise ApiError(
            409,
            f"Cluster {found.id} is not ready: its status is {found.status}",
            error_class="Client::Conflict",
        )
