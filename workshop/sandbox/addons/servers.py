"""The simulated servers' sockets: HTTP/1.1, a small Redis, database greetings (asyncio).

One event loop in its own thread (``Network``) serves every listener of the add-ons: the
pods' port-forward targets and the load balancers. ``serve`` speaks the protocol of the
container's program; what an HTTP server answers is decided in ``pages.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fnmatch
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workshop.sandbox import netns
from workshop.sandbox.addons import pages

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
MAX_HEADER = 64 * 1024
MAX_BODY = 10 * 2**20
IDLE_SECONDS = 30.0


class Network:
    """An asyncio event loop in a daemon thread; controllers hand it work from their threads."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="network", daemon=True)
        self._thread.start()

    def run(self, coroutine: Awaitable[Any], timeout: float = 10.0) -> Any:
        """Run ``coroutine`` on the loop and wait for its result (from another thread)."""
        future: concurrent.futures.Future[Any] = asyncio.run_coroutine_threadsafe(
            coroutine,  # type: ignore[arg-type]
            self.loop,
        )
        return future.result(timeout)

    def listen(
        self, host: str, port: int, handler: Handler, *, namespace: int | None = None
    ) -> asyncio.Server:
        """A listening socket on ``host:port`` (0: any free port); raises OSError if taken.

        ``namespace`` is a network namespace's descriptor to listen in (``netns.py``).
        """
        if namespace is not None:
            sock = netns.listener_in(namespace, host, port)
            made: asyncio.Server = self.run(asyncio.start_server(handler, sock=sock))
            return made
        server: asyncio.Server = self.run(
            asyncio.start_server(handler, host, port, reuse_address=True, backlog=512)
        )
        return server

    def close(self, server: asyncio.Server) -> None:
        self.loop.call_soon_threadsafe(server.close)

    def later(self, delay: float, callback: Callable[[], None]) -> None:
        """Call ``callback`` on the loop after ``delay`` seconds."""
        self.loop.call_soon_threadsafe(self.loop.call_later, delay, callback)


def port_of(server: asyncio.Server) -> int:
    port: int = server.sockets[0].getsockname()[1]
    return port


@dataclass
class Container:
    """A running container's server, as a connection sees it."""

    site: pages.Site
    log: Callable[[str], None]
    protocol: str = "http"


async def serve(
    container: Container,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    client: str,
) -> None:
    """Answer one connection as the container's program would, then close it."""
    try:
        if container.protocol == "redis":
            await _redis(container, reader, writer)
        elif container.protocol in ("mysql", "postgres"):
            await _database(container, reader, writer)
        else:
            await _http(container, reader, writer, client)
    except (ConnectionError, asyncio.IncompleteReadError, TimeoutError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def refuse(writer: asyncio.StreamWriter) -> None:
    """A load balancer with no ready backend: HAProxy's 503 page, then close."""
    body = (
        b"<html><body><h1>503 Service Unavailable</h1>\n"
        b"No server is available to handle this request.\n</body></html>\n"
    )
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/html\r\nCache-Control: no-cache\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + body)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()


