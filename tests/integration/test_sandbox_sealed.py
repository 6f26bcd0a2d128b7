"""What a process on the same machine reaches of a sandbox: etcd only with a certificate of
etcd's own CA, kwok's kubelet port only with kube-apiserver's (as root), and nothing of the
environment of whoever ran ``up``; what ``kubectl exec`` reaches from kwok's jail: the API,
through its relay, and no listener of the machine (as root).

The sandbox is started by the real CLI, in a process whose environment holds an
instructor's OVHcloud keys (made-up values), as the README tells instructors to export them.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Kubectl
from workshop.sandbox import Sandbox, components, jail, jailnet, pki
from workshop.sandbox.sandbox import JAILED
from workshop.sandbox.state import State

pytestmark = pytest.mark.integration

# what an instructor keeps in their shell; the values are unique to this run
SECRETS = {
    "OVH_APPLICATION_SECRET": f"app-secret-{uuid.uuid4().hex}",
    "OVH_CONSUMER_KEY": f"consumer-key-{uuid.uuid4().hex}",
}
NS = "sealed"


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **SECRETS, "WORKSHOP_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "workshop.cli", "sandbox", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox started by ``workshop sandbox up`` run with the instructor's keys set."""
    home = tmp_path_factory.mktemp("sealed-home")
    up = cli(home, "up", "--nodes", "1")
    try:
        assert up.returncode == 0, up.stderr
        yield Sandbox(home)
    finally:
        down = cli(home, "down")
        assert down.returncode == 0, down.stderr


@pytest.fixture(scope="module")
def kubectl(box: Sandbox) -> Kubectl:
    return Kubectl(box.kubeconfig)


@pytest.fixture(scope="module")
def secret_key(kubectl: Kubectl) -> str:
    """A Secret written through the API; its key in etcd."""
    kubectl("create", "namespace", NS)
    kubectl("create", "secret", "generic", "plain", "-n", NS, "--from-literal=word=in-etcd")
    return f"/registry/secrets/{NS}/plain"


def etcd_port(box: Sandbox) -> int:
    etcd = box.etcd()
    assert etcd is not None
    return int(etcd.url.rsplit(":", 1)[1])


def read(box: Sandbox, key: str, context: ssl.SSLContext) -> bytes:
    """``etcdctl get key`` through etcd's HTTP/JSON gateway, over ``context``."""
    connection = http.client.HTTPSConnection(
        "127.0.0.1", etcd_port(box), context=context, timeout=10
    )
    try:
        body = json.dumps({"key": base64.b64encode(key.encode()).decode()})
        connection.request("POST", "/v3/kv/range", body=body)
        answer = connection.getresponse()
        assert answer.status == 200, answer.read()
        return base64.b64decode(json.load(answer)["kvs"][0]["value"])
    finally:
        connection.close()


def trusting_etcd(box: Sandbox) -> ssl.SSLContext:
    """Trusts etcd's CA, presents no certificate."""
    etcd = box.etcd()
    assert etcd is not None
    return ssl.create_default_context(cafile=str(etcd.ca))


def test_the_sandboxs_etcd_client_certificate_reads_a_secret(box: Sandbox, secret_key: str) -> None:
    etcd = box.etcd()
    assert etcd is not None and etcd.url.startswith("https://127.0.0.1:")
    stored = read(box, secret_key, etcd.ssl_context())
    assert stored.startswith(b"k8s\x00") and b"in-etcd" in stored  # no encryption at rest


