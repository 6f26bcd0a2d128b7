"""The official ``ovh`` client and the real kubectl against the emulated OVHcloud API.

One emulator and one managed cluster (one node pool of one node, instant profile) serve
the module, in order: the last test deletes the cluster.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ovh
import pytest
import requests

from tests.integration import cloudkit
from workshop.cloud import ENDPOINT, Emulator, audit, ovhconf
from workshop.cloud.managed import ManagedCluster
from workshop.tools import ovh as ovh_tools

pytestmark = pytest.mark.integration
TIMEOUT = 90.0


def wait_for(what: str, check: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    return cloudkit.wait_for(what, check, timeout=timeout)


kubectl = cloudkit.kubectl


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cloud-home")


@pytest.fixture(scope="module")
def emulator(home: Path) -> Iterator[Emulator]:
    em = Emulator(home, profile="instant")
    assert em.up() is True
    em.credentials()
    yield em
    em.down()


@pytest.fixture(scope="module")
def keys(emulator: Emulator) -> ovhconf.Keys:
    found = ovhconf.read(emulator.ovh_conf)
    assert found is not None
    return found


@pytest.fixture(scope="module")
def api(emulator: Emulator, home: Path) -> ovh.Client:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKSHOP_HOME", str(home))
        for name in ("ENDPOINT", "APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY"):
            mp.delenv(f"OVH_{name}", raising=False)
        return ovh_tools.client(start_emulator=pytest.fail)


@pytest.fixture(scope="module")
def kube(api: ovh.Client) -> str:
    return f"/cloud/project/{api.get('/cloud/project')[0]}/kube"


@dataclass
class Managed:
    id: str
    name: str
    path: str
    pool: str
    kubeconfig: Path


def wait_ready(api: ovh.Client, path: str) -> dict[str, Any]:
    found: dict[str, Any] = wait_for(
        f"{path} to be READY", lambda: (got := api.get(path))["status"] == "READY" and got
    )
    return found


@pytest.fixture(scope="module")
def cluster(api: ovh.Client, kube: str, home: Path) -> Managed:
    created = api.post(
        kube,
        region="GRA11",
        name="lab-cluster",
        nodepool={"name": "pool-1", "flavorName": "b3-8", "desiredNodes": 1, "maxNodes": 3},
    )
    path = f"{kube}/{created['id']}"
    wait_ready(api, path)
    (pool,) = api.get(f"{path}/nodepool")
    wait_ready(api, f"{path}/nodepool/{pool['id']}")
    kubeconfig = home / "lab-cluster.kubeconfig"
    kubeconfig.write_text(api.post(f"{path}/kubeconfig")["content"])
    return Managed(created["id"], "lab-cluster", path, pool["id"], kubeconfig)


def test_signed_calls_with_the_official_client(api: ovh.Client) -> None:
    assert abs(api.get("/auth/time", _need_auth=False) - time.time()) < 5
    assert api.get("/me")["nichandle"].endswith("-ovh")
    assert api.get("/auth/details")["account"] == api.get("/me")["nichandle"]
    project = api.get("/cloud/project")[0]
    # a query string is part of what is signed
    flavors = api.get(f"/cloud/project/{project}/capabilities/kube/flavors", region="GRA11")
    assert "b3-8" in [f["name"] for f in flavors]


def workshop_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workshop.cli", "cloud", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WORKSHOP_HOME": str(home), "COLUMNS": "200"},
        check=False,
    )


def test_a_wrong_secret_is_refused_as_an_invalid_signature(keys: ovhconf.Keys) -> None:
    client = ovh.Client(
        endpoint=ENDPOINT,
        application_key=keys.application_key,
        application_secret="x" * 32,
        consumer_key=keys.consumer_key,
    )
    with pytest.raises(ovh.exceptions.BadParametersError, match="Invalid signature"):
        client.get("/me")


def test_an_unknown_application_key_is_refused(keys: ovhconf.Keys) -> None:
    client = ovh.Client(
        endpoint=ENDPOINT,
        application_key="unknown000000000",
        application_secret=keys.application_secret,
        consumer_key=keys.consumer_key,
    )
    with pytest.raises(ovh.exceptions.InvalidKey, match="This application key is invalid"):
        client.get("/me")


def validate(validation_url: str, validity: int = 0) -> None:
    """Click "Authorize" on the validation page, as the learner does in a browser."""
    token = parse_qs(urlsplit(validation_url).query)["credentialToken"][0]
    page = requests.get(validation_url, timeout=10)
    assert page.status_code == 200 and "Authorize" in page.text
    done = requests.post(
        validation_url.split("?")[0],
        data={"credentialToken": token, "validity": str(validity), "action": "authorize"},
        timeout=10,
    )
    assert done.status_code == 200


def test_a_consumer_key_works_once_validated_and_only_for_its_rules(keys: ovhconf.Keys) -> None:
    client = ovh.Client(
        endpoint=ENDPOINT,
        application_key=keys.application_key,
        application_secret=keys.application_secret,
    )
    request = client.new_consumer_key_request()
    request.add_recursive_rules(ovh.API_READ_ONLY, "/me")
    answer = request.request()
    assert answer["state"] == "pendingValidation"
    with pytest.raises(ovh.exceptions.InvalidCredential):
        client.get("/me")
    validate(answer["validationUrl"])
    assert client.get("/me")["nichandle"]
    with pytest.raises(ovh.exceptions.NotGrantedCall):
        client.get("/cloud/project")


def test_an_expired_consumer_key_is_refused(keys: ovhconf.Keys) -> None:
    client = ovh.Client(
        endpoint=ENDPOINT,
        application_key=keys.application_key,
        application_secret=keys.application_secret,
    )
    answer = client.request_consumerkey([{"method": "GET", "path": "/*"}])
    validate(answer["validationUrl"], validity=1)
    assert client.get("/me")

    def refused() -> str | None:
        try:
            client.get("/me")
        except ovh.exceptions.InvalidCredential as e:
            return str(e)
        return None

    # a wait on the key's expiry (one second), not a sleep
    assert "This credential is not valid" in wait_for("the key to expire", refused, timeout=10)


def test_bad_input_is_answered_as_the_api_does(
    api: ovh.Client, kube: str, cluster: Managed
) -> None:
    bad = ovh.exceptions.BadParametersError
    with pytest.raises(bad, match="XX9"):
        api.post(kube, region="XX9")
    with pytest.raises(bad, match="at most 64"):
        api.post(kube, region="GRA11", name="n" * 65)
    pools = f"{cluster.path}/nodepool"
    with pytest.raises(bad, match="Flavor z9-99 is not available"):
        api.post(pools, flavorName="z9-99")
    with pytest.raises(bad, match=r"minNodes \(3\) must be lower or equal to maxNodes \(2\)"):
        api.post(pools, flavorName="b3-8", minNodes=3, maxNodes=2, desiredNodes=3)
    with pytest.raises(bad, match="too long"):
        api.post(pools, flavorName="b3-8", name="p" * 41)
    with pytest.raises(bad, match="can not exceed 5"):
        api.post(pools, flavorName="b3-8", antiAffinity=True, maxNodes=6)
    with pytest.raises(bad, match="can not be modified"):
        api.put(f"{pools}/{cluster.pool}", flavorName="c3-4")
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        api.get(f"{kube}/00000000-0000-0000-0000-000000000000")
    assert [p["name"] for p in api.get(pools)] == ["pool-1"]


def test_the_cluster_and_its_kubeconfig(api: ovh.Client, cluster: Managed) -> None:
    got = api.get(cluster.path)
    assert (got["status"], got["name"], got["region"]) == ("READY", "lab-cluster", "GRA11")
    assert got["version"].startswith("1.37.") and "-" in got["version"]
    assert got["url"] == f"127.0.0.1:{urlsplit('https://' + got['url']).port}"
    nodes = kubectl(cluster.kubeconfig, "get", "nodes", "-o", "name")
    assert nodes.returncode == 0, nodes.stderr
    assert nodes.stdout.split() == [f"node/{n['name']}" for n in api.get(f"{cluster.path}/node")]
    # only the pools of the API: the sandbox under it has no default pool of its own
    pools = kubectl(cluster.kubeconfig, "get", "nodepools", "-o", "name")
    assert pools.stdout.split() == ["nodepool.kube.cloud.ovh.com/pool-1"], pools.stderr
    ready = kubectl(
        cluster.kubeconfig, "wait", "--for=condition=Ready", "node", "--all", "--timeout=30s"
    )
    assert ready.returncode == 0, ready.stderr
    who = kubectl(
        cluster.kubeconfig, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"
    )
    assert who.stdout == "kubernetes-admin"


def test_a_node_pool_resizes_for_real(api: ovh.Client, cluster: Managed) -> None:
    pool = f"{cluster.path}/nodepool/{cluster.pool}"
    api.put(pool, desiredNodes=2)
    assert api.get(pool)["status"] in ("UPSCALING", "READY")
    got = wait_ready(api, pool)
    assert (got["currentNodes"], got["availableNodes"], got["sizeStatus"]) == (2, 2, "CAPACITY_OK")
    names = sorted(n["name"] for n in api.get(f"{pool}/nodes"))
    assert len(names) == 2 and all(n.startswith("pool-1-node-") for n in names)
    listed = kubectl(cluster.kubeconfig, "get", "nodes", "-l", "nodepool=pool-1", "-o", "name")
    assert sorted(listed.stdout.split()) == [f"node/{n}" for n in names]
    api.put(pool, desiredNodes=1)
    wait_for(
        "one node left",
        lambda: len(kubectl(cluster.kubeconfig, "get", "nodes", "-o", "name").stdout.split()) == 1,
    )
    assert wait_ready(api, pool)["currentNodes"] == 1


def got_port(api: ovh.Client, cluster: Managed) -> int:
    port = urlsplit("https://" + api.get(cluster.path)["url"]).port
    assert port is not None
    return port


def first_handshake(port: int) -> str:
    """The answer to one TLS hello on the cluster's endpoint: the alert's name, or "ok"."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        try:
            with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                return "ok"
        except ssl.SSLError as e:
            return str(e.reason)


