"""Node and NodePool objects that look like OVHcloud Managed Kubernetes ones (pure data).

The sandbox asks for a NodePool; the add-ons' nodepools controller creates its Node
objects, with a flavor's capacity and the labels a managed node carries; kwok manages
every node (``--manage-all-nodes``): its ``node-initialize`` stage makes them Ready and
keeps their lease alive.
"""

from __future__ import annotations

import hashlib
import uuid
from functools import cache
from importlib import resources
from typing import Any

import yaml

from workshop.errors import SandboxError

DEFAULT_FLAVOR = "b3-8"
DEFAULT_POOL = "nodepool"
REGION = "GRA11"
ZONE = "nova"
KUBELET_VERSION = "v1.37.2"
POOL_LABEL = "nodepool"
CSI_ZONE_LABEL = "topology.cinder.csi.openstack.org/zone"
POOL_GROUP = "kube.cloud.ovh.com"
POOL_VERSION = "v1alpha1"
POOLS_PATH = f"/apis/{POOL_GROUP}/{POOL_VERSION}/nodepools"
MAX_POOL_NODES = 100


@cache
def flavors() -> dict[str, dict[str, Any]]:
    """The instance flavors a node pool can use, by name."""
    text = resources.files("workshop.sandbox").joinpath("flavors.yaml").read_text()
    data: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return data


def node_name(pool: str, index: int) -> str:
    """``<pool>-node-<6 hex>``: stable for a pool and index, like the service's names."""
    digest = hashlib.sha256(f"{pool}/{index}".encode()).hexdigest()[:6]
    return f"{pool}-node-{digest}"


def node_ip(index: int) -> str:
    """A private-range address per node, as nodes get on the service's private network."""
    return f"10.0.{index // 250}.{index % 250 + 2}"


def flavor_id(name: str) -> str:
    """The OpenStack id of a flavor, as OVHcloud puts it in ``node.kubernetes.io/instance-type``.

    On OVHcloud Managed Kubernetes that label holds the instance flavor's id, a UUID, not
    its name (guide "Deploy applications to specific Nodes and Nodes Pools": ``kubectl get
    node --show-labels``); the name is the NodePool's ``spec.flavor``. Real ids differ from
    region to region; the sandbox's are made up, one per flavor name, and never change.
    """
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://workshop.invalid/flavors/{name}"))


def flavor_spec(name: str) -> dict[str, Any]:
    """One flavor's capacity; a clear error names the known ones."""
    spec = flavors().get(name)
    if spec is None:
        raise SandboxError(
            f"unknown node flavor {name!r}", hint=f"choose one of: {', '.join(sorted(flavors()))}"
        )
    return spec


def allocatable(flavor_name: str) -> dict[str, str]:
    """What a node of this flavor offers to pods, after the system's share."""
    spec = flavor_spec(flavor_name)
    cpu, memory, disk = spec["cpu"], spec["memory"], spec["disk"]
    return {
        "cpu": f"{cpu * 1000 - 100 - 60 * cpu}m",
        "memory": f"{memory * 1024 - 500 - 100 * memory}Mi",
        "ephemeral-storage": f"{int(disk * 0.9)}Gi",
        "pods": "110",
    }


def pool_manifest(name: str, desired: int, *, flavor: str = DEFAULT_FLAVOR) -> dict[str, Any]:
    """A NodePool as the service creates it with a cluster: fixed size, no autoscaling."""
    return {
        "apiVersion": f"{POOL_GROUP}/{POOL_VERSION}",
        "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "flavor": flavor,
            "desiredNodes": desired,
            "minNodes": 0,
            "maxNodes": MAX_POOL_NODES,
            "autoscale": False,
            "antiAffinity": False,
            "monthlyBilled": False,
        },
    }


def manifest(
    *,
    pool: str,
    index: int,
    flavor: str = DEFAULT_FLAVOR,
    ip: str | None = None,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
    unschedulable: bool = False,
) -> dict[str, Any]:
    """The Node object for node ``index`` of ``pool``; extra labels, annotations and taints
    come from the pool's template."""
    spec = flavor_spec(flavor)
    name = node_name(pool, index)
    cpu, memory, disk = spec["cpu"], spec["memory"], spec["disk"]
    capacity = {
        "cpu": str(cpu),
        "memory": f"{memory}Gi",
        "ephemeral-storage": f"{disk}Gi",
        "pods": "110",
    }
    node_spec: dict[str, Any] = {
        "providerID": f"openstack:///{hashlib.sha256(name.encode()).hexdigest()[:32]}"
    }
    if taints:
        node_spec["taints"] = taints
    if unschedulable:
        node_spec["unschedulable"] = True
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": flavor_id(flavor),
                "beta.kubernetes.io/instance-type": flavor_id(flavor),
                "topology.kubernetes.io/region": REGION,
                "topology.kubernetes.io/zone": ZONE,
                "failure-domain.beta.kubernetes.io/region": REGION,
                "failure-domain.beta.kubernetes.io/zone": ZONE,
                POOL_LABEL: pool,
                "node.k8s.ovh/type": "standard",
                CSI_ZONE_LABEL: ZONE,
                **(labels or {}),
            },
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "kwok.x-k8s.io/node": "fake",
                **(annotations or {}),
            },
        },
        "spec": node_spec,
        "status": {
            "capacity": capacity,
            "allocatable": allocatable(flavor),
            "addresses": [{"type": "InternalIP", "address": ip or node_ip(index)}],
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04 LTS",
                "kernelVersion": "6.8.0-generic",
                "containerRuntimeVersion": "containerd://2.1.0",
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": KUBELET_VERSION,
                "machineID": hashlib.md5(name.encode(), usedforsecurity=False).hexdigest(),
                "systemUUID": hashlib.md5(name[::-1].encode(), usedforsecurity=False).hexdigest(),
                "bootID": hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:32],
            },
        },
    }