def test_plain_http_to_etcd_gets_nothing(box: Sandbox, secret_key: str) -> None:
    key = base64.b64encode(secret_key.encode()).decode()
    body = json.dumps({"key": key}).encode()
    request = (
        b"POST /v3/kv/range HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )
    answer = b""
    with socket.create_connection(("127.0.0.1", etcd_port(box)), timeout=10) as s:
        s.sendall(request)
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    # Go's TLS server answers a plain HTTP request with a 400 and closes
    assert b"in-etcd" not in answer and b"kvs" not in answer
    assert answer == b"" or answer.startswith(b"HTTP/1.0 400"), answer[:200]


def refusal(box: Sandbox, key: str, context: ssl.SSLContext) -> str:
    """Why etcd would not answer over ``context``, while it answers the workshop's client."""
    etcd = box.etcd()
    assert etcd is not None
    assert b"in-etcd" in read(box, key, etcd.ssl_context())  # up, and answering
    with pytest.raises(OSError) as refused:
        read(box, key, context)
    return str(refused.value)


# With TLS 1.3, etcd checks the client's certificate after the client's side of the
# handshake: its alert reaches the client, or the connection is already closed or reset.
CLOSED = "EOF occurred|reset by peer"


def test_tls_without_a_client_certificate_is_refused(box: Sandbox, secret_key: str) -> None:
    why = refusal(box, secret_key, trusting_etcd(box))
    assert re.search(f"CERTIFICATE_REQUIRED|{CLOSED}", why), why


def test_a_certificate_of_the_clusters_ca_does_not_open_etcd(box: Sandbox, secret_key: str) -> None:
    # the admin's: the cluster's CA also signs certificates for approved CSRs
    keys = pki.Pki(box.layout.pki)
    context = trusting_etcd(box)
    context.load_cert_chain(str(keys.cert("admin")), str(keys.key("admin")))
    why = refusal(box, secret_key, context)
    assert re.search(f"UNKNOWN_CA|{CLOSED}", why), why


def test_kube_apiserver_reaches_etcd_with_its_certificate(
    kubectl: Kubectl, secret_key: str
) -> None:
    word = kubectl("get", "secret", "plain", "-n", NS, "-o", "jsonpath={.data.word}")
    assert base64.b64decode(word) == b"in-etcd"


def test_status_says_etcd_wants_a_client_certificate(box: Sandbox) -> None:
    status = cli(box.home, "status")
    assert status.returncode == 0, status.stderr
    line = next(x for x in status.stdout.splitlines() if x.startswith("etcd:"))
    assert f"https://127.0.0.1:{etcd_port(box)}" in line
    assert "TLS, client certificates of etcd's CA only" in line
    assert f"etcd client certificate: {box.layout.pki / 'etcd-client.crt'}" in status.stdout


def test_every_key_and_certificate_is_the_users_alone(box: Sandbox) -> None:
    keys = pki.Pki(box.layout.pki)
    assert stat.S_IMODE(keys.root.stat().st_mode) == 0o700
    modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in keys.root.iterdir()}
    assert {f.name for f in keys.files()} <= set(modes)
    assert set(modes.values()) == {0o600}, modes


def test_exec_shows_no_variable_of_the_instructors_environment(
    box: Sandbox, kubectl: Kubectl, secret_key: str
) -> None:
    kubectl(
        "run", "shell", "-n", NS, "--image=busybox", "--restart=Always", "--",
        "sh", "-c", "sleep 3600",
    )  # fmt: skip
    kubectl("wait", "--for=condition=Ready", "-n", NS, "pod/shell", "--timeout=60s")
    env = kubectl("exec", "-n", NS, "shell", "--", "env")
    variables = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    assert variables["PATH"] == components.PATH  # kwok's own, fixed: the exec did run env
    leaked = {k for k, v in os.environ.items() if variables.get(k) == v and len(v) > 3}
    assert leaked <= {"PATH", "LANG", "LC_ALL", "NO_PROXY"}, leaked
    for value in SECRETS.values():
        assert value not in env
    assert not [k for k in variables if k.startswith("OVH_")]
    # its TMPDIR takes a file, also where it runs as nobody (a sandbox run as root)
    wrote = kubectl("exec", "-n", NS, "shell", "--", "sh", "-c",
                    'echo kept > "$TMPDIR/probe.$$" && cat "$TMPDIR/probe.$$"')  # fmt: skip
    assert wrote.strip() == "kept"


