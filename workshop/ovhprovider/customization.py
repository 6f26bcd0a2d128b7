"""A cluster's nested blocks: customization (API server, kube-proxy, Cilium), IP allocation
and private network configuration; their schemas and their conversions to and from the API.

Schemas as ``ovh/resource_cloud_project_kube.go`` declares them (v2.19.0); bodies as
``ovh/types_cloud_project_kube.go`` builds them, e.g. a cluster created without any
customization still sends ``"customization": {"apiServer": {"admissionPlugins": {}},
"kubeProxy": {"iptables": {}, "ipvs": {}}}``. Reading back follows its ``ToMap``: a part the
API leaves empty keeps what the state had.
"""

from __future__ import annotations

from typing import Any

from tf.types import Unknown
from tf.utils import Diagnostics

from workshop.ovhprovider import checks
from workshop.ovhprovider.blocks import Block
from workshop.ovhprovider.fields import (
    BOOL,
    NUMBER,
    STRINGS,
    first,
    keep_order,
    optional,
    required,
)

DEPRECATED = "Use customization_apiserver instead"
# attribute -> API field, per kube-proxy mode
KUBE_PROXY = {
    "iptables": (("min_sync_period", "minSyncPeriod"), ("sync_period", "syncPeriod")),
    "ipvs": (
        ("min_sync_period", "minSyncPeriod"),
        ("scheduler", "scheduler"),
        ("sync_period", "syncPeriod"),
        ("tcp_fin_timeout", "tcpFinTimeout"),
        ("tcp_timeout", "tcpTimeout"),
        ("udp_timeout", "udpTimeout"),
    ),
}
IP_ALLOCATION_FIELDS = (
    ("pods_ipv4_cidr", "podsIpv4Cidr"),
    ("services_ipv4_cidr", "servicesIpv4Cidr"),
)
UI_RESOURCES = (
    ("backend_resources", "backendResources"),
    ("frontend_resources", "frontendResources"),
)
IPVS_SCHEDULERS = ("rr", "lc", "dh", "sh", "sed", "nq")
KUBE_PROXY_MODES = ("iptables", "ipvs")
PLANS = ("standard", "free")


def _admission_plugins() -> Block:
    return Block(
        "admissionplugins",
        optional("enabled", STRINGS, computed=True),
        optional("disabled", STRINGS, computed=True),
        computed=True,
        returned=True,
    )


def _cpu_memory(name: str) -> Block:
    return Block(
        name,
        optional("cpu", computed=True),
        optional("memory", computed=True),
        computed=True,
        max_items=1,
    )


def _resources(name: str) -> Block:
    return Block(name, _cpu_memory("limits"), _cpu_memory("requests"), computed=True, max_items=1)


def _enabled(name: str, *more: Block) -> Block:
    return Block(name, optional("enabled", BOOL, computed=True), *more, computed=True, max_items=1)


APISERVER = Block("customization_apiserver", _admission_plugins(), computed=True, returned=True)
CUSTOMIZATION = Block(
    "customization",
    Block("apiserver", _admission_plugins(), computed=True, returned=True, deprecated=DEPRECATED),
    computed=True,
    returned=True,
    deprecated=DEPRECATED,
)
KUBE_PROXY_BLOCK = Block(
    "customization_kube_proxy",
    *(
        Block(mode, *(optional(attr) for attr, _ in sorted(fields)), max_items=1)
        for mode, fields in KUBE_PROXY.items()
    ),
    max_items=1,
)
CILIUM = Block(
    "customization_cilium",
    optional("cluster_id", NUMBER, computed=True),
    _enabled(
        "cluster_mesh",
        Block(
            "api_server",
            optional("node_port", NUMBER, computed=True),
            optional("service_type", computed=True),
            computed=True,
            max_items=1,
        ),
    ),
    _enabled(
        "hubble",
        _enabled("relay"),
        _enabled("ui", _resources("backend_resources"), _resources("frontend_resources")),
    ),
    computed=True,
    max_items=1,
)
IP_ALLOCATION = Block(
    "ip_allocation_policy",
    optional("pods_ipv4_cidr", computed=True, replace=True),
    optional("services_ipv4_cidr", computed=True, replace=True),
    computed=True,
    returned=True,
    replace=True,
    max_items=1,
)
PRIVATE_NETWORK = Block(
    "private_network_configuration",
    required("default_vrack_gateway"),
    required("private_network_routing_as_default", BOOL),
    max_items=1,
)
BLOCKS = (APISERVER, CUSTOMIZATION, KUBE_PROXY_BLOCK, CILIUM, IP_ALLOCATION, PRIVATE_NETWORK)


