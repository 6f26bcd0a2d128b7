"""`workshop sandbox up --address`: a classroom sandbox serves its API on one address
(loopback 127.0.0.2 here, standing in for a LAN address), with TLS and credentials only,
and a class created on it hands out kubeconfigs for that address."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import Kubectl
from workshop.sandbox import Sandbox

pytestmark = pytest.mark.integration

ADDRESS = "127.0.0.2"


def workshop(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workshop.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "WORKSHOP_HOME": str(home), "NO_PROXY": "127.0.0.1,127.0.0.2"},
    )


@pytest.fixture(scope="module")
def classroom_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("classroom-home")
    try:
        yield home
    finally:
        workshop(home, "sandbox", "down")


def listening(pid: int, port: int) -> set[str]:
    """The IPv4 addresses on which process ``pid`` listens on ``port`` (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = str(fd.readlink())
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port and inode in inodes:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_up_with_an_address_serves_tls_with_credentials_only(classroom_home: Path) -> None:
    started = workshop(classroom_home, "sandbox", "up", "--address", ADDRESS, "--nodes", "1")
    assert started.returncode == 0, started.stderr
    assert "warning" in started.stderr and "anonymous requests are refused" in started.stderr
    config = yaml.safe_load((classroom_home / "kubeconfig").read_text())
    server = config["clusters"][0]["cluster"]["server"]
    assert server.startswith(f"https://{ADDRESS}:")
    port = int(server.rsplit(":", 1)[1])
    ca = classroom_home / "sandbox" / "pki" / "ca.crt"
    context = ssl.create_default_context(cafile=str(ca))  # verifies 127.0.0.2 is in its SANs
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server}/version", context=context, timeout=10)
    assert refused.value.code == 401  # anonymous: refused, even /version
    refused.value.close()
    apiserver = next(
        c.pid for c in Sandbox(classroom_home).status().components if c.name == "kube-apiserver"
    )
    assert apiserver is not None
    assert listening(apiserver, port) == {ADDRESS}  # nothing on the usual address
    with pytest.raises(urllib.error.URLError):  # plain HTTP is not served either
        urllib.request.urlopen(f"http://{ADDRESS}:{port}/version", timeout=10)


def test_a_class_on_it_reaches_the_learners_through_that_address(classroom_home: Path) -> None:
    out = classroom_home / "class"
    created = workshop(
        classroom_home, "class", "create", "lan", "--learners", "1", "--labs", "04",
        "--out", str(out), "--kubeconfig", str(classroom_home / "kubeconfig"),
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    config = yaml.safe_load((out / "learner-01.kubeconfig").read_text())
    assert config["clusters"][0]["cluster"]["server"].startswith(f"https://{ADDRESS}:")
    learner = Kubectl(out / "learner-01.kubeconfig")
    who = json.loads(learner("auth", "whoami", "-o", "json"))
    assert who["status"]["userInfo"]["username"] == "system:serviceaccount:lan-learner-01:learner"
    assert (
        learner("auth", "can-i", "create", "deployments", "-n", "lan-learner-01-lab-04") == "yes\n"
    )
    denied = learner.run("auth", "can-i", "get", "pods", "-n", "kube-system", check=False)
    assert denied.stdout == "no\n"


def test_load_balancers_listen_on_that_address_so_learners_open_the_pages(
    classroom_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A learner solves lab 04 up to its page with their own kubeconfig: the Service's
    load balancer is written and listens on the sandbox's address, and the HTTP check
    (which fetches the page as the learner's browser would) passes through it."""
    from workshop import course
    from workshop.cluster import connect

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,127.0.0.2")
    kubeconfig = classroom_home / "class" / "learner-01.kubeconfig"
    assert kubeconfig.exists(), "the class test above creates it"
    cluster = connect(kubeconfig=kubeconfig)
    try:
        lab = course.place(cluster, course.find_lab("04"))
        assert lab.namespace == "lan-learner-01-lab-04"
        store = course.ProgressStore(tmp_path / "progress.json")
        for step in ("deploy", "expose", "open-page"):
            solved = course.solve(cluster, lab, step, progress=store, timeout=180)
            assert solved[-1].result.passed, solved[-1].result.message
        [page] = course.check(cluster, lab, "open-page", progress=store)
        assert page.passed, page.message
    finally:
        cluster.close()
    service = json.loads(
        Kubectl(kubeconfig)("get", "service", "hello", "-n", lab.namespace, "-o", "json")
    )
    assert service["status"]["loadBalancer"]["ingress"][0]["ip"] == ADDRESS
    urls = service["metadata"]["annotations"]["sandbox.workshop.dev/load-balancer-urls"].split()
    assert urls and all(url.startswith(f"http://{ADDRESS}:") for url in urls)
    port = int(urls[0].rsplit(":", 1)[1])
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urls[0], timeout=10) as answer:
        assert answer.status == 200 and b"Hello" in answer.read()
    # the balancer is on the class's address, not on this machine's loopback (asked of the
    # kernel: another program may hold the same port number on 127.0.0.1)
    addons = next(c.pid for c in Sandbox(classroom_home).status().components if c.name == "addons")
    assert addons is not None
    assert listening(addons, port) == {ADDRESS}