@pytest.fixture(scope="module")
def shell(box: Sandbox, kubectl: Kubectl, secret_key: str) -> Callable[[str], str]:
    """``kubectl exec`` into a pod of the sandbox: a learner's shell."""
    kubectl(
        "run", "jailed", "-n", NS, "--image=busybox", "--restart=Always", "--",
        "sh", "-c", "sleep 3600",
    )  # fmt: skip
    kubectl("wait", "--for=condition=Ready", "-n", NS, "pod/jailed", "--timeout=60s")

    def run(command: str) -> str:
        return kubectl("exec", "-n", NS, "jailed", "--", "sh", "-c", command)

    return run


root_only = pytest.mark.skipif(
    os.geteuid() != 0, reason="an ordinary user's sandbox has no jail: exec runs as that user"
)


@root_only
def test_exec_sees_no_process_of_the_machine(box: Sandbox, shell: Callable[[str], str]) -> None:
    assert jail.bwrap(), "root runs the sandbox, so kwok runs in bubblewrap (make setup)"
    assert (
        box.status().exec_runs == JAILED == "as nobody, in a bubblewrap jail with its own network"
    )
    assert box.status().exec_jailed
    seen = shell("ps -e -o pid=,user=,args=")
    rows = [line.split(maxsplit=2) for line in seen.splitlines() if line.strip()]
    programs = {Path(args.split()[0]).name for _, _, args in rows}
    # the jail, kwok, and the learner's own commands: nothing else of the machine
    assert programs == {"bwrap", "kwok", "sh", "ps"}, seen
    assert {user for _, user, _ in rows} == {"root", "nobody"}, seen
    # the exec user may not stop kwok, whose process it sees
    kwok = next(line.split()[0] for line in seen.splitlines() if "/kwok " in line)
    refused = shell(f"kill -TERM {kwok} 2>&1 || echo refused")
    assert "refused" in refused
    kwoks = [c for c in box.status().components if c.name == "kwok"]
    assert [(c.state, c.restarts) for c in kwoks] == [("running", 0)]


@root_only
def test_exec_sees_none_of_the_workshops_files(box: Sandbox, shell: Callable[[str], str]) -> None:
    home = box.home
    outside = Path("/tmp") / f"host-only-{uuid.uuid4().hex}"
    outside.write_text("the machine's")
    try:
        probes = {
            "home": f"ls {home}/kubeconfig",
            "pki": f"ls {box.layout.pki}",
            "kwok's kubeconfig": f"cat {box.layout.component_kubeconfig('kwok')}",
            "pods' logs": f"ls {box.layout.pods}",
            "checkout": f"ls {Path(__file__).resolve().parents[2]}/README.md",
            "machine's /tmp": f"cat {outside}",
            "root's home": "ls /root/.workshop",
        }
        for what, probe in probes.items():
            answer = shell(f"{probe} >/dev/null 2>&1 && echo READ || echo denied")
            assert answer.strip() == "denied", what
    finally:
        outside.unlink()
    # the jail's own /tmp, HOME and TMPDIR work, and are bounded
    assert shell('echo kept > "$HOME/f" && cat "$HOME/f"').strip() == "kept"
    limits = shell("grep 'Max processes' /proc/self/limits").split()
    assert limits[2:4] == [str(jail.PROCESSES)] * 2, limits


def test_no_process_of_the_sandbox_holds_the_instructors_keys(box: Sandbox) -> None:
    pids = [c.pid for c in box.status().components if c.pid]
    assert len(pids) >= 7  # the supervisor, etcd, the control plane, kwok, the add-ons
    for pid in pids:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert b"OVH_" not in environ, pid
        assert all(value.encode() not in environ for value in SECRETS.values())


