"""Starting, stopping, restarting and breaking the sandbox."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Kubectl
from workshop.errors import SandboxError
from workshop.sandbox import Sandbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def second(tmp_path_factory: pytest.TempPathFactory, sandbox: Sandbox):  # type: ignore[no-untyped-def]
    """A second sandbox with its own home, running beside the session's one."""
    box = Sandbox(tmp_path_factory.mktemp("second-home"), nodes=1)
    assert box.up() is True
    yield box
    box.down()


def test_two_sandboxes_run_side_by_side(sandbox: Sandbox, second: Sandbox) -> None:
    a, b = sandbox.status(), second.status()
    assert a.running and b.running
    assert a.api_url != b.api_url
    assert (a.nodes, b.nodes) == (3, 1)


def test_a_second_up_is_harmless(second: Sandbox) -> None:
    pids = {c.name: c.pid for c in second.status().components}
    assert second.up() is False
    assert {c.name: c.pid for c in second.status().components} == pids


def test_status_reports_processes_versions_and_memory(second: Sandbox) -> None:
    st = second.status()
    assert st.version and st.version.startswith("v1.37.")
    names = {c.name for c in st.components}
    assert {
        "supervisor",
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kwok",
    } <= names
    assert all(c.state == "running" and c.pid and c.rss_bytes for c in st.components)
    assert st.uptime is not None and st.uptime >= 0
    assert st.api_url and st.api_url.startswith("https://127.0.0.1:")


def test_restart_keeps_every_object(second: Sandbox) -> None:
    kubectl = Kubectl(second.kubeconfig)
    kubectl("create", "namespace", "keep-me")
    kubectl("create", "configmap", "notes", "--from-literal=a=1", "-n", "keep-me")
    before = json.loads(kubectl("get", "configmap/notes", "-n", "keep-me", "-o", "json"))[
        "metadata"
    ]["uid"]
    assert second.down() is True
    assert not second.status().running
    assert second.up() is True
    after = json.loads(kubectl("get", "configmap/notes", "-n", "keep-me", "-o", "json"))[
        "metadata"
    ]["uid"]
    assert after == before


def test_a_restart_hands_the_nodes_to_the_new_kwok_at_once(second: Sandbox) -> None:
    """The stopped kwok's node leases are released at start: the new kwok takes the nodes
    (and their pods) now, not when the old leases expire 40 s later."""
    kubectl = Kubectl(second.kubeconfig)

    def leases() -> dict[str, str]:
        items = json.loads(kubectl("get", "leases", "-n", "kube-node-lease", "-o", "json"))
        return {i["metadata"]["name"]: i["metadata"]["uid"] for i in items["items"]}

    # kwok takes a lease per node once it runs: `up` may return before (the nodes are Ready
    # from the last run), so wait for it rather than read it at once
    deadline = time.monotonic() + 60
    while not (held := leases()):
        assert time.monotonic() < deadline, "kwok never took the node's lease"
        time.sleep(0.5)
    assert second.down() is True
    assert second.up() is True
    assert (
        "released 1 node lease(s) of the previous kwok" in second.log_file("supervisor").read_text()
    )
    kubectl("wait", "--for=condition=Ready", "node", "--all", "--timeout=60s")
    kubectl("run", "after-restart", "--image=nginx")
    kubectl("wait", "--for=condition=Ready", "pod/after-restart", "--timeout=120s")
    renewed = leases()
    assert renewed.keys() == held.keys()
    assert not set(renewed.values()) & set(held.values())  # new leases, the new kwok's
    kubectl("delete", "pod", "after-restart", "--wait=false")


