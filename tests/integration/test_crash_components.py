"""One component of the sandbox killed with SIGKILL in the middle of writes: the supervisor
restarts it by itself, no acknowledged write is lost, and the workload comes back."""

from __future__ import annotations

import os
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Kubectl, kubectl_binary
from tests.integration import crashkit
from workshop.sandbox import Sandbox, pki
from workshop.sandbox.layout import COMPONENTS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with crashkit.sandbox_with_workload(tmp_path_factory.mktemp("crash-home")) as sandbox:
        yield sandbox


def registry_answers(box: Sandbox) -> bool:
    context = ssl.create_default_context(cafile=str(pki.Pki(box.layout.pki).ca_cert))
    try:
        url = f"https://{box.registry_host()}/v2/"
        with urllib.request.urlopen(url, context=context, timeout=5):
            return True
    except urllib.error.HTTPError as e:
        return e.code == 401  # it answers, and asks for the login
    except OSError:
        return False


@pytest.mark.parametrize("component", COMPONENTS)
def test_a_killed_component_comes_back_by_itself(box: Sandbox, component: str) -> None:
    kubectl = Kubectl(box.kubeconfig)
    before = crashkit.pids(box)
    with crashkit.Writer(box, f"w-{component}") as writer:
        writer.wait_for(20)
        crashkit.kill(before[component])

        def restarted() -> bool:
            now = {c.name: c for c in box.status().components}
            c = now[component]
            return bool(c.pid and c.pid != before[component] and c.state == "running")

        crashkit.until(f"the supervisor to restart {component}", restarted)
        writer.wait_for(20)  # writes go through again
    assert writer.lost(kubectl) == set()
    status = box.status()
    assert status.running
    assert {c.name: c.restarts for c in status.components}[component] >= 1
    # every other component kept its process (the supervisor restarts only what died)
    others = {k: v for k, v in crashkit.pids(box).items() if k != component}
    assert others == {k: v for k, v in before.items() if k != component}
    # `up` sees a running sandbox and leaves it alone
    assert box.up() is False
    replicas = 3 if COMPONENTS.index(component) % 2 else 2
    crashkit.workload_serves(box, kubectl, replicas=replicas)
    if component == "registry":
        crashkit.until("the registry to answer", lambda: registry_answers(box))


def test_a_restarted_kwok_drives_new_pods_at_once(box: Sandbox) -> None:
    """kwok killed: the supervisor frees its node leases before the new kwok runs."""
    kubectl = Kubectl(box.kubeconfig)
    log: Path = box.log_file("supervisor")
    seen = log.read_text().count("released")
    crashkit.kill(crashkit.pids(box)["kwok"])
    crashkit.until(
        "the leases to be released", lambda: log.read_text().count("released") > seen, timeout=30
    )
    kubectl("run", "after-kwok", "--image=nginx", "-n", crashkit.NAMESPACE)
    kubectl("wait", "--for=condition=Ready", "pod/after-kwok", "-n", crashkit.NAMESPACE,
            "--timeout=90s")  # fmt: skip
    kubectl("delete", "pod", "after-kwok", "-n", crashkit.NAMESPACE, "--wait=false")


def forwarded_page(kubectl: Kubectl, pod: str) -> str | None:
    """The page ``kubectl port-forward pod/<pod> :80`` serves, or None if it does not."""
    process = subprocess.Popen(
        [kubectl_binary(), f"--kubeconfig={kubectl.kubeconfig}", "port-forward", f"pod/{pod}",
         ":80", "-n", crashkit.NAMESPACE],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "Forwarding from 127.0.0.1:PORT -> 80"
        if "Forwarding from 127.0.0.1:" not in line:
            return None
        port = line.split("127.0.0.1:", 1)[1].split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            text: str = page.read().decode()
            return text
    except (OSError, urllib.error.URLError):
        return None
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout:
            process.stdout.close()


@pytest.mark.parametrize("component", ["kwok", "addons"])
def test_exec_logs_and_port_forward_work_again_after_a_kill(box: Sandbox, component: str) -> None:
    """kwok's jail network, its relays (the supervisor's) and the pods' port-forward
    listeners (the add-ons') outlive a killed kwok; a killed add-ons process opens the
    listeners again where kwok dials."""
    kubectl = Kubectl(box.kubeconfig)
    pod = f"after-{component}"
    kubectl("run", pod, "--image=nginx", "-n", crashkit.NAMESPACE)
    kubectl("wait", "--for=condition=Ready", f"pod/{pod}", "-n", crashkit.NAMESPACE,
            "--timeout=90s")  # fmt: skip
    before = crashkit.pids(box)[component]
    crashkit.kill(before)
    crashkit.until(
        f"the supervisor to restart {component}",
        lambda: crashkit.pids(box).get(component, before) != before,
    )

    def run(*args: str) -> str | None:
        done = kubectl.run("-n", crashkit.NAMESPACE, *args, check=False)
        return done.stdout if done.returncode == 0 else None

    said = crashkit.until("exec to answer", lambda: run("exec", pod, "--", "echo", "back"))
    assert said.strip() == "back"
    crashkit.until("logs to answer", lambda: run("logs", pod))
    page = crashkit.until("port-forward to answer", lambda: forwarded_page(kubectl, pod))
    assert "nginx" in page
    kubectl("delete", "pod", pod, "-n", crashkit.NAMESPACE, "--wait=false")