def test_an_older_sandboxs_pki_gets_etcds_certificates_on_up(
    box: Sandbox, kubectl: Kubectl, secret_key: str
) -> None:
    assert cli(box.home, "down").returncode == 0
    keys = pki.Pki(box.layout.pki)
    # as a sandbox made before etcd had TLS left its folder
    for name in ("etcd-ca", "etcd-server", "apiserver-etcd-client", "etcd-client"):
        keys.cert(name).unlink()
        keys.key(name).unlink()
    for path in keys.root.glob("*.crt"):
        path.chmod(0o644)
    admin = keys.cert("admin").read_bytes()
    up = cli(box.home, "up")
    assert up.returncode == 0, up.stderr
    assert keys.cert("admin").read_bytes() == admin  # the kubeconfigs stay valid
    assert {stat.S_IMODE(f.stat().st_mode) for f in keys.files()} == {0o600}
    etcd = box.etcd()
    assert etcd is not None
    assert b"in-etcd" in read(box, secret_key, etcd.ssl_context())
    word = kubectl("get", "secret", "plain", "-n", NS, "-o", "jsonpath={.data.word}")
    assert base64.b64decode(word) == b"in-etcd"


def ports(box: Sandbox) -> components.Ports:
    state = State.load(box.layout.state_file)
    assert state is not None
    return state.ports


def kubelet(box: Sandbox, request: bytes, context: ssl.SSLContext | None) -> bytes:
    """What kwok's kubelet port on the machine answers ``request`` (plain, or over TLS)."""
    answer = b""
    with socket.create_connection(("127.0.0.1", ports(box).kwok), timeout=10) as raw:
        try:
            with (
                context.wrap_socket(raw, server_hostname="localhost")
                if context
                else contextlib.nullcontext(raw)
            ) as s:
                s.sendall(request)
                while chunk := s.recv(65536):
                    answer += chunk
        except OSError:  # refused during or after the handshake, or reset
            pass
    return answer


@pytest.fixture(scope="module")
def talker(kubectl: Kubectl, secret_key: str) -> bytes:
    """A pod whose log only the API server may read; the request for it at the kubelet."""
    kubectl(
        "run", "talker", "-n", NS, "--image=busybox", "--restart=Always", "--",
        "sh", "-c", "echo said-only-to-the-api-server; sleep 3600",
    )  # fmt: skip
    kubectl("wait", "--for=condition=Ready", "-n", NS, "pod/talker", "--timeout=60s")
    return f"GET /containerLogs/{NS}/talker/talker HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()


@pytest.mark.xfail(
    os.geteuid() != 0,
    strict=True,
    raises=AssertionError,  # the port answered the pod's log
    reason="run as an ordinary user, kwok listens on the machine itself, and kwok v0.8.0 "
    "cannot ask for client certificates: Server.Run (pkg/kwok/server/server.go) serves TLS "
    "with no ClientCAs and plain HTTP on the same port",
)
def test_kwoks_kubelet_port_refuses_a_request_without_a_certificate(
    box: Sandbox, kubectl: Kubectl, talker: bytes
) -> None:
    # the API server, with its kubelet client certificate, gets the log
    logs = kubectl("logs", "-n", NS, "talker")
    assert "said-only-to-the-api-server" in logs
    keys = pki.Pki(box.layout.pki)
    trusting = ssl.create_default_context(cafile=str(keys.ca_cert))
    admin = ssl.create_default_context(cafile=str(keys.ca_cert))
    # another identity of the same CA, even system:masters: the CA also signs approved CSRs
    admin.load_cert_chain(str(keys.cert("admin")), str(keys.key("admin")))
    for how, context in (("plain HTTP", None), ("no certificate", trusting), ("admin", admin)):
        answer = kubelet(box, talker, context)
        assert b"said-only" not in answer and b"HTTP/" not in answer, (how, answer[:200])


def test_status_says_exec_runs_in_a_network_of_its_own(box: Sandbox) -> None:
    status = cli(box.home, "status")
    assert status.returncode == 0, status.stderr
    line = next(x for x in status.stdout.splitlines() if x.startswith("exec:"))
    if os.geteuid() == 0:
        assert line.endswith("as nobody, in a bubblewrap jail with its own network"), line
    else:
        assert "own network" not in line, line


