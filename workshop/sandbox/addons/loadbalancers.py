"""LoadBalancer Services: the sandbox's address and a real listening port, like a cloud's.

For each ``type: LoadBalancer`` Service, this controller does what a cloud controller
manager does: it keeps the finalizer ``service.kubernetes.io/load-balancer-cleanup`` on
the Service (so the balancer is taken down before the Service goes), opens a listener per
Service port, and writes ``status.loadBalancer.ingress``. Each connection goes to the next
ready endpoint of the Service's EndpointSlices, in turn, and is answered there by the app
simulator, as the pod's image would answer. No ready endpoint: HAProxy's 503 page.

Which address? The sandbox's own: loopback, or the one given to `workshop sandbox up
--address`, so that a class's learners open the pages (and their checks reach them) from
their machines. Which port? The Service's own port where this machine allows it (ports
under 1024 need root), else its nodePort (free to use, and what a real load balancer
forwards to), else any free port. The choice is kept in the annotation
``sandbox.workshop.dev/load-balancer-urls`` (``workshop sandbox urls`` lists them) and
reused after a restart.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client.exceptions import ApiException

from workshop.sandbox.addons import annotations as notes
from workshop.sandbox.addons import servers
from workshop.sandbox.addons.apps import Apps
from workshop.sandbox.addons.client import MERGE_PATCH, Events, Kube, call
from workshop.sandbox.addons.loop import Controller, Informer

FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
SERVICE_LABEL = "kubernetes.io/service-name"
HOST = "127.0.0.1"
CLASS_LABEL = "workshop.dev/class"  # on a class learner's namespaces (workshop.classroom)


@dataclass(frozen=True)
class Backend:
    pod: str
    port: int
    node: str


def backends(slices: list[dict[str, Any]], port_name: str) -> list[Backend]:
    """The ready pod endpoints of a Service port, from its EndpointSlices, in a stable order."""
    found = set()
    for piece in slices:
        number = next(
            (p.get("port") for p in piece.get("ports") or [] if (p.get("name") or "") == port_name),
            None,
        )
        if number is None:
            continue
        for endpoint in piece.get("endpoints") or []:
            ref = endpoint.get("targetRef") or {}
            ready = (endpoint.get("conditions") or {}).get("ready")
            if ref.get("kind") == "Pod" and ready is not False:
                found.add(Backend(ref["name"], number, endpoint.get("nodeName", "")))
    return sorted(found, key=lambda b: (b.pod, b.port))


def rotation(ready: list[Backend], turn: int) -> list[Backend]:
    """Round robin: start at this connection's turn, keep the others as fallbacks."""
    if not ready:
        return []
    start = turn % len(ready)
    return ready[start:] + ready[:start]


def port_candidates(
    port: dict[str, Any], recorded: int | None, *, shared: bool = False
) -> Iterator[int]:
    """Where to listen for one Service port, best first (0: any free port).

    ``shared``: the Service is a class learner's, on the instructor's machine, so never its
    own port (443, or JupyterLab's 8888, before the instructor's programs take them): its
    nodePort, which the API server allocates in 30000-32767, one per Service.
    """
    wanted = (port.get("nodePort"), 0) if shared else (port["port"], port.get("nodePort"), 0)
    for candidate in (recorded, *wanted):
        if candidate is not None:
            yield candidate


@dataclass
class Balancer:
    """The listeners of one Service, by Service port name."""

    listeners: dict[str, tuple[asyncio.Server, int]] = field(default_factory=dict)
    turns: itertools.count[int] = field(default_factory=itertools.count)