async def read_request(reader: asyncio.StreamReader) -> pages.Request | None:
    """One HTTP/1.x request, or None when the client closed the connection."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_SECONDS)
    if len(head) > MAX_HEADER:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return None
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    length = min(int(headers.get("content-length", "0") or 0), MAX_BODY)
    body = await reader.readexactly(length) if length else b""
    return pages.Request(parts[0], parts[1], parts[2], headers, body)


def render(response: pages.Response, keep_alive: bool) -> bytes:
    reason = pages.REASONS.get(response.status, "OK")
    headers = {
        "Content-Type": response.content_type,
        "Content-Length": str(len(response.body)),
        "Connection": "keep-alive" if keep_alive else "close",
        **response.headers,
    }
    head = f"HTTP/1.1 {response.status} {reason}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode("latin-1") + response.body


async def _http(
    container: Container, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, client: str
) -> None:
    while True:
        try:
            request = await read_request(reader)
        except (asyncio.IncompleteReadError, TimeoutError):
            return
        if request is None:
            return
        response = pages.respond(container.site, request)
        keep_alive = (
            request.version == "HTTP/1.1"
            and request.headers.get("connection", "").lower() != "close"
        )
        writer.write(render(response, keep_alive))
        await writer.drain()
        container.log(pages.access_log(container.site, request, response, client))
        if not keep_alive:
            return


# -- a small Redis: enough for redis-cli and the labs' key-value examples ---------------------


def _store(container: Container) -> Path | None:
    data = container.site.data
    return data / "dump.json" if data is not None else None


def _load(container: Container) -> dict[str, str]:
    path = _store(container)
    if path is None or not path.exists():
        return {}
    loaded: dict[str, str] = json.loads(path.read_text())
    return loaded


def _save(container: Container, values: dict[str, str]) -> None:
    # Written at every change: a pod deleted at any moment keeps what it was told.
    path = _store(container)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


async def _read_command(reader: asyncio.StreamReader) -> list[str] | None:
    line = await asyncio.wait_for(reader.readline(), 300)
    if not line:
        return None
    if not line.startswith(b"*"):  # an inline command, as typed in telnet
        return line.decode(errors="replace").split()
    words = []
    for _ in range(int(line[1:])):
        size = int((await reader.readline())[1:])
        words.append((await reader.readexactly(size + 2))[:-2].decode(errors="replace"))
    return words


def _bulk(value: str | None) -> bytes:
    if value is None:
        return b"$-1\r\n"
    data = value.encode()
    return b"$%d\r\n%s\r\n" % (len(data), data)


async def _redis(
    container: Container, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    while True:
        words = await _read_command(reader)
        if words is None:
            return
        if not words:
            continue
        reply = redis_reply(container, [words[0].upper(), *words[1:]])
        writer.write(reply)
        await writer.drain()
        if words[0].upper() == "QUIT":
            return


def redis_reply(container: Container, words: list[str]) -> bytes:
    """The answer to one Redis command (the common ones; others are refused as unknown)."""
    name, args = words[0], words[1:]
    if name == "PING":
        return _bulk(args[0]) if args else b"+PONG\r\n"
    if name == "ECHO" and args:
        return _bulk(args[0])
    if name in ("QUIT", "SELECT", "CLIENT", "FLUSHALL", "FLUSHDB", "SAVE"):
        if name.startswith("FLUSH"):
            _save(container, {})
        return b"+OK\r\n"
    if name == "COMMAND":
        return b"*0\r\n"
    if name == "INFO":
        return _bulk(
            f"# Server\r\nredis_version:{container.site.version}\r\nredis_mode:standalone\r\n"
        )
    values = _load(container)
    if name == "SET" and len(args) >= 2:
        values[args[0]] = args[1]
        _save(container, values)
        return b"+OK\r\n"
    if name == "GET" and args:
        return _bulk(values.get(args[0]))
    if name in ("INCR", "DECR") and args:
        try:
            number = int(values.get(args[0], "0")) + (1 if name == "INCR" else -1)
        except ValueError:
            return b"-ERR value is not an integer or out of range\r\n"
        values[args[0]] = str(number)
        _save(container, values)
        return b":%d\r\n" % number
    if name in ("DEL", "EXISTS"):
        found = [k for k in args if k in values]
        if name == "DEL":
            for key in found:
                del values[key]
            _save(container, values)
        return b":%d\r\n" % len(found)
    if name == "KEYS" and args:
        keys = sorted(k for k in values if fnmatch.fnmatchcase(k, args[0]))
        return b"*%d\r\n" % len(keys) + b"".join(_bulk(k) for k in keys)
    if name == "DBSIZE":
        return b":%d\r\n" % len(values)
    shown = " ".join(f"'{a}'" for a in args[:3])
    return f"-ERR unknown command '{words[0]}', with args beginning with: {shown}\r\n".encode()


# -- databases: they accept connections and say plainly that no SQL runs here -----------------

NO_SQL = "the workshop sandbox simulates this database server: it accepts connections, runs no SQL"


async def _database(
    container: Container, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    version = container.site.version
    if container.protocol == "mysql":  # MySQL and MariaDB speak first
        greeting = b"\x0a" + version.encode() + b"\x00" + b"\x01\x00\x00\x00" + b"sandbox\x00"
        writer.write(len(greeting).to_bytes(3, "little") + b"\x00" + greeting)
        await writer.drain()
        await asyncio.wait_for(reader.read(4096), IDLE_SECONDS)
        error = b"\xff" + (1045).to_bytes(2, "little") + b"#28000" + NO_SQL.encode()
        writer.write(len(error).to_bytes(3, "little") + b"\x02" + error)
    else:
        await asyncio.wait_for(reader.read(4096), IDLE_SECONDS)
        fields = b"SFATAL\x00C28000\x00M" + NO_SQL.encode() + b"\x00\x00"
        writer.write(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)
    await writer.drain()
