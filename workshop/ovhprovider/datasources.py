"""The data sources of the real provider's Managed Kubernetes section (v2.19): a cluster,
a node pool by name, the nodes of a pool or of a cluster, IP restrictions and OIDC.

Schemas from ``ovh/data_cloud_project_kube*.go``; each reads with the same calls as the
real one (a pool is found by name in ``GET .../nodepool``). The real provider has no data
source listing Kubernetes versions (``ovh_cloud_project_kube_versions`` does not exist):
``GET /cloud/project/{serviceName}/capabilities/kube/versions`` is not read by it either.
"""

from __future__ import annotations

import zlib
from typing import Any

import ovh
from tf import schema, types

from workshop.ovhprovider import access, api, customization, kube, nodepool
from workshop.ovhprovider.base import ApiDataSource
from workshop.ovhprovider.blocks import Block, Object
from workshop.ovhprovider.fields import (
    BOOL,
    NUMBER,
    STRING,
    STRING_SET,
    STRINGS,
    computed,
    identifier,
    optional,
    required,
)

NODE = Object(
    created_at=STRING,
    deployed_at=STRING,
    flavor=STRING,
    id=STRING,
    instance_id=STRING,
    is_up_to_date=BOOL,
    name=STRING,
    node_pool_id=STRING,
    project_id=STRING,
    status=STRING,
    updated_at=STRING,
    version=STRING,
)


def node_state(found: dict[str, Any]) -> dict[str, Any]:
    """One node as ``CloudProjectKubeNodeResponse.ToMap`` gives it."""
    return {
        "created_at": found.get("createdAt") or "",
        "deployed_at": found.get("deployedAt") or "",
        "flavor": found.get("flavor") or "",
        "id": found.get("id") or "",
        "instance_id": found.get("instanceId") or "",
        "is_up_to_date": bool(found.get("isUpToDate")),
        "name": found.get("name") or "",
        "node_pool_id": found.get("nodePoolId") or "",
        "project_id": found.get("projectId") or "",
        "status": found.get("status") or "",
        "updated_at": found.get("updatedAt") or "",
        "version": found.get("version") or "",
    }


def nodes_id(nodes: list[dict[str, Any]]) -> str:
    """The id the real data sources give a list of nodes: the SDK's ``hashcode.Strings``
    (CRC-32 of ``"a-b-"``, a Go ``int`` of 64 bits, so never negative) of the sorted node
    ids, after as many empty strings (the real code appends to a slice made that long)."""
    ids = sorted([""] * len(nodes) + [str(n.get("id") or "") for n in nodes])
    return str(zlib.crc32("".join(f"{i}-" for i in ids).encode()))


def cluster_path(config: dict[str, Any]) -> str:
    return kube.path(str(config["service_name"]), str(config["kube_id"]))


def find_pool(client: Any, config: dict[str, Any], message: str) -> dict[str, Any]:
    """The pool named ``config["name"]`` in ``GET .../nodepool``, else ``message``."""
    where = cluster_path(config) + "/nodepool"
    for pool in api.call(client, "GET", where) or []:
        if pool.get("name") == config["name"]:
            return dict(pool)
    raise api.Failure(
        message.format(name=config["name"], kube=config["kube_id"], project=config["service_name"])
    )


class CloudProjectKubeData(ApiDataSource):
    """``data "ovh_cloud_project_kube"``: a cluster, its kubeconfig and customization."""

    NAME = "cloud_project_kube"
    SCHEMA = schema.Schema(
        version=0,
        attributes=[
            identifier(),
            required("service_name"),
            required("kube_id"),
            optional("name"),
            optional("version"),
            optional("plan"),
            optional("kube_proxy_mode"),
            computed("private_network_id"),
            computed("control_plane_is_up_to_date", BOOL),
            computed("is_up_to_date", BOOL),
            computed("next_upgrade_versions", STRING_SET),
            computed("nodes_url"),
            optional("region"),
            computed("status"),
            optional("update_policy"),
            computed("url"),
            computed("load_balancers_subnet_id"),
            computed("nodes_subnet_id"),
            computed("kubeconfig", sensitive=True),
            computed("kubeconfig_attributes", kube.KUBECONFIG_ATTRIBUTES, sensitive=True),
        ],
        block_types=[
            customization.APISERVER,
            customization.CUSTOMIZATION,
            customization.KUBE_PROXY_BLOCK,
            customization.CILIUM,
            customization.IP_ALLOCATION,
        ],
    )

    def fetch(self, config: dict[str, Any]) -> dict[str, Any] | None:
        client = self.client()
        where = cluster_path(config)
        try:
            found = client.get(where)
        except ovh.exceptions.APIError as e:
            raise api.Failure(f"Error calling {where}:\n\t {str(e)!r}") from e
        service, kube_id = str(config["service_name"]), str(config["kube_id"])
        content = kube.fetch_kubeconfig(client, service, kube_id)
        state = kube.to_state(service, found, content, config)
        return {**state, "kube_id": kube_id}


