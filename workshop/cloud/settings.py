"""A cluster's settings and what it offers: customization, private network, update
policy, flavors, etcd usage, log forwarding; the project's regions and flavors (pure).

Changing the customization or the private network redeploys the control plane, so the
cluster shows REDEPLOYING for a moment, as on the service.
"""

from __future__ import annotations

from typing import Any

from workshop.cloud import catalog, kube, lookup, protocol, validation
from workshop.cloud.routing import Call, Route


def update_policy(call: Call) -> None:
    cluster = lookup.cluster(call.store, call.params)
    body = call.body(known=("updatePolicy",))
    policy = body.enum("updatePolicy", catalog.UPDATE_POLICIES, "cloud.kube.UpdatePolicyEnum")
    if policy is None:
        raise validation.missing("updatePolicy")
    cluster.update_policy = policy
    cluster.updated = call.now


def get_customization(call: Call) -> dict[str, Any]:
    return kube.customization_view(lookup.cluster(call.store, call.params))


def put_customization(call: Call) -> None:
    """Each part given (``kubeProxy``...) replaces that part; the others stay, as OVHcloud's
    kube-proxy guide shows ("Update only kubeProxy and keep existing apiServer")."""
    cluster = lookup.cluster(call.store, call.params)
    given = kube.check_customization(call.json())
    cluster.customization = {**cluster.customization, **given}
    kube.start(cluster, "redeploy", call.now)


def get_private_network(call: Call) -> dict[str, Any]:
    cluster = lookup.cluster(call.store, call.params)
    return cluster.private_network_configuration or kube.DEFAULT_PRIVATE_NETWORK


def put_private_network(call: Call) -> None:
    cluster = lookup.cluster(call.store, call.params)
    cluster.private_network_configuration = kube.private_network_configuration(call.json())
    kube.start(cluster, "redeploy", call.now)


def flavors(call: Call) -> list[dict[str, Any]]:
    lookup.cluster(call.store, call.params)
    return [catalog.flavor_view(n, s) for n, s in sorted(catalog.flavors().items())]


def etcd_usage(call: Call) -> dict[str, int]:
    cluster = lookup.cluster(call.store, call.params)
    return {"quota": catalog.ETCD_QUOTA_BYTES, "usage": cluster.etcd_usage}


def regions(call: Call) -> list[str]:
    lookup.project(call.store, call.params["serviceName"])
    return list(catalog.REGIONS)


def capability_flavors(call: Call) -> list[dict[str, Any]]:
    lookup.project(call.store, call.params["serviceName"])
    region = call.request.query.get("region")
    if region is not None and region not in catalog.REGIONS:
        raise validation.not_in_enum("region", region, "cloud.kube.RegionEnum")
    return [catalog.flavor_view(n, s) for n, s in sorted(catalog.flavors().items())]


def load_balancers_subnet(call: Call) -> None:
    lookup.cluster(call.store, call.params)
    subnet = call.body(known=("loadBalancersSubnetId",)).string("loadBalancersSubnetId")
    raise protocol.bad_request(
        f"[loadBalancersSubnetId] Subnet {subnet} does not exist: "
        "the cluster has no private network"
    )


def log_subscriptions(call: Call) -> list[str]:
    """Audit logs go to Logs Data Platform on the service; here no stream exists to send them to
    (``workshop cloud audit`` reads them)."""
    lookup.cluster(call.store, call.params)
    return []


def log_subscription(call: Call) -> None:
    lookup.cluster(call.store, call.params)
    raise protocol.not_found(f"Subscription {call.params['subscriptionId']} does not exist")


def subscribe_logs(call: Call) -> None:
    lookup.cluster(call.store, call.params)
    body = call.body(known=("kind", "streamId"))
    raise protocol.bad_request(
        f"[streamId] Logs Data Platform stream {body.string('streamId')} does not exist; "
        "the emulator keeps audit logs locally: `workshop cloud audit CLUSTER`"
    )


ONE = lookup.CLUSTER

ROUTES = [
    Route("GET", lookup.PROJECT + "/capabilities/kube/regions", regions),
    Route("GET", lookup.PROJECT + "/capabilities/kube/flavors", capability_flavors),
    Route("PUT", ONE + "/updatePolicy", update_policy),
    Route("GET", ONE + "/customization", get_customization),
    Route("PUT", ONE + "/customization", put_customization),
    Route("GET", ONE + "/privateNetworkConfiguration", get_private_network),
    Route("PUT", ONE + "/privateNetworkConfiguration", put_private_network),
    Route("PUT", ONE + "/updateLoadBalancersSubnetId", load_balancers_subnet),
    Route("GET", ONE + "/flavors", flavors),
    Route("GET", ONE + "/metrics/etcdUsage", etcd_usage),
    Route("GET", ONE + "/log/subscription", log_subscriptions),
    Route("POST", ONE + "/log/subscription", subscribe_logs),
    Route("GET", ONE + "/log/subscription/{subscriptionId}", log_subscription),
]
