"""``.../kube/{kubeId}/nodepool`` and ``.../node``: node pools and their nodes (pure).

A pool's spec lives here; the reconciler makes the cluster match it (NodePool objects,
or Node objects until the sandbox has the NodePool CRD) and reports the nodes it sees.
Validation follows the service's rules: a known flavor, ``0 <= minNodes <=
desiredNodes <= maxNodes <= 100``, at most 5 nodes with anti-affinity, a DNS-style name,
and ``flavorName``, ``name`` and ``antiAffinity`` fixed once created.
"""

from __future__ import annotations

import secrets
from typing import Any

from workshop.cloud import account, catalog, lookup, protocol, validation
from workshop.cloud.routing import Call, Route
from workshop.cloud.store import Cluster, Node, NodePool, Operation, Store

AUTOSCALING_DEFAULTS = {
    "scaleDownUtilizationThreshold": 0.5,
    "scaleDownUnneededTimeSeconds": 600,
    "scaleDownUnreadyTimeSeconds": 1200,
}
CREATE_FIELDS = (
    "name",
    "flavorName",
    "desiredNodes",
    "minNodes",
    "maxNodes",
    "autoscale",
    "antiAffinity",
    "monthlyBilled",
    "availabilityZones",
    "autoscaling",
    "template",
    "attachFloatingIps",
)
UPDATE_FIELDS = (
    "desiredNodes",
    "minNodes",
    "maxNodes",
    "autoscale",
    "autoscaling",
    "template",
    "attachFloatingIps",
    "nodesToRemove",
)
STATUS = {"install": "INSTALLING", "delete": "DELETING"}


def start(pool: NodePool, kind: str, now: float) -> None:
    pool.operation = Operation(kind, now)
    if kind == "resize":
        pool.status = "UPSCALING" if pool.desired > pool.current else "DOWNSCALING"
        if pool.desired == pool.current:
            pool.status = "UPDATING"
    else:
        pool.status = STATUS[kind]
    pool.updated = now
    pool.pushed = False
    pool.message = None


def check_sizes(*, desired: int, low: int, high: int, anti_affinity: bool) -> None:
    """The rules on ``desiredNodes``, ``minNodes`` and ``maxNodes``."""
    for name, value in (("desiredNodes", desired), ("minNodes", low), ("maxNodes", high)):
        if not 0 <= value <= catalog.MAX_NODES_PER_POOL:
            raise protocol.bad_request(
                f"[{name}] must be between 0 and {catalog.MAX_NODES_PER_POOL}, got {value}"
            )
    if low > high:
        raise protocol.bad_request(f"minNodes ({low}) must be lower or equal to maxNodes ({high})")
    if not low <= desired <= high:
        raise protocol.bad_request(
            f"desiredNodes ({desired}) must be between minNodes ({low}) and maxNodes ({high})"
        )
    if anti_affinity and high > catalog.MAX_ANTI_AFFINITY_NODES:
        raise protocol.bad_request(
            f"maxNodes ({high}) can not exceed {catalog.MAX_ANTI_AFFINITY_NODES} "
            "for a node pool with antiAffinity"
        )


