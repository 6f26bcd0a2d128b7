"""Each cluster's API endpoint: a TCP proxy in front of its kube-apiserver, with IP rules.

The kubeconfig of a managed cluster points here, not at kube-apiserver. A connection from
an address outside the cluster's ``ipRestrictions`` never reaches kube-apiserver: the
endpoint answers the client's TLS hello with a fatal ``access_denied`` alert and closes,
so kubectl fails at once with ``remote error: tls: access denied`` (a dropped or reset
connection would make it retry for most of a minute first). An empty list lets every
address in. Allowed connections pass through untouched: TLS ends at kube-apiserver, which
still authenticates the client certificate. A connection to a cluster whose control plane
is down starts it first.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("workshop.cloud.proxy")

BUFFER = 64 * 1024
ACCESS_DENIED = bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 49])
"""A TLS record: alert, TLS 1.2 framing, 2 bytes, fatal, access_denied (RFC 8446 6.2)."""
Backend = Callable[[str], int | None]
"""Cluster id -> kube-apiserver port, starting the cluster if needed (blocking)."""


def allowed(ip: str, blocks: list[str]) -> bool:
    """Whether ``ip`` may connect: it is in one of ``blocks``, or there are none."""
    if not blocks:
        return True
    address = ipaddress.ip_address(ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in ipaddress.ip_network(b, strict=False) for b in blocks)


@dataclass
class Endpoint:
    cluster: str
    port: int
    blocks: list[str] = field(default_factory=list)
    server: asyncio.Server | None = None
    connections: set[asyncio.Task[None]] = field(default_factory=set)
    """The tasks serving its connections, held here: nothing else in the loop holds them."""


class Proxies:
    """The endpoints of every cluster, served by one event loop in a thread."""

    def __init__(self, backend: Backend, host: str = "127.0.0.1") -> None:
        self.backend = backend
        self.host = host
        self.endpoints: dict[str, Endpoint] = {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="proxies", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Close every endpoint and connection, then the loop."""
        endpoints = list(self.endpoints.values())
        self.endpoints.clear()
        if self.thread.is_alive():
            self._run(self._shutdown(endpoints))
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)
        self.loop.close()

    @staticmethod
    async def _shutdown(endpoints: list[Endpoint]) -> None:
        for endpoint in endpoints:
            await _close(endpoint)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0)  # the transports' connection_lost callbacks close the sockets

    def _run(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)  # type: ignore[arg-type]

    def open(self, cluster: str, port: int, blocks: list[str]) -> None:
        """Listen for ``cluster`` on ``port`` (OSError if the port is taken)."""
        current = self.endpoints.get(cluster)
        if current is not None and current.port == port:
            current.blocks = list(blocks)
            return
        if current is not None:
            self.close(cluster)
        endpoint = Endpoint(cluster, port, list(blocks))
        self._run(self._listen(endpoint))
        self.endpoints[cluster] = endpoint

    def restrict(self, cluster: str, blocks: list[str]) -> None:
        endpoint = self.endpoints.get(cluster)
        if endpoint is not None and endpoint.blocks != blocks:
            endpoint.blocks = list(blocks)
            log.info("cluster %s: API server reachable from %s", cluster, blocks or "anywhere")

    def close(self, cluster: str) -> None:
        """Stop listening for ``cluster`` and end its connections."""
        endpoint = self.endpoints.pop(cluster, None)
        if endpoint is not None:
            self._run(_close(endpoint))

    async def _listen(self, endpoint: Endpoint) -> None:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # Python 3.11's streams hold a reader only weakly, and once the client has
            # half-closed its side, no socket the loop watches leads back to this task: the
            # garbage collector could destroy it while it waits for kube-apiserver's answer
            # (the client read nothing, and the sockets were left to the GC).
            task = asyncio.current_task()
            assert task is not None
            endpoint.connections.add(task)
            try:
                await self._serve(endpoint, reader, writer)
            finally:
                endpoint.connections.discard(task)

        endpoint.server = await asyncio.start_server(serve, self.host, endpoint.port)

    async def _serve(
        self, endpoint: Endpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            await self._forward(endpoint, reader, writer)
        except Exception as e:  # noqa: BLE001 - one connection's failure never stops the endpoint
            log.warning(
                "cluster %s: connection failed: %s: %s", endpoint.cluster, type(e).__name__, e
            )
        finally:
            writer.close()  # also when cancelled by stop(): no socket is left to the GC

    async def _forward(
        self, endpoint: Endpoint, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")[0]
        if not allowed(peer, endpoint.blocks):
            log.info("cluster %s: refused %s (not in ipRestrictions)", endpoint.cluster, peer)
            with contextlib.suppress(OSError, asyncio.TimeoutError):
                await asyncio.wait_for(reader.read(BUFFER), timeout=5)  # the client's hello
                writer.write(ACCESS_DENIED)
                await writer.drain()
            return
        try:
            port = await self.loop.run_in_executor(None, self.backend, endpoint.cluster)
            if port is None:
                raise ConnectionRefusedError(f"cluster {endpoint.cluster} has no control plane")
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        except (OSError, RuntimeError) as e:
            log.warning("cluster %s: cannot reach kube-apiserver: %s", endpoint.cluster, e)
            writer.transport.abort()
            return
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()


async def _close(endpoint: Endpoint) -> None:
    """Stop listening, then end the connections still open."""
    if endpoint.server is not None:
        endpoint.server.close()
    tasks = list(endpoint.connections)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if endpoint.server is not None:
        await endpoint.server.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(BUFFER):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        # half-close: the other direction may still carry the end of an answer
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            if writer.can_write_eof():
                writer.write_eof()