def _given(value: Any) -> bool:
    return value is not None and value is not Unknown


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


# -- checks ------------------------------------------------------------------------------


def check(diags: Diagnostics, config: dict[str, Any]) -> None:
    """What the real schema's ValidateFunc, ConflictsWith and Deprecated say."""
    checks.conflicts(diags, config, "customization", "customization_apiserver")
    checks.conflicts(diags, config, "customization_apiserver", "customization")
    checks.deprecated(diags, config, "customization", DEPRECATED)
    proxy = first(config.get("customization_kube_proxy"))
    for mode, fields in KUBE_PROXY.items():
        settings = first((proxy or {}).get(mode)) or {}
        for attr, _ in fields:
            path = ["customization_kube_proxy", mode, attr]
            if attr == "scheduler":
                checks.enum(diags, path, settings.get(attr), IPVS_SCHEDULERS)
            else:
                checks.duration(diags, path, settings.get(attr))


# -- to the API --------------------------------------------------------------------------


def _configured(element: dict[str, Any] | None) -> bool:
    """An element with at least one value given (not only "(known after apply)")."""
    return element is not None and any(_given(v) and v != [] for v in element.values())


def admission_body(element: dict[str, Any] | None) -> dict[str, Any]:
    """``apiServer``: ``{"admissionPlugins": {}}``, or both lists when configured."""
    plugins = first((element or {}).get("admissionplugins"))
    if not _configured(plugins) or plugins is None:
        return {"admissionPlugins": {}}
    return {
        "admissionPlugins": {
            "enabled": _strings(plugins.get("enabled")),
            "disabled": _strings(plugins.get("disabled")),
        }
    }


def apiserver_body(state: dict[str, Any]) -> dict[str, Any]:
    """The API server customization from either syntax (the deprecated one wins if used)."""
    old = first(state.get("customization"))
    if old is not None:
        return admission_body(first(old.get("apiserver")))
    return admission_body(first(state.get("customization_apiserver")))


def kube_proxy_body(value: Any) -> dict[str, Any]:
    """``kubeProxy``: both modes, each with the settings given (``{}`` when none)."""
    proxy = first(value) or {}
    body: dict[str, Any] = {}
    for mode, fields in KUBE_PROXY.items():
        settings = first(proxy.get(mode)) or {}
        body[mode] = {key: settings[attr] for attr, key in fields if settings.get(attr)}
    return body


def cilium_body(value: Any) -> dict[str, Any] | None:
    """``cilium``, with only what the configuration gives; None when there is no block."""
    element = first(value)
    if element is None:
        return None
    body: dict[str, Any] = {}
    if _given(element.get("cluster_id")) and element["cluster_id"]:
        body["clusterId"] = int(element["cluster_id"])
    mesh = first(element.get("cluster_mesh"))
    if mesh is not None:
        body["clusterMesh"] = _switch(mesh)
        server = first(mesh.get("api_server"))
        if server is not None:
            body["clusterMesh"]["apiServer"] = {
                **({"nodePort": int(server["node_port"])} if server.get("node_port") else {}),
                **({"serviceType": server["service_type"]} if server.get("service_type") else {}),
            }
    hubble = first(element.get("hubble"))
    if hubble is not None:
        body["hubble"] = _switch(hubble)
        relay = first(hubble.get("relay"))
        if relay is not None:
            body["hubble"]["relay"] = _switch(relay)
        ui = first(hubble.get("ui"))
        if ui is not None:
            body["hubble"]["ui"] = _switch(ui)
            for attr, key in UI_RESOURCES:
                resources = first(ui.get(attr))
                if resources is not None:
                    body["hubble"]["ui"][key] = _resources_body(resources)
    return body


