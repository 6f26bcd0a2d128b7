"""kwok's jail network: the plan, the firewall rule, the relays and what status says.

The relay tests make a real network namespace (root, as the jail itself needs) and real
sockets on both sides; they run in well under a second and start no cluster.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from workshop.sandbox import components, jail, jailnet, netns, pki, relays
from workshop.sandbox.layout import Layout
from workshop.sandbox.sandbox import JAILED, UNISOLATED, Sandbox
from workshop.sandbox.supervisor import Supervisor

PORTS = components.Ports(apiserver=16443, etcd=12379, etcd_peer=12380, kwok=10250, registry=15000)
BINARIES = {
    n: Path(f"/opt/bin/{n}")
    for n in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
}


def planned(tmp_path: Path, jailed: tuple[str, ...]) -> dict[str, components.Component]:
    made = components.control_plane(
        Layout(tmp_path), binaries=BINARIES, ports=PORTS, jail=jailed, exec_dir=tmp_path / "x"
    )
    return {c.name: c for c in made}


def test_a_jailed_kwok_runs_in_the_jails_network_and_the_api_server_checks_its_front(
    tmp_path: Path,
) -> None:
    prefix = jail.prefix("/usr/bin/bwrap", read=[], exec_dir=tmp_path / "x")
    p = planned(tmp_path, prefix)
    assert p["kwok"].netns == "enter" and p["addons"].netns == "pass"
    assert {c.netns for n, c in p.items() if n not in ("kwok", "addons")} == {""}
    ca = f"--kubelet-certificate-authority={tmp_path / 'sandbox/pki/ca.crt'}"
    assert ca in p["kube-apiserver"].argv
    # kwok listens where it always did, now inside the jail: the front takes that port outside
    assert "--server-address=127.0.0.1:10250" in p["kwok"].argv
    assert "--node-port=10250" in p["kwok"].argv


def test_an_unjailed_kwok_keeps_the_machines_network(tmp_path: Path) -> None:
    p = planned(tmp_path, ())
    assert {c.netns for c in p.values()} == {""}
    assert not any(
        a.startswith("--kubelet-certificate-authority") for a in p["kube-apiserver"].argv
    )


def test_the_crossing_names_both_ports_and_the_fronts_certificates(tmp_path: Path) -> None:
    crossing = components.crossing(
        Layout(tmp_path), ports=PORTS, api_host="192.0.2.10", nft="/usr/sbin/nft"
    )
    assert (crossing.api_port, crossing.api_host, crossing.kubelet_port) == (
        16443,
        "192.0.2.10",
        10250,
    )
    assert crossing.ca == str(tmp_path / "sandbox/pki/ca.crt")
    assert crossing.cert == str(tmp_path / "sandbox/pki/serving.crt")
    assert crossing.client == pki.CLIENTS["apiserver-kubelet-client"][0]
    plan = json.loads(json.dumps(crossing.to_plan()))  # as run/plan.json keeps it
    assert jailnet.Crossing.from_plan(plan) == crossing
    assert jailnet.Crossing.from_plan(None) is None


def test_the_rule_lets_only_root_connect_beyond_the_api_relay() -> None:
    text = jailnet.rules(16443)
    lines = [line.strip() for line in text.splitlines()]
    assert f"table inet {jailnet.TABLE} {{" in lines
    assert "type filter hook output priority filter; policy accept;" in lines
    rules = [line for line in lines if line.startswith("meta ")]
    # in order: the exec user's way to the API, then nothing else for anyone but root
    assert rules == [
        "meta skuid != 0 ip daddr 127.0.0.1 tcp dport 16443 accept",
        "meta skuid != 0 reject",
    ]


def test_without_nft_the_supervisor_says_exec_is_not_isolated(tmp_path: Path) -> None:
    crossing = components.crossing(Layout(tmp_path), ports=PORTS, api_host="127.0.0.1", nft=None)
    assert "nftables" in (Supervisor.isolate(-1, crossing) or "")


def write_plan(layout: Layout, kwok_argv: list[str]) -> None:
    layout.run.mkdir(parents=True)
    plan = {"components": [{"name": "kwok", "argv": kwok_argv}]}
    (layout.run / "plan.json").write_text(json.dumps(plan))


def test_status_says_exec_is_jailed_with_its_own_network_only_when_the_rule_holds(
    tmp_path: Path,
) -> None:
    box = Sandbox(tmp_path)
    prefix = jail.prefix("/usr/bin/bwrap", read=[], exec_dir=tmp_path / "x")
    write_plan(box.layout, [*prefix, "/opt/bin/kwok"])
    assert box._exec_runs({"isolated": True, "problem": None}) == JAILED
    assert "own network" in JAILED
    refused = box._exec_runs({"isolated": False, "problem": "nft failed: no table"})
    assert refused == f"{UNISOLATED} (nft failed: no table)"
    assert "exec is jailed without network isolation" in refused
    assert box._exec_runs(None) != JAILED  # the supervisor has not made it yet


def test_certificate_common_names() -> None:
    cert = {"subject": ((("organizationName", "system:masters"),), (("commonName", "x"),))}
    assert relays.common_name(cert) == "x"
    assert relays.common_name({}) is None
    assert relays.common_name(None) is None


# -- the relays, for real (root) --------------------------------------------------------------

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace needs root")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Echo:
    """A server that answers each connection with ``tag`` and what it was sent."""

    def __init__(self, listener: socket.socket, tag: bytes) -> None:
        listener.setblocking(True)
        self.listener, self.tag = listener, tag
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed: the test is over
            with conn:
                conn.sendall(self.tag + conn.recv(1024))

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(5)


@dataclass
class Border:
    """A jail's network, its crossing and the sandbox's certificates; what was started."""

    crossing: jailnet.Crossing
    jail: int
    pki: Path
    started: list[Echo | relays.Relays] = field(default_factory=list)

    def echo(self, namespace: int | None, port: int, tag: bytes) -> None:
        self.started.append(Echo(netns.listener_in(namespace, "127.0.0.1", port), tag))

    def relays(self) -> None:
        made = relays.Relays(self.crossing, self.jail, lambda _line: None)
        made.start()
        self.started.append(made)


@pytest.fixture
def border(tmp_path: Path) -> Iterator[Border]:
    layout = Layout(tmp_path)
    pki.ensure(pki.Pki(layout.pki), hosts=["127.0.0.1"])
    ports = components.Ports(
        apiserver=free_port(), etcd=0, etcd_peer=0, kwok=free_port(), registry=0
    )
    crossing = components.crossing(layout, ports=ports, api_host="127.0.0.1", nft=None)
    made = Border(crossing, netns.create(), layout.pki)
    try:
        yield made
    finally:
        for thing in reversed(made.started):
            thing.stop() if isinstance(thing, relays.Relays) else thing.close()
        os.close(made.jail)


def ask(sock: socket.socket, line: bytes) -> bytes:
    sock.sendall(line)
    answer = b""
    while chunk := sock.recv(1024):
        answer += chunk
    return answer


@root_only
def test_the_api_relay_carries_the_jails_connections_to_the_machine(border: Border) -> None:
    c = border.crossing
    border.echo(None, c.api_port, b"api:")
    border.relays()
    with netns.inside(border.jail):  # as kwok dials it, from the jail's loopback
        inside = socket.create_connection(("127.0.0.1", c.api_port), timeout=5)
    with inside:
        assert ask(inside, b"hello") == b"api:hello"
    # the jail's loopback is not the machine's: the front's port is not there
    with netns.inside(border.jail), pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", c.kubelet_port), timeout=5)


def tls(border: Border, client: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=border.crossing.ca)
    context.check_hostname = False
    if client:
        keys = pki.Pki(border.pki)
        context.load_cert_chain(str(keys.cert(client)), str(keys.key(client)))
    return context


def front(border: Border, context: ssl.SSLContext) -> bytes:
    """What the kubelet front answers over ``context``; nothing if it refuses."""
    with socket.create_connection(("127.0.0.1", border.crossing.kubelet_port), timeout=5) as raw:
        try:
            with context.wrap_socket(raw) as wrapped:
                return ask(wrapped, b"hello")
        except OSError:  # TLS 1.3: the refusal comes after the client's side of the handshake
            return b""


@root_only
def test_the_kubelet_front_lets_in_the_api_servers_certificate_only(border: Border) -> None:
    c = border.crossing
    border.echo(border.jail, c.kubelet_port, b"kwok:")
    border.relays()
    assert front(border, tls(border, "apiserver-kubelet-client")) == b"kwok:hello"
    # no certificate, or another identity of the same CA (the admin's): nothing
    assert front(border, tls(border, None)) == b""
    assert front(border, tls(border, "admin")) == b""
    with socket.create_connection(("127.0.0.1", c.kubelet_port), timeout=5) as plain:
        try:
            answer = ask(plain, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        except ConnectionResetError:
            answer = b""
    assert answer == b""


@root_only
def test_the_rule_loads_in_the_jails_network_only(border: Border) -> None:
    bwrap = jail.bwrap()
    nft = jailnet.nft(bwrap) if bwrap else None
    assert nft, "root with bubblewrap: nft works here (make setup installs nftables)"
    with_nft = jailnet.Crossing(**{**border.crossing.to_plan(), "nft": nft})
    assert Supervisor.isolate(border.jail, with_nft) is None

    def tables(*prefix: str) -> str:
        listed = subprocess.run(
            [*prefix, nft, "list", "tables"], capture_output=True, text=True, check=True
        )
        return listed.stdout

    assert jailnet.TABLE in tables("nsenter", f"--net=/proc/{os.getpid()}/fd/{border.jail}")
    assert jailnet.TABLE not in tables()  # the machine's firewall is untouched


def test_a_splice_passes_bytes_both_ways_and_the_end() -> None:
    async def main() -> bytes:
        async def upstream(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            w.write(b"from upstream:" + await r.read())  # to the end: the client half-closed
            await w.drain()
            w.close()

        server = await asyncio.start_server(upstream, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]

        async def relay(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await relays.splice((r, w), await asyncio.open_connection("127.0.0.1", port))

        middle = await asyncio.start_server(relay, "127.0.0.1", 0)
        r, w = await asyncio.open_connection("127.0.0.1", middle.sockets[0].getsockname()[1])
        w.write(b"hello")
        w.write_eof()
        answer = await r.read()
        w.close()
        await w.wait_closed()
        for s in (server, middle):
            s.close()
            await s.wait_closed()
        return answer

    assert asyncio.run(main()) == b"from upstream:hello"