def test_ip_restrictions_are_enforced(api: ovh.Client, cluster: Managed) -> None:
    ips = f"{cluster.path}/ipRestrictions"
    api.put(ips, ips=["203.0.113.0/24"])
    assert api.get(ips) == ["203.0.113.0/24"]
    wait_ready(api, cluster.path)
    refused = kubectl(cluster.kubeconfig, "get", "namespaces")
    assert refused.returncode != 0
    assert "remote error: tls: access denied" in refused.stderr, refused.stderr
    # refused at once, not after retries: the very first TLS hello is answered with the
    # access_denied alert (a dropped or reset connection would be no answer, and retried)
    assert first_handshake(got_port(api, cluster)) == "TLSV1_ALERT_ACCESS_DENIED"
    api.post(ips, ips=["127.0.0.1/32"])
    wait_ready(api, cluster.path)
    assert kubectl(cluster.kubeconfig, "get", "namespaces").returncode == 0
    api.put(ips, ips=[])
    wait_ready(api, cluster.path)


def test_the_audit_log_names_who_deleted_a_deployment(home: Path, cluster: Managed) -> None:
    kc = cluster.kubeconfig
    assert kubectl(kc, "create", "deployment", "hello", "--image=ovhplatform/hello").returncode == 0
    assert kubectl(kc, "delete", "deployment", "hello").returncode == 0
    found = wait_for(
        "the deletion in the audit log",
        lambda: audit.events(
            home, "lab-cluster", verb="delete", resource="deployments", name="hello"
        ),
    )
    (deleted,) = found
    assert (deleted.user, deleted.namespace, deleted.code) == ("kubernetes-admin", "default", 200)
    assert deleted.source_ips == ("127.0.0.1",)
    assert deleted.user_agent.startswith("kubectl")
    shown = workshop_cli(home, "audit", "lab-cluster", "--verb", "delete", "--name", "hello")
    assert shown.returncode == 0, shown.stderr
    assert "kubernetes-admin" in shown.stdout and "default/hello" in shown.stdout


