"""A Service answers over HTTP at its LoadBalancer address, as a learner's browser would see it.

The address is ``status.loadBalancer.ingress[0]`` (``ip``, else ``hostname``); the port is
that ingress entry's ``ports[0].port`` when the load balancer lists one, else the Service's
first port. A load balancer that listens elsewhere than the Service's port (the local
sandbox's, on a free port of this machine) lists its URLs in the Service annotation
``sandbox.workshop.dev/load-balancer-urls`` (space-separated), read here like any other
field of the object.
"""

from __future__ import annotations

from workshop.course.checks.base import CheckResult, Object, Reader, failed, passed
from workshop.course.schema import HttpCheck

URLS_ANNOTATION = "sandbox.workshop.dev/load-balancer-urls"


def load_balancer_urls(service: Object, path: str = "/") -> list[str]:
    """Where a LoadBalancer Service answers (empty until the load balancer has an address)."""
    meta, spec = service.get("metadata") or {}, service.get("spec") or {}
    listed = ((meta.get("annotations") or {}).get(URLS_ANNOTATION) or "").split()
    if listed:
        return [url.rstrip("/") + path for url in listed]
    urls = []
    ingresses = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    for ingress in ingresses:
        address = ingress.get("ip") or ingress.get("hostname")
        if not address:
            continue
        ports = ingress.get("ports") or spec.get("ports") or [{}]
        port = ports[0].get("port", 80)
        host = f"[{address}]" if ":" in str(address) else str(address)
        urls.append(f"http://{host}{'' if port == 80 else f':{port}'}{path}")
    return urls


def answers(reader: Reader, check: HttpCheck, namespace: str) -> CheckResult:
    service = reader.get("v1", "Service", check.service, namespace)
    name = f"service {check.service}"
    watch = f"`kubectl get service {check.service} -n {namespace} -w` shows when it gets one"
    if service is None:
        return failed(
            f"{name} not found in namespace {namespace}",
            hint=f"`kubectl get services -n {namespace}` lists what is there",
        )
    spec = service.get("spec") or {}
    if spec.get("type") != "LoadBalancer":
        return failed(
            f"{name} is of type {spec.get('type', 'ClusterIP')}, so it has no external address",
            hint="a Service of type LoadBalancer gets one from the cloud (or the sandbox)",
        )
    urls = load_balancer_urls(service, check.path)
    if not urls:
        return failed(
            f"{name} has no external address yet (status.loadBalancer.ingress is empty)",
            hint=f"a cloud load balancer takes a minute or two to appear; {watch}",
        )
    url = urls[0]
    try:
        answer = reader.http_get(url, timeout=check.timeout)
    except OSError as e:
        return failed(
            f"{url} ({name}) did not answer: {e}",
            hint=f"are its pods ready? `kubectl get endpointslices -n {namespace} "
            f"-l kubernetes.io/service-name={check.service}` lists where it sends traffic",
        )
    if answer.status != check.status:
        return failed(f"{url} ({name}) answered {answer.status}, expected {check.status}")
    if check.contains and check.contains not in answer.text:
        return failed(
            f"{url} ({name}) answered {answer.status} but the page does not contain "
            f"{check.contains!r}"
        )
    return passed(f"{url} ({name}) answered {answer.status}")
