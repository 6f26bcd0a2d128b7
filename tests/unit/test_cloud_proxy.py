"""The IP-restricting endpoint in front of a cluster's API server, on loopback sockets."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from workshop.cloud.proxy import Proxies, allowed
from workshop.sandbox import ports


def test_allowed_addresses() -> None:
    assert allowed("127.0.0.1", [])  # no restriction: everyone
    assert allowed("127.0.0.1", ["127.0.0.0/8"])
    assert allowed("203.0.113.9", ["198.51.100.0/24", "203.0.113.0/24"])
    assert not allowed("127.0.0.1", ["203.0.113.0/24"])
    assert allowed("::ffff:127.0.0.1", ["127.0.0.1/32"])  # IPv4 seen through IPv6


class Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(1024):
            self.request.sendall(data.upper())


@pytest.fixture
def proxies() -> Iterator[tuple[Proxies, int]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started: list[str] = []

    def backend(cluster: str) -> int:
        started.append(cluster)
        return int(server.server_address[1])

    proxies = Proxies(backend)
    proxies.start()
    port = ports.pick(1)[0]
    proxies.open("c1", port, [])
    yield proxies, port
    proxies.stop()
    server.shutdown()
    server.server_close()
    assert started  # the backend was asked for the cluster's API server


def exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
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