def check_autoscaling(data: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    body = validation.Body(data, known=tuple(AUTOSCALING_DEFAULTS))
    result = {**AUTOSCALING_DEFAULTS, **current}
    threshold = body.number("scaleDownUtilizationThreshold")
    if threshold is not None:
        if not 0 <= threshold <= 1:
            raise protocol.bad_request("[scaleDownUtilizationThreshold] must be between 0 and 1")
        result["scaleDownUtilizationThreshold"] = threshold
    for name in ("scaleDownUnneededTimeSeconds", "scaleDownUnreadyTimeSeconds"):
        value = body.integer(name)
        if value is not None:
            if value < 0:
                raise protocol.bad_request(f"[{name}] must be positive")
            result[name] = value
    return result


def check_template(data: dict[str, Any] | None) -> dict[str, Any]:
    """``template``: labels, annotations, finalizers, taints and unschedulable of the nodes,
    checked as kube-apiserver checks a Node, so a pool the API accepts is one the cluster
    accepts."""
    body = validation.Body(data, known=("metadata", "spec"))
    meta = validation.Body(body.obj("metadata"), known=("annotations", "finalizers", "labels"))
    spec = validation.Body(body.obj("spec"), known=("taints", "unschedulable"))
    taints = spec.data.get("taints") or []
    if not isinstance(taints, list):
        raise validation.wrong_type("template.spec.taints", taints, "a list")
    checked = []
    for taint in taints:
        t = validation.Body(taint, known=("key", "value", "effect"))
        key = validation.label_key("template.spec.taints.key", t.string("key", required=True) or "")
        value = t.string("value")
        if value:
            validation.label_value("template.spec.taints.value", value)
        effect = t.enum("effect", catalog.TAINT_EFFECTS, "cloud.kube.TaintEffectEnum")
        if effect is None:
            raise validation.missing("template.spec.taints.effect")
        checked.append({"key": key, "effect": effect, **({"value": value} if value else {})})
    finalizers = meta.strings("finalizers") or []
    for finalizer in finalizers:
        validation.label_key("template.metadata.finalizers", finalizer)
    return {
        "metadata": {
            "annotations": validation.node_annotations(
                "template.metadata.annotations", meta.obj("annotations")
            ),
            "finalizers": finalizers,
            "labels": validation.node_labels("template.metadata.labels", meta.obj("labels")),
        },
        "spec": {"taints": checked, "unschedulable": bool(spec.boolean("unschedulable"))},
    }


def build(store: Store, cluster: Cluster, data: Any, *, now: float) -> NodePool:
    """A new pool from a creation body, checked (not stored yet)."""
    body = validation.Body(data, known=CREATE_FIELDS)
    flavor = body.string("flavorName", required=True)
    assert flavor is not None
    if flavor not in catalog.flavors():
        raise protocol.bad_request(
            f"[flavorName] Flavor {protocol.clip(flavor)} is not available in region "
            f"{cluster.region}; "
            f"available: {', '.join(sorted(catalog.flavors()))}"
        )
    name = validation.pool_name(body.string("name") or f"nodepool-{secrets.token_hex(4)}")
    if any(p.name == name for p in store.pools_of(cluster.id)):
        raise protocol.conflict(f"A node pool named {name} already exists in this cluster")
    anti_affinity = bool(body.boolean("antiAffinity"))
    low = body.integer("minNodes") or 0
    default_high = catalog.MAX_ANTI_AFFINITY_NODES if anti_affinity else catalog.MAX_NODES_PER_POOL
    high = body.integer("maxNodes")
    high = default_high if high is None else high
    desired = body.integer("desiredNodes")
    desired = low if desired is None else desired
    check_sizes(desired=desired, low=low, high=high, anti_affinity=anti_affinity)
    zones = body.strings("availabilityZones") or []
    region_zones = catalog.REGIONS[cluster.region]
    if region_zones and not zones:
        raise protocol.bad_request("availabilityZones is mandatory")
    for zone in zones:
        if zone not in region_zones:
            raise protocol.bad_request(
                f"[availabilityZones] Zone {protocol.shown(zone)} is not in region {cluster.region}"
            )
    floating = validation.Body(body.obj("attachFloatingIps"), known=("enabled",))
    pool = NodePool(
        id=store.new_uuid(),
        cluster=cluster.id,
        project=cluster.project,
        name=name,
        flavor=flavor,
        desired=desired,
        min=low,
        max=high,
        created=now,
        updated=now,
        autoscale=bool(body.boolean("autoscale")),
        anti_affinity=anti_affinity,
        monthly_billed=bool(body.boolean("monthlyBilled")),
        availability_zones=zones,
        autoscaling=check_autoscaling(body.obj("autoscaling"), {}),
        template=check_template(body.obj("template")),
        attach_floating_ips={"enabled": bool(floating.boolean("enabled"))},
    )
    start(pool, "install", now)
    return pool


def view(pool: NodePool) -> dict[str, Any]:
    """A pool as ``GET .../nodepool/{nodePoolId}`` shows it."""
    if pool.current == pool.desired:
        size_status = "CAPACITY_OK"
    else:
        size_status = "UNDER_CAPACITY" if pool.current < pool.desired else "OVER_CAPACITY"
    return {
        "id": pool.id,
        "projectId": pool.project,
        "name": pool.name,
        "flavor": pool.flavor,
        "status": pool.status,
        "sizeStatus": size_status,
        "autoscale": pool.autoscale,
        "autoscaling": pool.autoscaling,
        "monthlyBilled": pool.monthly_billed,
        "antiAffinity": pool.anti_affinity,
        "desiredNodes": pool.desired,
        "minNodes": pool.min,
        "maxNodes": pool.max,
        "currentNodes": pool.current,
        "availableNodes": pool.available,
        "upToDateNodes": pool.current,
        "availabilityZones": pool.availability_zones,
        "attachFloatingIps": pool.attach_floating_ips,
        "template": pool.template,
        "createdAt": account.iso(pool.created),
        "updatedAt": account.iso(pool.updated),
    }


def node_view(node: Node) -> dict[str, Any]:
    return {
        "id": node.id,
        "projectId": node.project,
        "instanceId": node.instance_id,
        "nodePoolId": node.pool,
        "name": node.name,
        "flavor": node.flavor,
        "status": node.status,
        "isUpToDate": True,
        "version": catalog.patch_version(),
        "createdAt": account.iso(node.created),
        "updatedAt": account.iso(node.updated),
        "deployedAt": account.iso(node.deployed),
    }


def list_pools(call: Call) -> list[dict[str, Any]]:
    cluster = lookup.cluster(call.store, call.params)
    return [view(p) for p in call.store.pools_of(cluster.id)]


def create(call: Call) -> dict[str, Any]:
    cluster = lookup.cluster(call.store, call.params)
    if cluster.status == "DELETING":
        lookup.require_ready(cluster)
    pool = build(call.store, cluster, call.json(), now=call.now)
    call.store.pools[pool.id] = pool
    return view(pool)


def get(call: Call) -> dict[str, Any]:
    return view(lookup.pool(call.store, call.params)[1])


def update(call: Call) -> None:
    """``PUT``: resize, change the bounds, autoscaling or template."""
    _, pool = lookup.pool(call.store, call.params)
    if pool.status == "DELETING":
        raise protocol.bad_request(f"Node pool {pool.id} is being deleted")
    body = call.body(
        known=UPDATE_FIELDS, immutable=("flavorName", "name", "antiAffinity", "monthlyBilled")
    )
    low = body.integer("minNodes")
    high = body.integer("maxNodes")
    desired = body.integer("desiredNodes")
    low = pool.min if low is None else low
    high = pool.max if high is None else high
    to_remove = body.strings("nodesToRemove") or []
    known = {n.id: n.name for n in call.store.nodes_of(pool.cluster, pool.id)}
    known.update({name: name for name in known.values()})
    for node in to_remove:
        if node not in known:
            raise protocol.bad_request(
                f"[nodesToRemove] Node {protocol.shown(node)} is not in node pool {pool.name}"
            )
    if desired is None:
        desired = pool.desired - len(to_remove) if to_remove else pool.desired
    check_sizes(desired=desired, low=low, high=high, anti_affinity=pool.anti_affinity)
    # every field is checked before the pool changes: a refused PUT changes nothing
    autoscale = body.boolean("autoscale")
    autoscaling = (
        check_autoscaling(body.obj("autoscaling"), pool.autoscaling)
        if body.has("autoscaling")
        else pool.autoscaling
    )
    template = check_template(body.obj("template")) if body.has("template") else pool.template
    floating = pool.attach_floating_ips
    if body.has("attachFloatingIps"):
        given = validation.Body(body.obj("attachFloatingIps"), known=("enabled",))
        floating = {"enabled": bool(given.boolean("enabled"))}
    if autoscale is not None:
        pool.autoscale = autoscale
    pool.autoscaling, pool.template, pool.attach_floating_ips = autoscaling, template, floating
    pool.min, pool.max, pool.desired = low, high, desired
    pool.nodes_to_remove = [known[n] for n in to_remove]
    start(pool, "resize", call.now)


def delete(call: Call) -> None:
    _, pool = lookup.pool(call.store, call.params)
    start(pool, "delete", call.now)


def pool_nodes(call: Call) -> list[dict[str, Any]]:
    cluster, pool = lookup.pool(call.store, call.params)
    return [node_view(n) for n in call.store.nodes_of(cluster.id, pool.id)]


def list_nodes(call: Call) -> list[dict[str, Any]]:
    cluster = lookup.cluster(call.store, call.params)
    return [node_view(n) for n in call.store.nodes_of(cluster.id)]


def find_node(call: Call) -> Node:
    cluster = lookup.cluster(call.store, call.params)
    node = call.store.nodes.get(call.params["nodeId"])
    if node is None or node.cluster != cluster.id:
        raise protocol.not_found(f"Node {call.params['nodeId']} does not exist")
    return node


def get_node(call: Call) -> dict[str, Any]:
    return node_view(find_node(call))


def delete_node(call: Call) -> None:
    """Removing one node shrinks its pool by one, as the service does."""
    node = find_node(call)
    pool = call.store.pools[node.pool]
    if pool.desired - 1 < pool.min:
        raise protocol.bad_request(
            f"Removing node {node.name} would take node pool {pool.name} "
            f"below minNodes ({pool.min})"
        )
    pool.desired -= 1
    pool.nodes_to_remove = [node.name]
    start(pool, "resize", call.now)


POOLS = lookup.POOLS
POOL = lookup.POOL

ROUTES = [
    Route("GET", POOLS, list_pools),
    Route("POST", POOLS, create),
    Route("GET", POOL, get),
    Route("PUT", POOL, update),
    Route("DELETE", POOL, delete),
    Route("GET", POOL + "/nodes", pool_nodes),
    Route("GET", lookup.CLUSTER + "/node", list_nodes),
    Route("GET", lookup.CLUSTER + "/node/{nodeId}", get_node),
    Route("DELETE", lookup.CLUSTER + "/node/{nodeId}", delete_node),
]
