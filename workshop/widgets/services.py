"""Where a LoadBalancer Service answers: the address the cloud (or the sandbox) gave it."""

from __future__ import annotations

from workshop.cluster import Cluster
from workshop.course import load_balancer_urls


def service_url(cluster: Cluster, name: str, namespace: str, path: str = "/") -> str | None:
    """The URL of Service ``name`` once it has an external address (else ``None``): the
    same address the lab checks open (see ``workshop.course.checks.web``)."""
    service = cluster.api.get("v1", "Service", name, namespace)
    urls = load_balancer_urls(service, path) if service else []
    return urls[0] if urls else None
