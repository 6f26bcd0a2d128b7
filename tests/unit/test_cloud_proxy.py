"""The IP-restricting endpoint in front of a cluster's API server, on loopback sockets."""

from __future__ import annotations

import gc
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from workshop.cloud.proxy import Proxies, allowed
from workshop.sandbox import ports


def test_allowed_addresses() -> None:
    assert allowed("127.0.0.1", [])  # no restriction: everyone
    assert allowed("127.0.0.1", ["127.0.0.0/8"])
    assert allowed("203.0.113.9", ["198.51.100.0/24", "203.0.113.0/24"])
    assert not allowed("127.0.0.1", ["203.0.113.0/24"])
    assert allowed("::ffff:127.0.0.1", ["127.0.0.1/32"])  # IPv4 seen through IPv6


class Upper(socketserver.BaseRequestHandler):
    """A stand-in for kube-apiserver: reads the whole request, answers it in capitals.

    It answers once ``answer`` is set, so a test can act while the proxy waits for it.
    """

    server: Backend

    def handle(self) -> None:
        self.request.settimeout(10)  # a connection the proxy forgot cannot hold us forever
        chunks = []
        while data := self.request.recv(1024):
            chunks.append(data)
        self.server.asked.set()
        self.server.answer.wait(10)
        self.request.sendall(b"".join(chunks).upper())


class Backend(socketserver.ThreadingTCPServer):
    # handler threads are not daemons: server_close() joins them, so none outlives a test
    daemon_threads = False
    block_on_close = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Upper)
        self.asked, self.answer = threading.Event(), threading.Event()
        self.answer.set()


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="backend")
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def backend() -> Iterator[Backend]:
    with Backend() as server, serving(server):
        yield server


@pytest.fixture
def proxies(backend: Backend) -> Iterator[tuple[Proxies, int]]:
    started: list[str] = []

    def port_of(cluster: str) -> int:
        started.append(cluster)
        return int(backend.server_address[1])

    proxies = Proxies(port_of)
    proxies.start()
    try:
        port = ports.pick(1)[0]
        proxies.open("c1", port, [])
        yield proxies, port
    finally:
        proxies.stop()
    assert started  # the backend was asked for the cluster's API server


def exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        return read_all(s)


def read_all(s: socket.socket) -> bytes:
    chunks = []
    while chunk := s.recv(1024):
        chunks.append(chunk)
    return b"".join(chunks)


def test_bytes_pass_through_both_ways(proxies: tuple[Proxies, int]) -> None:
    _, port = proxies
    assert exchange(port, b"hello kube-apiserver") == b"HELLO KUBE-APISERVER"


def test_an_address_outside_the_restrictions_gets_a_tls_access_denied_alert(
    proxies: tuple[Proxies, int],
) -> None:
    proxy, port = proxies
    proxy.restrict("c1", ["203.0.113.0/24"])
    answer = exchange(port, b"\x16\x03\x01 a TLS client hello")
    assert answer == b"\x15\x03\x03\x00\x02\x02\x31"  # fatal alert 49: access_denied
    proxy.restrict("c1", ["203.0.113.0/24", "127.0.0.1/32"])
    assert exchange(port, b"again") == b"AGAIN"


def test_a_half_closed_connection_survives_the_garbage_collector(
    proxies: tuple[Proxies, int], backend: Backend
) -> None:
    """The client has sent its request and half-closed; the answer is slow to come."""
    _, port = proxies
    backend.answer.clear()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"slow request")
        s.shutdown(socket.SHUT_WR)
        assert backend.asked.wait(10)  # the proxy forwarded it, and the client's EOF
        gc.collect()  # what would run at any time on a busy machine
        backend.answer.set()
        assert read_all(s) == b"SLOW REQUEST"


def test_closing_an_endpoint_ends_its_connections(
    proxies: tuple[Proxies, int], backend: Backend
) -> None:
    proxy, port = proxies
    backend.answer.clear()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"never answered")
        s.shutdown(socket.SHUT_WR)
        assert backend.asked.wait(10)
        proxy.close("c1")
        assert read_all(s) == b""  # closed by the proxy, not by the timeout
    backend.answer.set()
