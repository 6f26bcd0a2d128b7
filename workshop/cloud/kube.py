"""``/cloud/project/{serviceName}/kube``: Managed Kubernetes clusters (pure handlers).

A handler records what the learner asked for and, for work that takes time, an
``Operation`` whose kind sets the visible status (INSTALLING, REDEPLOYING, UPDATING,
DELETING, ...); the reconciler does the work and brings the cluster back to READY.
"""

from __future__ import annotations

import copy
from typing import Any

from workshop.cloud import account, catalog, lookup, nodepools, protocol, validation
from workshop.cloud.routing import Call, Route
from workshop.cloud.store import Cluster, Operation, Store

# The status each kind of operation shows while it runs.
STATUS = {
    "install": "INSTALLING",
    "delete": "DELETING",
    "reset": "REDEPLOYING",
    "redeploy": "REDEPLOYING",
    "restart": "REDEPLOYING",
    "update": "UPDATING",
}
CREATE_FIELDS = (
    "name",
    "region",
    "version",
    "plan",
    "updatePolicy",
    "kubeProxyMode",
    "customization",
    "privateNetworkId",
    "privateNetworkConfiguration",
    "loadBalancersSubnetId",
    "nodesSubnetId",
    "ipAllocationPolicy",
    "nodepool",
)
KUBE_PROXY_FIELDS = {
    "iptables": ("minSyncPeriod", "syncPeriod"),
    "ipvs": (
        "minSyncPeriod",
        "scheduler",
        "syncPeriod",
        "tcpFinTimeout",
        "tcpTimeout",
        "udpTimeout",
    ),
}
DEFAULT_PRIVATE_NETWORK = {"defaultVrackGateway": "", "privateNetworkRoutingAsDefault": False}


def start(cluster: Cluster, kind: str, now: float, body: dict[str, Any] | None = None) -> None:
    cluster.operation = Operation(kind, now, body or {})
    cluster.status = STATUS[kind]
    cluster.updated = now


def view(store: Store, cluster: Cluster) -> dict[str, Any]:
    """A cluster as ``GET .../kube/{kubeId}`` shows it."""
    up_to_date = cluster.version == catalog.patch_version()
    return {
        "id": cluster.id,
        "region": cluster.region,
        "name": cluster.name,
        "url": f"127.0.0.1:{cluster.port}",
        "nodesUrl": f"127.0.0.1:{cluster.port}",
        "version": cluster.version,
        "nextUpgradeVersions": [],
        "kubeProxyMode": cluster.kube_proxy_mode,
        "customization": customization_view(cluster),
        "status": cluster.status,
        "updatePolicy": cluster.update_policy,
        "isUpToDate": up_to_date,
        "controlPlaneIsUpToDate": up_to_date,
        "privateNetworkId": cluster.private_network_id,
        "privateNetworkConfiguration": cluster.private_network_configuration
        or DEFAULT_PRIVATE_NETWORK,
        "loadBalancersSubnetId": cluster.load_balancers_subnet_id,
        "nodesSubnetId": cluster.nodes_subnet_id,
        "ipAllocationPolicy": catalog.IP_ALLOCATION_POLICY,
        "plan": cluster.plan,
        "auditLogsSubscribed": False,
        "createdAt": account.iso(cluster.created),
        "updatedAt": account.iso(cluster.updated),
    }


def customization_view(cluster: Cluster) -> dict[str, Any]:
    kube_proxy = cluster.customization.get("kubeProxy") or {"iptables": {}, "ipvs": {}}
    return {
        "apiServer": {"admissionPlugins": copy.deepcopy(catalog.ADMISSION_PLUGINS)},
        "kubeProxy": kube_proxy,
    }


def check_customization(data: dict[str, Any] | None) -> dict[str, Any]:
    """Customization the local control plane can honour; what it cannot is refused."""
    body = validation.Body(data, known=("apiServer", "kubeProxy", "cilium"))
    api_server = body.obj("apiServer") or {}
    plugins = validation.Body(api_server, known=("admissionPlugins",)).obj("admissionPlugins")
    if plugins:
        switch = validation.Body(plugins, known=("enabled", "disabled"))
        for state in ("enabled", "disabled"):
            wanted = set(switch.strings(state) or [])
            unknown = wanted - set(catalog.SWITCHABLE_ADMISSION_PLUGINS)
            if unknown:
                raise validation.not_in_enum(
                    f"apiServer.admissionPlugins.{state}",
                    ", ".join(sorted(unknown)),
                    "cloud.kube.AdmissionPluginEnum",
                )
            if not wanted <= set(catalog.ADMISSION_PLUGINS[state]):
                raise protocol.bad_request(
                    f"[apiServer.admissionPlugins] the emulated control plane runs with "
                    f"{catalog.ADMISSION_PLUGINS}; it cannot switch admission plugins"
                )
    result: dict[str, Any] = {}
    kube_proxy = body.obj("kubeProxy")
    if kube_proxy is not None:
        result["kubeProxy"] = check_kube_proxy(kube_proxy)
    return result


