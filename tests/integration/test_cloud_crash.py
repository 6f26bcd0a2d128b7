"""kill -9 of the emulated OVHcloud API's daemon, mid-install and mid-resize.

After ``workshop cloud up`` again, the cluster finishes what
it was doing (READY, its node pool at the size asked for) or says ERROR with a reason;
it never stays INSTALLING or UPSCALING, and the kubeconfig handed out before the crash
works. Each test has its own emulator and one managed cluster (instant profile).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ovh
import pytest

from tests.integration import cloudkit
from workshop.cloud import Emulator
from workshop.cloud.managed import ManagedCluster
from workshop.cloud.store import read_only
from workshop.tools import ovh as ovh_tools

pytestmark = pytest.mark.integration
TIMEOUT = 180.0
POOL = {"name": "pool-1", "flavorName": "b3-8", "desiredNodes": 1, "maxNodes": 5}


def wait_for(what: str, check: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    return cloudkit.wait_for(what, check, timeout=timeout)


kubectl = cloudkit.kubectl


@pytest.fixture
def emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    monkeypatch.setenv("WORKSHOP_HOME", str(tmp_path))
    for name in ("ENDPOINT", "APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY"):
        monkeypatch.delenv(f"OVH_{name}", raising=False)
    em = Emulator(tmp_path, profile="instant")
    assert em.up() is True
    em.credentials()
    try:
        yield em
    finally:
        em.down()


def client() -> ovh.Client:
    """A client as a learner's notebook makes one, from ovh.conf (its URL may have moved)."""
    return ovh_tools.client(start_emulator=pytest.fail)


def kill_daemon(emulator: Emulator) -> None:
    pid = emulator.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_for("the daemon to be gone", lambda: not emulator.is_running())


def cloud_up(emulator: Emulator) -> None:
    """``workshop cloud up``, as the learner types it after the crash."""
    done = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "cloud", "up"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WORKSHOP_HOME": str(emulator.home)},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert emulator.is_running()


def settled(path: str) -> dict[str, Any] | None:
    """The object once its status is final (READY or ERROR), else None."""
    got: dict[str, Any] = client().get(path)
    return got if got["status"] in ("READY", "ERROR") else None


def ready_cluster(emulator: Emulator) -> tuple[str, str]:
    api = client()
    kube = f"/cloud/project/{api.get('/cloud/project')[0]}/kube"
    created = api.post(kube, region="GRA11", name="crash", nodepool=POOL)
    return kube, created["id"]


def test_a_cluster_installing_when_the_daemon_is_killed_is_installed_after_up(
    emulator: Emulator, tmp_path: Path
) -> None:
    kube, cid = ready_cluster(emulator)
    path = f"{kube}/{cid}"
    managed = ManagedCluster(emulator.layout.cluster(cid))
    wait_for("its control plane to be starting", managed.exists)
    kill_daemon(emulator)
    saved = read_only(emulator.layout.state)
    assert saved is not None and saved.clusters[cid].status == "INSTALLING"

    cloud_up(emulator)
    got = wait_for("the cluster to finish installing", lambda: settled(path))
    assert got["status"] == "READY", emulator.status().clusters
    (pool,) = client().get(f"{path}/nodepool")
    pool = wait_for("its pool", lambda: settled(f"{path}/nodepool/{pool['id']}"))
    assert (pool["status"], pool["currentNodes"]) == ("READY", 1)
    kubeconfig = tmp_path / "crash.kubeconfig"
    kubeconfig.write_text(client().post(f"{path}/kubeconfig")["content"])
    nodes = kubectl(kubeconfig, "get", "nodes", "-o", "name")
    assert nodes.returncode == 0, nodes.stderr
    assert len(nodes.stdout.split()) == 1


def test_a_pool_resizing_when_the_daemon_is_killed_reaches_its_size_after_up(
    emulator: Emulator, tmp_path: Path
) -> None:
    kube, cid = ready_cluster(emulator)
    path = f"{kube}/{cid}"
    assert wait_for("the cluster", lambda: settled(path))["status"] == "READY"
    (pool,) = client().get(f"{path}/nodepool")
    pool_path = f"{path}/nodepool/{pool['id']}"
    assert wait_for("its pool", lambda: settled(pool_path))["status"] == "READY"
    kubeconfig = tmp_path / "crash.kubeconfig"
    kubeconfig.write_text(client().post(f"{path}/kubeconfig")["content"])

    client().put(pool_path, desiredNodes=3)
    kill_daemon(emulator)  # the resize was accepted and saved, not done
    saved = read_only(emulator.layout.state)
    assert saved is not None and saved.pools[pool["id"]].status == "UPSCALING"

    cloud_up(emulator)
    got = wait_for("the resize to finish", lambda: settled(pool_path))
    assert (got["status"], got["currentNodes"], got["availableNodes"]) == ("READY", 3, 3)
    assert client().get(path)["status"] == "READY"
    # the kubeconfig handed out before the crash still works, and sees the three nodes
    nodes = wait_for(
        "three nodes through the old kubeconfig",
        lambda: (
            len((r := kubectl(kubeconfig, "get", "nodes", "-o", "name")).stdout.split()) == 3 and r
        ),
    )
    assert nodes.returncode == 0, nodes.stderr
