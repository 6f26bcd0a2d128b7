"""The relays across kwok's jail network, run by the supervisor in one thread (asyncio).

They live in the supervisor rather than in a process of their own: a Python process costs
~20 MB of a 2 GB Binder, and the supervisor already outlives every kwok and dies with the
whole sandbox. The jail's network is the supervisor's too (``netns.py``), so a kwok
restarted after a crash finds the relays where they were, and a supervisor killed takes
its jail network, relays and children with it (the next ``up`` makes them anew).

``jailnet.py`` says what each relay is for; this module only moves bytes. A relay never
reads what it carries, except that the kubelet front is a TLS server: it checks the client's
certificate and hands the decrypted stream to kwok's port.
"""

from __future__ import annotations

import asyncio
import resource
import ssl
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from workshop.sandbox import netns
from workshop.sandbox.jailnet import Crossing

CHUNK = 256 * 1024
MAX_CONNECTIONS = 1000
"""Connections one relay carries at once; more are closed (a loop of ``exec`` opening them
cannot take every file of the supervisor)."""
HANDSHAKE_SECONDS = 10.0

Log = Callable[[str], None]
Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def front_context(crossing: Crossing) -> ssl.SSLContext:
    """The kubelet front's TLS: the serving certificate, and a client certificate required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(crossing.cert, crossing.key)
    context.load_verify_locations(crossing.ca)
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["http/1.1"])  # kwok's plain port speaks HTTP/1.1
    return context


def common_name(peercert: dict[str, Any] | None) -> str | None:
    """The subject's common name of a certificate as ``SSLSocket.getpeercert()`` gives it."""
    for rdn in (peercert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction until its end; pass the end on (half-close where TCP allows)."""
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
            return
    except OSError:  # reset, or TLS broken off: end both directions
        pass
    writer.close()


async def splice(one: Streams, other: Streams) -> None:
    """Carry bytes both ways between two connections until both ends are done."""
    try:
        await asyncio.gather(_pump(one[0], other[1]), _pump(other[0], one[1]))
    finally:
        one[1].close()
        other[1].close()


class Relays:
    """The API relay (jail -> machine) and the kubelet front (machine -> jail)."""

    def __init__(self, crossing: Crossing, jail: int, log: Log) -> None:
        self.crossing = crossing
        self.jail = jail
        self.log = log
        self.loop = asyncio.new_event_loop()
        self.loop.set_exception_handler(self._on_error)
        self._open: dict[str, int] = {"api": 0, "kubelet": 0}
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self.loop.run_forever, name="relays", daemon=True)

    def start(self) -> None:
        """Listen on both sides and serve from a thread; raises OSError if a port is taken."""
        # every relayed connection holds two files
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        c = self.crossing
        api = netns.listener_in(self.jail, "127.0.0.1", c.api_port)
        try:
            front = netns.listener_in(None, "127.0.0.1", c.kubelet_port)
        except OSError:
            api.close()
            raise
        self._thread.start()
        self._servers.append(
            self._run(asyncio.start_server(self._guarded("api", self._api), sock=api))
        )
        self._servers.append(
            self._run(
                asyncio.start_server(
                    self._guarded("kubelet", self._kubelet),
                    sock=front,
                    ssl=front_context(c),
                    ssl_handshake_timeout=HANDSHAKE_SECONDS,
                )
            )
        )

    def stop(self) -> None:
        """Close the listeners and every connection they carry; end the thread."""
        if not self._thread.is_alive():
            return
        self._run(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    async def _close(self) -> None:
        for server in self._servers:
            server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()

    def _run(self, coroutine: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)  # type: ignore[arg-type]

    def _guarded(
        self, name: str, handler: Callable[[Streams], Awaitable[None]]
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self._open[name] >= MAX_CONNECTIONS:
                writer.close()
                return
            self._open[name] += 1
            task = asyncio.current_task()
            assert task is not None
            self._tasks.add(task)
            try:
                await handler((reader, writer))
            except OSError:
                pass
            finally:
                writer.close()
                self._tasks.discard(task)
                self._open[name] -= 1

        return handle

    async def _api(self, jailed: Streams) -> None:
        """From the jail to kube-apiserver on the machine (this thread's network)."""
        c = self.crossing
        try:
            outside = await asyncio.open_connection(c.api_host, c.api_port)
        except OSError:
            jailed[1].close()  # kube-apiserver restarting: kwok's client tries again
            return
        await splice(jailed, outside)

    async def _kubelet(self, outside: Streams) -> None:
        """From kube-apiserver, with its kubelet client certificate, to kwok in the jail."""
        name = common_name(outside[1].get_extra_info("peercert"))
        if name != self.crossing.client:
            self.log(f"kubelet front: refused a client certificate for {name!r}")
            outside[1].close()
            return
        sock = netns.socket_in(self.jail)
        try:
            await self.loop.sock_connect(sock, ("127.0.0.1", self.crossing.kubelet_port))
        except OSError:
            sock.close()
            outside[1].close()  # kwok restarting: kube-apiserver reports the node's error
            return
        jailed = await asyncio.open_connection(sock=sock)
        await splice(outside, jailed)

    def _on_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        # one line in the supervisor's log, never a traceback per connection
        self.log(f"relays: {context.get('message')}: {context.get('exception')!r}")