def check_kube_proxy(data: dict[str, Any]) -> dict[str, Any]:
    """``kubeProxy``: durations (strings such as ``PT30S``) and the IPVS scheduler."""
    result: dict[str, Any] = {}
    modes = validation.Body(data, known=tuple(KUBE_PROXY_FIELDS))
    for mode, fields in KUBE_PROXY_FIELDS.items():
        settings = validation.Body(modes.obj(mode), known=fields)
        result[mode] = {f: settings.string(f) for f in fields if settings.has(f)}
    return result


def list_clusters(call: Call) -> list[str]:
    service = call.params["serviceName"]
    lookup.project(call.store, service)
    return [c.id for c in call.store.clusters.values() if c.project == service]


def create(call: Call) -> dict[str, Any]:
    """``POST .../kube``: a new cluster, INSTALLING until its control plane answers."""
    store = call.store
    service = call.params["serviceName"]
    lookup.project(store, service)
    body = call.body(known=CREATE_FIELDS)
    region = body.enum("region", list(catalog.REGIONS), "cloud.kube.RegionEnum")
    if region is None:
        raise validation.missing("region")
    version = body.string("version")
    if version is not None and version not in catalog.versions():
        raise protocol.bad_request(
            f"[version] Given data ({protocol.shown(version)}) does not belong to the "
            "cloud.kube.VersionEnum "
            f"enumeration; available: {', '.join(catalog.versions())}"
        )
    ip_policy = body.obj("ipAllocationPolicy")
    if ip_policy and any(
        ip_policy.get(k) not in (None, v) for k, v in catalog.IP_ALLOCATION_POLICY.items()
    ):
        raise protocol.bad_request(
            f"[ipAllocationPolicy] the emulated control plane uses {catalog.IP_ALLOCATION_POLICY}"
        )
    private_network = body.string("privateNetworkId")
    if private_network:
        raise protocol.bad_request(
            f"[privateNetworkId] Private network {protocol.shown(private_network)} does not "
            "exist in this project"
        )
    pool_body = body.obj("nodepool")
    cluster_id = store.new_uuid()
    cluster = Cluster(
        id=cluster_id,
        project=service,
        name=validation.cluster_name(body.string("name") or cluster_id),
        region=region,
        version=catalog.patch_version(),
        port=call.backend.allocate_port(),
        created=call.now,
        updated=call.now,
        plan=body.enum("plan", catalog.PLANS, "cloud.kube.PlanEnum") or "free",
        update_policy=body.enum(
            "updatePolicy", catalog.UPDATE_POLICIES, "cloud.kube.UpdatePolicyEnum"
        )
        or "ALWAYS_UPDATE",
        kube_proxy_mode=body.enum(
            "kubeProxyMode", catalog.KUBE_PROXY_MODES, "cloud.kube.KubeProxyModeEnum"
        )
        or "iptables",
        customization=check_customization(body.obj("customization")),
        private_network_configuration=private_network_configuration(
            body.obj("privateNetworkConfiguration")
        ),
    )
    if pool_body is not None:
        # Checked before anything is stored: a bad pool refuses the whole cluster.
        pool = nodepools.build(store, cluster, pool_body, now=call.now)
    start(cluster, "install", call.now)
    store.clusters[cluster.id] = cluster
    if pool_body is not None:
        store.pools[pool.id] = pool
    return view(store, cluster)


def private_network_configuration(data: dict[str, Any] | None) -> dict[str, Any]:
    body = validation.Body(data, known=tuple(DEFAULT_PRIVATE_NETWORK))
    gateway = body.string("defaultVrackGateway") or ""
    if gateway:
        raise protocol.bad_request(
            "[defaultVrackGateway] the cluster has no private network (vRack) to route through"
        )
    return {
        "defaultVrackGateway": gateway,
        "privateNetworkRoutingAsDefault": bool(body.boolean("privateNetworkRoutingAsDefault")),
    }