class CloudProjectKubeNodepoolData(ApiDataSource):
    """``data "ovh_cloud_project_kube_nodepool"``: a pool found by its name."""

    NAME = "cloud_project_kube_nodepool"
    SCHEMA = schema.Schema(
        version=0,
        attributes=[
            identifier(),
            required("service_name"),
            required("kube_id"),
            required("name"),
            computed("autoscale", BOOL),
            computed("anti_affinity", BOOL),
            computed("flavor_name"),
            computed("desired_nodes", NUMBER),
            computed("max_nodes", NUMBER),
            computed("min_nodes", NUMBER),
            computed("monthly_billed", BOOL),
            computed("available_nodes", NUMBER),
            computed("created_at"),
            computed("current_nodes", NUMBER),
            computed("flavor"),
            computed("project_id"),
            computed("size_status"),
            computed("status"),
            computed("up_to_date_nodes", NUMBER),
            computed("updated_at"),
            computed("autoscaling_scale_down_unneeded_time_seconds", NUMBER),
            computed("autoscaling_scale_down_unready_time_seconds", NUMBER),
            computed("autoscaling_scale_down_utilization_threshold", NUMBER),
            optional("availability_zones", STRINGS),
        ],
        block_types=[
            nodepool.FLOATING_IPS,
            Block(
                "template",
                Block(
                    "metadata",
                    optional("finalizers", STRINGS),
                    optional("labels", types.Map(types.String())),
                    optional("annotations", types.Map(types.String())),
                    max_items=1,
                ),
                Block(
                    "spec",
                    optional("unschedulable", BOOL),
                    optional("taints", nodepool.TAINTS),
                    max_items=1,
                ),
                max_items=1,
            ),
        ],
    )

    def fetch(self, config: dict[str, Any]) -> dict[str, Any] | None:
        found = find_pool(
            self.client(),
            config,
            "the nodepool named {name} cannot be found for cluster {kube} in project {project}",
        )
        return nodepool.to_state(str(config["service_name"]), str(config["kube_id"]), found)


class CloudProjectKubeNodepoolNodesData(ApiDataSource):
    """``data "ovh_cloud_project_kube_nodepool_nodes"``: the nodes of a pool (by name)."""

    NAME = "cloud_project_kube_nodepool_nodes"
    SCHEMA = schema.Schema(
        version=0,
        attributes=[
            identifier(),
            required("service_name"),
            required("kube_id"),
            required("name"),
            computed("nodes", types.List(NODE)),
        ],
    )

    def fetch(self, config: dict[str, Any]) -> dict[str, Any] | None:
        client = self.client()
        pool = find_pool(
            client,
            config,
            "The nodepool named {name} cannot be found for cluster {kube} in project {project}",
        )
        where = f"{cluster_path(config)}/nodepool/{pool['id']}/nodes"
        nodes = [node_state(n) for n in api.call(client, "GET", where) or []]
        return {**config, "id": nodes_id(nodes), "nodes": nodes}


class CloudProjectKubeNodesData(ApiDataSource):
    """``data "ovh_cloud_project_kube_nodes"``: every node of a cluster."""

    NAME = "cloud_project_kube_nodes"
    SCHEMA = schema.Schema(
        version=0,
        attributes=[
            identifier(),
            required("service_name"),
            required("kube_id"),
            computed("nodes", types.List(NODE)),
        ],
    )

    def fetch(self, config: dict[str, Any]) -> dict[str, Any] | None:
        where = cluster_path(config) + "/node"
        nodes = [node_state(n) for n in api.call(self.client(), "GET", where) or []]
        return {**config, "id": nodes_id(nodes), "nodes": nodes}


class CloudProjectKubeIpRestrictionsData(ApiDataSource):
    """``data "ovh_cloud_project_kube_iprestrictions"``: the cluster's allowed CIDR blocks."""

    NAME = "cloud_project_kube_iprestrictions"
    SCHEMA = schema.Schema(
        version=0,
        attributes=[
            identifier(),
            required("service_name"),
            required("kube_id"),
            computed("ips", STRING_SET),
        ],
    )

    def fetch(self, config: dict[str, Any]) -> dict[str, Any] | None:
        where = cluster_path(config) + "/ipRestrictions"
        ips = [str(ip) for ip in api.call(self.client(), "GET", where) or []]
        return {**config, "id": str(config["kube_id"]), "ips": ips}


class CloudProjectKubeOidcData(ApiDataSource):
    """``data "ovh_cloud_project_kube_oidc"``: the cluster's OpenID Connect settings."""

    NAME = "cloud_project_kube_oidc"
    SCHEMA = schema.Schema(
        version=0,
        attributes=[
            identifier(),
            required("service_name"),
            required("kube_id"),
            optional("client_id"),
            optional("issuer_url"),
            optional("oidc_username_claim"),
            optional("oidc_username_prefix"),
            optional("oidc_groups_claim", STRINGS),
            optional("oidc_groups_prefix"),
            optional("oidc_required_claim", STRINGS),
            optional("oidc_signing_algs", STRINGS),
            optional("oidc_ca_content"),
        ],
    )

    def fetch(self, config: dict[str, Any]) -> dict[str, Any] | None:
        where = cluster_path(config) + "/openIdConnect"
        try:
            found = self.client().get(where) or {}
        except ovh.exceptions.APIError as e:
            raise api.Failure(f"calling get {where} {e}") from e
        state = {**config}
        for attr, key in access.OIDC_STRINGS:
            state[attr] = str(found.get(key) or "")
        for attr, key in access.OIDC_LISTS:
            state[attr] = [str(v) for v in found.get(key) or []]
        state["id"] = f"{config['kube_id']}-{state['client_id']}-{state['issuer_url']}"
        return state


DATA_SOURCES = [
    CloudProjectKubeData,
    CloudProjectKubeNodepoolData,
    CloudProjectKubeNodepoolNodesData,
    CloudProjectKubeNodesData,
    CloudProjectKubeIpRestrictionsData,
    CloudProjectKubeOidcData,
]
