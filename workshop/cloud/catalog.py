"""What the emulated Managed Kubernetes offers: regions, versions, flavors, limits (data).

Flavors are the sandbox's node flavors (``workshop/sandbox/flavors.yaml``), so a node
pool's nodes get that flavor's capacity. The only version offered is the one the local
binaries run: a cluster never claims a version it does not run.
"""

from __future__ import annotations

from typing import Any

from workshop.sandbox import components
from workshop.sandbox import nodes as sandbox_nodes

# Region -> its availability zones; a one-zone region lists none, as the API does.
REGIONS: dict[str, tuple[str, ...]] = {
    "BHS5": (),
    "DE1": (),
    "GRA5": (),
    "GRA7": (),
    "GRA9": (),
    "GRA11": (),
    "SBG5": (),
    "SGP1": (),
    "SYD1": (),
    "UK1": (),
    "WAW1": (),
    "EU-WEST-PAR": ("eu-west-par-a", "eu-west-par-b", "eu-west-par-c"),
}

# The limits of the service (docs: "Known limits").
MAX_NODES_PER_POOL = 100
MAX_ANTI_AFFINITY_NODES = 5
MAX_NAME_LENGTH = 40
ETCD_QUOTA_BYTES = 400 * 1000 * 1000

UPDATE_POLICIES = ("ALWAYS_UPDATE", "MINIMAL_DOWNTIME", "NEVER_UPDATE")
UPDATE_STRATEGIES = ("LATEST_PATCH", "NEXT_MINOR")
KUBE_PROXY_MODES = ("iptables", "ipvs")
PLANS = ("free", "standard")
TAINT_EFFECTS = ("NoExecute", "NoSchedule", "PreferNoSchedule")

# What the sandbox's kube-apiserver really runs (components.ADMISSION_PLUGINS): of the
# two plugins the API lets you switch, NodeRestriction is on and AlwaysPullImages off.
SWITCHABLE_ADMISSION_PLUGINS = ("AlwaysPullImages", "NodeRestriction")
ADMISSION_PLUGINS = {
    "enabled": [p for p in SWITCHABLE_ADMISSION_PLUGINS if p in components.ADMISSION_PLUGINS],
    "disabled": [p for p in SWITCHABLE_ADMISSION_PLUGINS if p not in components.ADMISSION_PLUGINS],
}
IP_ALLOCATION_POLICY = {
    "podsIpv4Cidr": components.POD_CIDR,
    "servicesIpv4Cidr": components.SERVICE_CIDR,
}


def patch_version() -> str:
    """``1.37.2-1``: the binaries' Kubernetes version and a build number, as MKS spells it."""
    return sandbox_nodes.KUBELET_VERSION.removeprefix("v") + "-1"


def versions() -> list[str]:
    """The ``major.minor`` versions a cluster can be created with."""
    major, minor, _ = patch_version().split(".", 2)
    return [f"{major}.{minor}"]


def flavors() -> dict[str, dict[str, Any]]:
    return sandbox_nodes.flavors()


def flavor_view(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """A flavor as ``/capabilities/kube/flavors`` lists it."""
    return {
        "name": name,
        "category": spec.get("category", name[0]),
        "state": spec.get("state", "available"),
        "vCPUs": spec["cpu"],
        "ram": spec["memory"],
        "gpus": spec.get("gpus", 0),
    }