def get(call: Call) -> dict[str, Any]:
    return view(call.store, lookup.cluster(call.store, call.params))


def rename(call: Call) -> None:
    cluster = lookup.cluster(call.store, call.params)
    name = call.body(known=("name",)).string("name", required=True)
    assert name is not None
    cluster.name = validation.cluster_name(name)
    cluster.updated = call.now


def delete(call: Call) -> None:
    cluster = lookup.cluster(call.store, call.params)
    if cluster.status == "DELETING":
        return
    start(cluster, "delete", call.now)


def kubeconfig(call: Call) -> dict[str, str]:
    cluster = lookup.cluster(call.store, call.params)
    if cluster.status in ("INSTALLING", "DELETING", "ERROR"):
        raise protocol.bad_request(
            f"Cluster {cluster.id} is {cluster.status}: its kubeconfig is not available yet"
        )
    return {"content": call.backend.kubeconfig(cluster)}


def update(call: Call) -> None:
    """``POST .../update``: move to the latest patch or the next minor version."""
    cluster = lookup.cluster(call.store, call.params)
    body = call.body(known=("strategy", "force"))
    strategy = body.enum("strategy", catalog.UPDATE_STRATEGIES, "cloud.kube.UpdateStrategyEnum")
    body.boolean("force")
    lookup.require_ready(cluster)
    if strategy == "NEXT_MINOR":
        raise protocol.bad_request(
            f"Cluster {cluster.id} runs {cluster.version}: no next minor version is available"
        )
    start(cluster, "update", call.now)


def reset(call: Call) -> None:
    """``POST .../reset``: an empty cluster again (every object is lost), maybe reconfigured."""
    cluster = lookup.cluster(call.store, call.params)
    body = call.body(
        known=(
            "name",
            "version",
            "updatePolicy",
            "customization",
            "kubeProxyMode",
            "privateNetworkId",
            "privateNetworkConfiguration",
            "loadBalancersSubnetId",
            "nodesSubnetId",
            "workerNodesPolicy",
        )
    )
    lookup.require_ready(cluster)
    policy = body.enum(
        "workerNodesPolicy", ("delete", "reinstall"), "cloud.kube.ResetWorkerNodesPolicyEnum"
    )
    version = body.string("version")
    if version is not None and version not in catalog.versions():
        raise validation.not_in_enum("version", version, "cloud.kube.VersionEnum")
    if body.string("privateNetworkId"):
        raise protocol.bad_request("[privateNetworkId] Private network does not exist")
    # every field is checked before the cluster changes: a refused reset changes nothing
    name = validation.cluster_name(body.string("name") or "") if body.has("name") else None
    update_policy = body.enum(
        "updatePolicy", catalog.UPDATE_POLICIES, "cloud.kube.UpdatePolicyEnum"
    )
    proxy_mode = body.enum(
        "kubeProxyMode", catalog.KUBE_PROXY_MODES, "cloud.kube.KubeProxyModeEnum"
    )
    customization = (
        check_customization(body.obj("customization")) if body.has("customization") else None
    )
    network = (
        private_network_configuration(body.obj("privateNetworkConfiguration"))
        if body.has("privateNetworkConfiguration")
        else None
    )
    body.string("loadBalancersSubnetId")
    body.string("nodesSubnetId")
    cluster.name = name or cluster.name
    cluster.update_policy = update_policy or cluster.update_policy
    cluster.kube_proxy_mode = proxy_mode or cluster.kube_proxy_mode
    if customization is not None:
        cluster.customization = customization
    if network is not None:
        cluster.private_network_configuration = network
    start(cluster, "reset", call.now, {"workerNodesPolicy": policy or "delete"})


def restart(call: Call) -> None:
    cluster = lookup.cluster(call.store, call.params)
    call.body(known=("force",)).boolean("force")
    lookup.require_ready(cluster)
    start(cluster, "restart", call.now)


KUBE = lookup.KUBE
ONE = lookup.CLUSTER

ROUTES = [
    Route("GET", KUBE, list_clusters),
    Route("POST", KUBE, create),
    Route("GET", ONE, get),
    Route("PUT", ONE, rename),
    Route("DELETE", ONE, delete),
    Route("POST", ONE + "/kubeconfig", kubeconfig),
    Route("POST", ONE + "/update", update),
    Route("POST", ONE + "/reset", reset),
    Route("POST", ONE + "/restart", restart),
]