def test_status_shows_clusters_and_never_a_key(
    home: Path, keys: ovhconf.Keys, cluster: Managed
) -> None:
    shown = workshop_cli(home, "status")
    assert shown.returncode == 0, shown.stderr
    assert "lab-cluster" in shown.stdout and "READY" in shown.stdout
    everything = (
        shown.stdout + shown.stderr + (home / "cloud" / "logs" / "emulator.log").read_text()
    )
    for secret in (keys.application_secret, keys.consumer_key, keys.application_key):
        assert secret not in everything


def test_clusters_survive_a_restart_and_come_back(
    emulator: Emulator, api: ovh.Client, cluster: Managed
) -> None:
    managed = ManagedCluster(emulator.layout.cluster(cluster.id))
    assert emulator.down() is True
    assert not managed.is_running()
    assert emulator.up() is True
    got = api.get(cluster.path)
    assert got["status"] == "READY"
    assert [p["currentNodes"] for p in api.get(f"{cluster.path}/nodepool")] == [1]
    # managed clusters do not stop with the API: it starts again by itself
    wait_for(
        "the cluster to answer again",
        lambda: kubectl(cluster.kubeconfig, "get", "nodes").returncode == 0,
    )
    assert len(kubectl(cluster.kubeconfig, "get", "nodes", "-o", "name").stdout.split()) == 1
    # stopped by other means, a connection starts it (the first one may time out meanwhile)
    managed.down()
    wait_for(
        "a connection to start it again",
        lambda: kubectl(cluster.kubeconfig, "get", "nodes").returncode == 0,
    )
    assert managed.is_running()