def test_a_killed_component_is_restarted(second: Sandbox) -> None:
    import signal
    import time

    scheduler = next(c for c in second.status().components if c.name == "kube-scheduler")
    assert scheduler.pid
    os.kill(scheduler.pid, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = next(c for c in second.status().components if c.name == "kube-scheduler")
        if now.pid and now.pid != scheduler.pid and now.state == "running":
            assert now.restarts >= 1
            return
        time.sleep(0.2)
    pytest.fail("the scheduler was not restarted")


def test_reset_gives_an_empty_cluster(second: Sandbox) -> None:
    kubectl = Kubectl(second.kubeconfig)
    kubectl("create", "namespace", "wiped")
    second.reset()
    result = kubectl.run("get", "namespace", "wiped", check=False)
    assert result.returncode != 0 and "NotFound" in result.stderr
    assert len(json.loads(kubectl("get", "nodes", "-o", "json"))["items"]) == 1


def test_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(
            SandboxError, match=f"port {port} on 127.0.0.1 is already in use"
        ) as info:
            Sandbox(tmp_path, port=port).up()
    assert "--port" in str(info.value)
    assert not Sandbox(tmp_path).is_running()


def test_a_component_crashing_at_start_shows_its_log(tmp_path: Path) -> None:
    fake = tmp_path / "kube-apiserver"
    fake.write_text("#!/bin/sh\necho 'E1126 flag provided but not defined: --boom' >&2\nexit 1\n")
    fake.chmod(0o755)
    box = Sandbox(tmp_path / "home", binaries={"kube-apiserver": fake})
    with pytest.raises(SandboxError) as info:
        box.up(timeout=30)
    message = str(info.value)
    assert "kube-apiserver keeps crashing at start" in message
    assert "--boom" in message
    assert not box.is_running()


def test_cli_up_prints_the_export_line_last(tmp_path: Path) -> None:
    env = {**os.environ, "WORKSHOP_HOME": str(tmp_path)}
    cli = [sys.executable, "-m", "workshop.cli", "sandbox"]
    try:
        up = subprocess.run(
            [*cli, "up", "--nodes", "1"], capture_output=True, text=True, env=env, timeout=120
        )
        assert up.returncode == 0, up.stderr
        assert up.stdout.strip().splitlines()[-1] == f"export KUBECONFIG={tmp_path / 'kubeconfig'}"
        status = subprocess.run(
            [*cli, "status"], capture_output=True, text=True, env=env, timeout=60
        )
        assert status.returncode == 0, status.stderr
        assert "1/1 Ready" in status.stdout
        logs = subprocess.run(
            [*cli, "logs", "kube-apiserver", "-n", "5"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert logs.returncode == 0 and logs.stdout.strip()
    finally:
        down = subprocess.run([*cli, "down"], capture_output=True, text=True, env=env, timeout=60)
    assert down.returncode == 0
    stopped = subprocess.run([*cli, "status"], capture_output=True, text=True, env=env, timeout=60)
    assert stopped.returncode == 3 and "stopped" in stopped.stdout


def test_lifelike_pods_go_through_container_creating(tmp_path: Path) -> None:
    with Sandbox(tmp_path, nodes=1, profile="lifelike") as box:
        kubectl = Kubectl(box.kubeconfig)
        created = json.loads(kubectl("run", "slow", "--image=nginx", "-o", "json"))
        seen: list[tuple[str, str]] = []
        path = "/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Dslow"
        with kubectl.watch(
            f"{path}&resourceVersion={created['metadata']['resourceVersion']}"
        ) as changes:
            for change in changes:  # every state the pod goes through, none missed
                pod = change["object"]
                statuses = pod["status"].get("containerStatuses") or [{}]
                state = statuses[0].get("state", {})
                reason = state.get("waiting", {}).get("reason") or next(iter(state), "none")
                step = (pod["status"].get("phase", ""), reason)
                if not seen or seen[-1] != step:
                    seen.append(step)
                if step == ("Running", "running"):
                    break
        assert ("Pending", "ContainerCreating") in seen, seen
        assert seen[-1] == ("Running", "running"), seen
        assert seen.index(("Pending", "ContainerCreating")) < len(seen) - 1