def machine_listeners() -> set[int]:
    """The TCP ports on which something of this machine listens on 127.0.0.1 (or on all)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port = local.split(":")
        if state == "0A" and address in ("0100007F", "00000000"):  # LISTEN
            found.add(int(port, 16))
    return found


def load_balancer_port(box: Sandbox, kubectl: Kubectl) -> int:
    kubectl("create", "deployment", "front", "-n", NS, "--image=nginx")
    kubectl("expose", "deployment", "front", "-n", NS, "--port=80", "--type=LoadBalancer")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        urls = next((u for ns, name, u in box.urls() if (ns, name) == (NS, "front")), [])
        if urls:
            return int(urls[0].rsplit(":", 1)[1].split("/")[0])
        time.sleep(0.2)
    raise AssertionError("the LoadBalancer Service got no address in 60 s")


def forward_port(kubectl: Kubectl) -> int:
    """The port where the add-ons answer kwok's port-forward to pod ``front`` (in the jail)."""
    pod = kubectl(
        "get", "pod", "-n", NS, "-l", "app=front", "-o", "jsonpath={.items[0].metadata.name}"
    )
    kubectl("wait", "--for=condition=Ready", "-n", NS, f"pod/{pod}", "--timeout=60s")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = kubectl.run(
            "get", "portforwards.kwok.x-k8s.io", pod, "-n", NS,
            "-o", "jsonpath={.spec.forwards[0].target.port}", check=False,
        )  # fmt: skip
        if got.returncode == 0 and got.stdout.strip():
            return int(got.stdout)
        time.sleep(0.2)
    raise AssertionError(f"pod {pod} got no PortForward object in 60 s")


def machine_address() -> str:
    """This machine's address on its network (the route out of it), or a stand-in."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: the kernel only picks a route
        except OSError:
            return "192.0.2.1"  # no network here: any address will do
        address: str = s.getsockname()[0]
        return address


@root_only
def test_exec_reaches_no_listener_of_the_machine(
    box: Sandbox, kubectl: Kubectl, shell: Callable[[str], str]
) -> None:
    p = ports(box)
    lb = load_balancer_port(box, kubectl)
    app = forward_port(kubectl)
    named = {
        "etcd": p.etcd,
        "etcd's peers": p.etcd_peer,
        "the registry": p.registry,
        "kwok's port in the jail (it trusts every caller)": p.kwok,
        "a LoadBalancer Service": lb,
        "a pod's app, where kwok's port-forward dials": app,
    }
    everything = machine_listeners() | set(named.values())
    assert {lb, p.etcd, p.kwok} <= machine_listeners()  # they do listen, on the machine
    everything.discard(p.apiserver)  # the same number in the jail is the API relay
    probe = "; ".join(
        f"busybox nc -w 2 127.0.0.1 {port} </dev/null >/dev/null 2>&1 && echo open {port}"
        for port in sorted(everything)
    )
    opened = shell(probe + "; echo done")
    assert opened.split() == ["done"], {
        n: port for n, port in named.items() if f"open {port}" in opened
    }
    # nor kube-apiserver (or anything) at the machine's own address: the jail has no route
    outside = shell(
        f"busybox nc -w 2 {machine_address()} {p.apiserver} </dev/null 2>&1; echo rc=$?"
    )
    assert "rc=0" not in outside, outside
    # the exec user may not rewrite the jail's firewall (it has no capability)
    bwrap = jail.bwrap()
    nft = jailnet.nft(bwrap) if bwrap else None
    assert nft, "make setup installs nftables"
    refused = shell(f"{nft} flush ruleset 2>&1; echo rc=$?")
    assert "Operation not permitted" in refused and "rc=0" not in refused, refused


@root_only
def test_exec_reaches_the_api_through_its_relay_where_rbac_decides(
    box: Sandbox, shell: Callable[[str], str]
) -> None:
    url = f"https://127.0.0.1:{ports(box).apiserver}"
    fetch = "busybox wget -q -O- --no-check-certificate"
    assert shell(f"{fetch} {url}/healthz").strip() == "ok"  # public, as on any cluster
    denied = shell(f"{fetch} {url}/api/v1/secrets 2>&1; echo rc=$?")
    assert "403" in denied and "rc=1" in denied, denied  # no credentials: anonymous, refused