class LoadBalancers(Controller):
    name = "load-balancers"

    def __init__(
        self,
        kube: Kube,
        services: Informer,
        slices: Informer,
        pods: Informer,
        apps: Apps,
        network: servers.Network,
        host: str = HOST,
    ) -> None:
        super().__init__()
        self.host = host  # where the listeners bind; also the address clients are given
        self.address = HOST if host == "0.0.0.0" else host  # noqa: S104 - compares only
        self.kube, self.services, self.slices, self.pods = kube, services, slices, pods
        self.apps, self.network = apps, network
        self.events = Events(kube, "service-controller")
        self.balancers: dict[str, Balancer] = {}
        self.watch(services)
        self.watch(slices, self._service_of)

    @staticmethod
    def _service_of(piece: dict[str, Any]) -> list[str]:
        name = (piece["metadata"].get("labels") or {}).get(SERVICE_LABEL)
        return [f"{piece['metadata']['namespace']}/{name}"] if name else []

    def reconcile(self, key: str) -> float | None:
        service = self.services.get(key)
        if service is None or not self._wanted(service):
            self._take_down(key, service)
            return None
        meta = service["metadata"]
        balancer = self.balancers.get(key)
        if balancer is None:
            self.events.record(service, "Service", "EnsuringLoadBalancer", "Ensuring load balancer")
            balancer = self.balancers[key] = Balancer()
        recorded = self._recorded(service)
        ports = [p for p in service["spec"].get("ports") or [] if p.get("protocol", "TCP") == "TCP"]
        shared = False
        if any((p.get("name") or "") not in balancer.listeners for p in ports):
            shared = self._in_a_class(meta["namespace"])
        for port in ports:
            name = port.get("name") or ""
            if name not in balancer.listeners:
                balancer.listeners[name] = self._listen(
                    key, port, recorded.get(port["port"]), shared=shared
                )
        for name in set(balancer.listeners) - {p.get("name") or "" for p in ports}:
            self.network.close(balancer.listeners.pop(name)[0])
        urls = " ".join(
            f"http://{self.address}:{bound}" for _, bound in balancer.listeners.values()
        )
        finalizers = meta.get("finalizers") or []
        changes: dict[str, Any] = {}
        if FINALIZER not in finalizers:  # take the balancer down before the Service goes
            changes["finalizers"] = [*finalizers, FINALIZER]
        if (meta.get("annotations") or {}).get(notes.LB_URLS) != urls:
            changes["annotations"] = {notes.LB_URLS: urls}
        if changes:
            self._patch(service, {"metadata": changes})
        if "annotations" in changes:
            self.log.info("%s: load balancer at %s", key, urls)
            self.events.record(service, "Service", "EnsuredLoadBalancer", "Ensured load balancer")
        ingress = [{"ip": self.address, "ipMode": "VIP"}]
        if service.get("status", {}).get("loadBalancer", {}).get("ingress") != ingress:
            call(
                self.kube.core.patch_namespaced_service_status,
                meta["name"],
                meta["namespace"],
                {"status": {"loadBalancer": {"ingress": ingress}}},
            )
        return None

    def _in_a_class(self, namespace: str) -> bool:
        """Whether a class's learner owns the namespace (its label says which class)."""
        found = call(self.kube.core.read_namespace, namespace) or {}
        return CLASS_LABEL in ((found.get("metadata") or {}).get("labels") or {})

    @staticmethod
    def _wanted(service: dict[str, Any]) -> bool:
        spec = service["spec"]
        return (
            spec.get("type") == "LoadBalancer"
            and not spec.get("loadBalancerClass")  # another controller's balancer
            and not service["metadata"].get("deletionTimestamp")
        )

    @staticmethod
    def _recorded(service: dict[str, Any]) -> dict[int, int]:
        """Service port -> the port it listened on before (from the URL annotation)."""
        urls = ((service["metadata"].get("annotations") or {}).get(notes.LB_URLS) or "").split()
        ports = [p["port"] for p in service["spec"].get("ports") or []]
        bound = [int(u.rpartition(":")[2]) for u in urls if u.rpartition(":")[2].isdigit()]
        return dict(zip(ports, bound, strict=False))

    def _listen(
        self, key: str, port: dict[str, Any], recorded: int | None, *, shared: bool = False
    ) -> tuple[asyncio.Server, int]:
        for candidate in port_candidates(port, recorded, shared=shared):
            try:
                server = self.network.listen(self.host, candidate, self._handler(key, port))
            except OSError as e:  # taken, or under 1024 without root
                self.log.info("%s: port %s unavailable (%s)", key, candidate or "any", e.strerror)
                continue
            return server, servers.port_of(server)
        raise OSError(f"no port to listen on for {key}")

    def _handler(self, key: str, port: dict[str, Any]) -> servers.Handler:
        namespace = key.split("/", 1)[0]
        port_name = port.get("name") or ""

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            balancer = self.balancers.get(key)
            service = self.services.get(key)
            if balancer is None or service is None:
                writer.close()
                return
            slices = [s for s in self.slices.items() if self._service_of(s) == [key]]
            ready = backends(slices, port_name)
            sticky = service["spec"].get("sessionAffinity") == "ClientIP"
            for backend in rotation(ready, 0 if sticky else next(balancer.turns)):
                pod = self.pods.get(f"{namespace}/{backend.pod}") or {}
                client = pod.get("status", {}).get("hostIP", HOST)  # kube-proxy's SNAT: a node
                if await self.apps.connect(
                    namespace, backend.pod, backend.port, reader, writer, client
                ):
                    return
            await servers.refuse(writer)

        return handle

    def _take_down(self, key: str, service: dict[str, Any] | None) -> None:
        balancer = self.balancers.pop(key, None)
        if balancer is not None:
            for server, _ in balancer.listeners.values():
                self.network.close(server)
            self.log.info("%s: load balancer removed", key)
            if service is not None:
                self.events.record(
                    service, "Service", "DeletedLoadBalancer", "Deleted load balancer"
                )
        if service is None:
            return
        meta = service["metadata"]
        finalizers = meta.get("finalizers") or []
        if FINALIZER in finalizers:
            remaining = [f for f in finalizers if f != FINALIZER]
            self._patch(service, {"metadata": {"finalizers": remaining}})
        if not meta.get("deletionTimestamp") and service.get("status", {}).get("loadBalancer"):
            call(
                self.kube.core.patch_namespaced_service_status,
                meta["name"],
                meta["namespace"],
                {"status": {"loadBalancer": {"ingress": None}}},
                _content_type=MERGE_PATCH,
            )

    def _patch(self, service: dict[str, Any], patch: dict[str, Any]) -> None:
        """A merge patch guarded by resourceVersion: a stale cache gets a 409 and a retry."""
        meta = service["metadata"]
        patch["metadata"]["resourceVersion"] = meta["resourceVersion"]
        try:
            call(
                self.kube.core.patch_namespaced_service,
                meta["name"],
                meta["namespace"],
                patch,
                _content_type=MERGE_PATCH,
            )
        except ApiException as e:
            if e.status == 404:
                return
            raise
