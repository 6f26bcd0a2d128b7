"""Where a LoadBalancer Service answers: the address the cloud (or the sandbox) gave it."""

from __future__ import annotations

from typing import Any

from workshop.cluster import Cluster

Object = dict[str, Any]


def url_of(service: Object, path: str = "/") -> str | None:
    """``http://ADDRESS[:PORT]/path`` from ``status.loadBalancer.ingress[0]``, or ``None``.

    The port is the ingress entry's own when the load balancer lists one, else the
    Service's first port (the same rule as the lab checks).
    """
    spec, status = service.get("spec") or {}, service.get("status") or {}
    ingress = ((status.get("loadBalancer") or {}).get("ingress") or [{}])[0]
    address = ingress.get("ip") or ingress.get("hostname")
    if not address:
        return None
    ports = ingress.get("ports") or spec.get("ports") or [{}]
    port = ports[0].get("port", 80)
    host = f"[{address}]" if ":" in str(address) else str(address)
    return f"http://{host}{'' if port == 80 else f':{port}'}{path}"


def service_url(cluster: Cluster, name: str, namespace: str, path: str = "/") -> str | None:
    """The URL of Service ``name`` once it has an external address (else ``None``)."""
    service = cluster.api.get("v1", "Service", name, namespace)
    return url_of(service, path) if service else None
