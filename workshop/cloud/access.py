"""Who may reach a cluster's API server: ``ipRestrictions`` and ``openIdConnect`` (pure).

IP restrictions are enforced for real: the cluster's endpoint is a proxy that refuses
connections from addresses outside the list (see ``workshop.cloud.proxy``). Changing
them redeploys the endpoint, so the cluster shows REDEPLOYING for a moment.
"""

from __future__ import annotations

from typing import Any

from workshop.cloud import kube, lookup, protocol, validation
from workshop.cloud.routing import Call, Route
from workshop.cloud.store import Cluster

OIDC_FIELDS = (
    "clientId",
    "issuerUrl",
    "usernameClaim",
    "usernamePrefix",
    "groupsClaim",
    "groupsPrefix",
    "requiredClaim",
    "signingAlgorithms",
    "caContent",
)
SIGNING_ALGORITHMS = (
    "ES256",
    "ES384",
    "ES512",
    "PS256",
    "PS384",
    "PS512",
    "RS256",
    "RS384",
    "RS512",
)


def _may_change(cluster: Cluster) -> None:
    """Refuse before any change: a cluster being deleted takes no new settings."""
    if cluster.status == "DELETING":
        lookup.require_ready(cluster)


def _changed(cluster: Cluster, now: float) -> None:
    if cluster.status == "READY":
        kube.start(cluster, "redeploy", now)


def _ips(call: Call) -> list[str]:
    ips = call.body(known=("ips",)).strings("ips")
    if ips is None:
        raise validation.missing("ips")
    return [validation.cidr(ip) for ip in ips]


def get_ips(call: Call) -> list[str]:
    return list(lookup.cluster(call.store, call.params).ip_restrictions)


def put_ips(call: Call) -> None:
    """Replace the list (an empty list lets every address in)."""
    cluster = lookup.cluster(call.store, call.params)
    ips = _ips(call)
    _may_change(cluster)
    cluster.ip_restrictions = list(dict.fromkeys(ips))
    _changed(cluster, call.now)


def add_ips(call: Call) -> None:
    cluster = lookup.cluster(call.store, call.params)
    ips = _ips(call)
    _may_change(cluster)
    cluster.ip_restrictions = list(dict.fromkeys([*cluster.ip_restrictions, *ips]))
    _changed(cluster, call.now)


def delete_ip(call: Call) -> None:
    cluster = lookup.cluster(call.store, call.params)
    ip = call.params["ip"]
    if "prefix" in call.params:
        ip = f"{ip}/{call.params['prefix']}"
    block = validation.cidr(ip)
    if block not in cluster.ip_restrictions:
        raise protocol.not_found(f"IP block {block} is not in the IP restrictions")
    _may_change(cluster)
    cluster.ip_restrictions = [b for b in cluster.ip_restrictions if b != block]
    _changed(cluster, call.now)


def _oidc(call: Call, current: dict[str, Any] | None) -> dict[str, Any]:
    body = call.body(known=OIDC_FIELDS)
    merged = {**(current or {}), **{k: v for k, v in body.data.items() if v is not None}}
    checked = validation.Body(merged, known=OIDC_FIELDS)
    issuer = checked.string("issuerUrl", required=True)
    checked.string("clientId", required=True)
    if issuer is None or not issuer.startswith("https://"):
        raise protocol.bad_request(f"[issuerUrl] {protocol.shown(issuer)} is not an https:// URL")
    for name in ("usernameClaim", "usernamePrefix", "groupsPrefix", "caContent"):
        checked.string(name)
    for name in ("groupsClaim", "requiredClaim", "signingAlgorithms"):
        checked.strings(name)
    for algorithm in checked.strings("signingAlgorithms") or []:
        if algorithm not in SIGNING_ALGORITHMS:
            raise validation.not_in_enum(
                "signingAlgorithms", algorithm, "cloud.kube.OidcSigningAlgorithmsEnum"
            )
    return merged


def get_oidc(call: Call) -> dict[str, Any]:
    cluster = lookup.cluster(call.store, call.params)
    if cluster.oidc is None:
        raise protocol.not_found(f"No OIDC provider is configured on cluster {cluster.id}")
    return cluster.oidc


def create_oidc(call: Call) -> dict[str, Any]:
    cluster = lookup.cluster(call.store, call.params)
    if cluster.oidc is not None:
        raise protocol.conflict(f"An OIDC provider is already configured on cluster {cluster.id}")
    oidc = _oidc(call, None)
    _may_change(cluster)
    cluster.oidc = oidc
    _changed(cluster, call.now)
    return cluster.oidc


def update_oidc(call: Call) -> None:
    cluster = lookup.cluster(call.store, call.params)
    if cluster.oidc is None:
        raise protocol.not_found(f"No OIDC provider is configured on cluster {cluster.id}")
    oidc = _oidc(call, cluster.oidc)
    _may_change(cluster)
    cluster.oidc = oidc
    _changed(cluster, call.now)


def delete_oidc(call: Call) -> None:
    cluster = lookup.cluster(call.store, call.params)
    if cluster.oidc is None:
        raise protocol.not_found(f"No OIDC provider is configured on cluster {cluster.id}")
    _may_change(cluster)
    cluster.oidc = None
    _changed(cluster, call.now)


IPS = lookup.CLUSTER + "/ipRestrictions"
OIDC = lookup.CLUSTER + "/openIdConnect"

ROUTES = [
    Route("GET", IPS, get_ips),
    Route("PUT", IPS, put_ips),
    Route("POST", IPS, add_ips),
    Route("DELETE", IPS + "/{ip}", delete_ip),
    Route("DELETE", IPS + "/{ip}/{prefix}", delete_ip),
    Route("GET", OIDC, get_oidc),
    Route("POST", OIDC, create_oidc),
    Route("PUT", OIDC, update_oidc),
    Route("DELETE", OIDC, delete_oidc),
]