def test_a_node_pool_is_deleted_with_its_nodes(api: ovh.Client, cluster: Managed) -> None:
    pools = f"{cluster.path}/nodepool"
    extra = api.post(pools, name="extra", flavorName="c3-4", desiredNodes=1)
    wait_ready(api, f"{pools}/{extra['id']}")
    api.delete(f"{pools}/{extra['id']}")

    def gone() -> bool:
        try:
            api.get(f"{pools}/{extra['id']}")
        except ovh.exceptions.ResourceNotFoundError:
            return True
        return False

    wait_for("the pool to be gone", gone)
    listed = kubectl(cluster.kubeconfig, "get", "nodes", "-l", "nodepool=extra", "-o", "name")
    assert listed.stdout.strip() == ""


def test_deleting_a_cluster_removes_its_processes_and_data(
    api: ovh.Client, kube: str, emulator: Emulator, cluster: Managed
) -> None:
    # the module's cluster: this test comes last
    managed = ManagedCluster(emulator.layout.cluster(cluster.id))
    assert managed.is_running()
    api.delete(cluster.path)
    assert api.get(cluster.path)["status"] == "DELETING"

    def gone() -> bool:
        try:
            return api.get(cluster.path)["status"] == "DELETED"
        except ovh.exceptions.ResourceNotFoundError:
            return True

    wait_for("the cluster to be gone", gone)
    assert not managed.root.exists()
    assert cluster.id not in api.get(kube)
    refused = kubectl(cluster.kubeconfig, "get", "nodes")
    assert refused.returncode != 0 and "was refused" in refused.stderr