def _switch(element: dict[str, Any]) -> dict[str, Any]:
    enabled = element.get("enabled")
    return {"enabled": enabled} if isinstance(enabled, bool) else {}


def _resources_body(element: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for attr, key in (("limits", "limits"), ("requests", "requests")):
        amounts = first(element.get(attr))
        if amounts is not None:
            body[key] = {
                k: amounts[k] for k in ("cpu", "memory") if _given(amounts.get(k)) and amounts[k]
            }
    return body


def ip_allocation_body(value: Any) -> dict[str, Any] | None:
    """``ipAllocationPolicy`` with the CIDRs given; None (not sent) when none is."""
    element = first(value)
    if not _configured(element) or element is None:
        return None
    return {
        key: element[attr]
        for attr, key in IP_ALLOCATION_FIELDS
        if _given(element.get(attr)) and element[attr]
    }


def private_network_body(value: Any) -> dict[str, Any]:
    """``privateNetworkConfiguration``: always sent, empty values when there is no block."""
    element = first(value) or {}
    gateway = element.get("default_vrack_gateway")
    routing = element.get("private_network_routing_as_default")
    return {
        "defaultVrackGateway": gateway if isinstance(gateway, str) else "",
        "privateNetworkRoutingAsDefault": bool(routing) if isinstance(routing, bool) else False,
    }


def create_body(planned: dict[str, Any]) -> dict[str, Any]:
    """``customization`` of ``POST .../kube``."""
    body: dict[str, Any] = {
        "apiServer": apiserver_body(planned),
        "kubeProxy": kube_proxy_body(planned.get("customization_kube_proxy")),
    }
    cilium = cilium_body(planned.get("customization_cilium"))
    if cilium is not None:
        body["cilium"] = cilium
    return body


def update_body(changed: set[str], planned: dict[str, Any]) -> dict[str, Any]:
    """``PUT .../customization`` with only the parts that changed (the API keeps the rest)."""
    body: dict[str, Any] = {}
    if "customization_kube_proxy" in changed:
        body["kubeProxy"] = kube_proxy_body(planned.get("customization_kube_proxy"))
    if "customization_apiserver" in changed:
        body["apiServer"] = admission_body(first(planned.get("customization_apiserver")))
    if "customization" in changed:
        old = first(planned.get("customization")) or {}
        body["apiServer"] = admission_body(first(old.get("apiserver")))
    if "customization_cilium" in changed:
        cilium = cilium_body(planned.get("customization_cilium"))
        if cilium is not None:
            body["cilium"] = cilium
    return body


# -- from the API ------------------------------------------------------------------------


def to_state(found: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """The blocks of a cluster the API shows; ``previous`` (the planned or prior state) gives
    what the API does not show, and the order of lists the API holds in another order."""
    customization = found.get("customization") or {}
    plugins = (customization.get("apiServer") or {}).get("admissionPlugins")
    state: dict[str, Any] = {
        "customization_apiserver": previous.get("customization_apiserver") or [],
        "customization": previous.get("customization") or [],
        "customization_kube_proxy": _kube_proxy_state(
            customization.get("kubeProxy"), previous.get("customization_kube_proxy")
        ),
        "customization_cilium": _cilium_state(
            customization.get("cilium"), previous.get("customization_cilium")
        ),
        "ip_allocation_policy": _ip_allocation_state(
            found.get("ipAllocationPolicy"), previous.get("ip_allocation_policy")
        ),
        "private_network_configuration": previous.get("private_network_configuration") or [],
    }
    if isinstance(plugins, dict):
        new = first(previous.get("customization_apiserver")) or {}
        admission = _admission_state(plugins, first(new.get("admissionplugins")))
        state["customization_apiserver"] = [{"admissionplugins": [admission]}]
        old = first(previous.get("customization"))
        old_wanted = first((first((old or {}).get("apiserver")) or {}).get("admissionplugins"))
        state["customization"] = [
            {"apiserver": [{"admissionplugins": [_admission_state(plugins, old_wanted)]}]}
        ]
    return state


def _admission_state(plugins: dict[str, Any], wanted: dict[str, Any] | None) -> dict[str, Any]:
    wanted = wanted or {}
    return {
        name: keep_order(_strings(plugins.get(name)), wanted.get(name))
        for name in ("enabled", "disabled")
    }


def _kube_proxy_state(found: Any, previous: Any) -> list[dict[str, Any]]:
    """The API's kube-proxy settings; none at all keeps the state's (the real ``ToMap``
    then leaves the attribute alone)."""
    before = first(previous) or {}
    element: dict[str, Any] = {}
    for mode, fields in KUBE_PROXY.items():
        settings = (found or {}).get(mode) or {}
        wanted = first(before.get(mode)) or {}
        data = {}
        for attr, key in fields:
            value = settings.get(key)
            if value:
                data[attr] = _same_duration(str(value), wanted.get(attr))
        if data:
            element[mode] = [{attr: data.get(attr) for attr, _ in fields}]
        else:
            element[mode] = []
    if not any(element.values()):
        return list(previous or [])
    return [element]


def _same_duration(value: str, wanted: Any) -> str:
    """``wanted`` when it is the same duration written otherwise (the API answers ``P0D``
    for ``PT0S``), else ``value``."""
    if isinstance(wanted, str) and wanted != value:
        mine, theirs = checks.seconds(wanted), checks.seconds(value)
        if mine is not None and mine == theirs:
            return wanted
    return value


def _cilium_state(found: Any, previous: Any) -> list[dict[str, Any]]:
    if not isinstance(found, dict):
        return list(previous or [])
    mesh = found.get("clusterMesh")
    hubble = found.get("hubble")
    element: dict[str, Any] = {
        "cluster_id": found.get("clusterId"),
        "cluster_mesh": [],
        "hubble": [],
    }
    if isinstance(mesh, dict):
        server = mesh.get("apiServer")
        element["cluster_mesh"] = [
            {
                "enabled": mesh.get("enabled"),
                "api_server": [
                    {"node_port": server.get("nodePort"), "service_type": server.get("serviceType")}
                ]
                if isinstance(server, dict)
                else [],
            }
        ]
    if isinstance(hubble, dict):
        relay, ui = hubble.get("relay"), hubble.get("ui")
        element["hubble"] = [
            {
                "enabled": hubble.get("enabled"),
                "relay": [{"enabled": relay.get("enabled")}] if isinstance(relay, dict) else [],
                "ui": [_ui_state(ui)] if isinstance(ui, dict) else [],
            }
        ]
    return [element]


def _ui_state(ui: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"enabled": ui.get("enabled")}
    for attr, key in UI_RESOURCES:
        resources = ui.get(key)
        out[attr] = (
            [
                {
                    name: [dict(resources[name])] if isinstance(resources.get(name), dict) else []
                    for name in ("limits", "requests")
                }
            ]
            if isinstance(resources, dict)
            else []
        )
    return out


def _ip_allocation_state(found: Any, previous: Any) -> list[dict[str, Any]]:
    if not isinstance(found, dict):
        return list(previous or [])
    return [
        {
            "pods_ipv4_cidr": found.get("podsIpv4Cidr"),
            "services_ipv4_cidr": found.get("servicesIpv4Cidr"),
        }
    ]
