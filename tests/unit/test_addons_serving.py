"""Load balancer choices, simulated answers, log files and volumes (pure, or local files)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from workshop.sandbox import bootstrap, pki
from workshop.sandbox.addons import containerlogs, loadbalancers, pages, servers, storage
from workshop.sandbox.addons.loadbalancers import Backend


def piece(port_name: str, *endpoints: tuple[str, bool | None]) -> dict:  # type: ignore[type-arg]
    return {
        "ports": [{"name": port_name, "port": 8080}],
        "endpoints": [
            {
                "targetRef": {"kind": "Pod", "name": name},
                "conditions": {} if ready is None else {"ready": ready},
                "nodeName": "n1",
            }
            for name, ready in endpoints
        ],
    }


def test_only_ready_endpoints_of_the_right_port_get_traffic() -> None:
    slices = [piece("http", ("b", True), ("a", None), ("c", False)), piece("metrics", ("d", True))]
    assert loadbalancers.backends(slices, "http") == [
        Backend("a", 8080, "n1"),
        Backend("b", 8080, "n1"),
    ]
    assert loadbalancers.backends(slices, "grpc") == []


def test_round_robin_starts_at_each_connections_turn() -> None:
    ready = [Backend(p, 80, "n") for p in "abc"]
    firsts = [loadbalancers.rotation(ready, turn)[0].pod for turn in range(6)]
    assert firsts == ["a", "b", "c", "a", "b", "c"]
    assert [b.pod for b in loadbalancers.rotation(ready, 1)] == ["b", "c", "a"]  # fallbacks
    assert loadbalancers.rotation([], 3) == []


def test_ports_rule_recorded_then_service_port_then_node_port_then_any() -> None:
    port = {"port": 80, "nodePort": 31234}
    assert list(loadbalancers.port_candidates(port, 8080)) == [8080, 80, 31234, 0]
    assert list(loadbalancers.port_candidates({"port": 80}, None)) == [80, 0]
    # a class learner's Service: never its own port on the instructor's machine
    assert list(loadbalancers.port_candidates(port, None, shared=True)) == [31234, 0]


def site(app: str, data: Path | None = None, **options: str) -> pages.Site:
    return pages.Site(
        app, "hello-7d9f-abcde", "lab", "10.244.0.7", "node-1", "1.27.3", data, options
    )


def get(target: str, method: str = "GET", body: bytes = b"", **headers: str) -> pages.Request:
    return pages.Request(method, target, "HTTP/1.1", headers, body)


def test_the_hello_page_names_the_pod_that_served() -> None:
    answer = pages.respond(site("hello"), get("/"))
    assert answer.status == 200
    assert b"Hello World!" in answer.body and b"hello-7d9f-abcde" in answer.body
    assert answer.headers["X-Sandbox-Pod"] == "hello-7d9f-abcde"
    assert answer.headers["Server"] == "nginx/1.27.3"
    head = pages.respond(site("hello"), get("/", "HEAD"))
    assert head.status == 200 and head.body == b""


def test_nginx_serves_a_volume_as_nginx_does(tmp_path: Path) -> None:
    assert b"Welcome to nginx!" in pages.respond(site("nginx"), get("/")).body
    assert pages.respond(site("nginx"), get("/missing")).status == 404
    assert pages.respond(site("nginx", tmp_path), get("/")).status == 403  # empty volume
    (tmp_path / "index.html").write_text("<h1>mine</h1>")
    assert pages.respond(site("nginx", tmp_path), get("/")).body == b"<h1>mine</h1>"
    assert pages.respond(site("nginx", tmp_path), get("/../../etc/passwd")).status == 404


def test_wordpress_keeps_its_posts_in_its_data_folder(tmp_path: Path) -> None:
    post = json.dumps({"title": "Kept on a volume", "content": "hi"}).encode()
    made = pages.respond(
        site("wordpress", tmp_path),
        get("/wp-json/wp/v2/posts", "POST", post, **{"content-type": "application/json"}),
    )
    assert made.status == 201
    again = pages.respond(site("wordpress", tmp_path), get("/"))  # another pod, same volume
    assert b"Kept on a volume" in again.body and b"Hello world!" in again.body


def test_access_logs_in_each_servers_format() -> None:
    request = get("/", **{"user-agent": "curl/8.5.0"})
    answer = pages.respond(site("nginx"), request)
    line = pages.access_log(site("nginx"), request, answer, "10.0.0.3")
    assert line.startswith("10.0.0.3 - - [") and '"GET / HTTP/1.1" 200' in line
    assert '"curl/8.5.0"' in line


def test_redis_keeps_keys_in_its_data_folder(tmp_path: Path) -> None:
    redis = servers.Container(site("redis", tmp_path), lambda _line: None, "redis")
    assert servers.redis_reply(redis, ["PING"]) == b"+PONG\r\n"
    assert servers.redis_reply(redis, ["SET", "k", "v"]) == b"+OK\r\n"
    restarted = servers.Container(site("redis", tmp_path), lambda _line: None, "redis")
    assert servers.redis_reply(restarted, ["GET", "k"]) == b"$1\r\nv\r\n"
    assert servers.redis_reply(restarted, ["INCR", "n"]) == b":1\r\n"
    assert servers.redis_reply(restarted, ["NOPE"]).startswith(b"-ERR unknown command")


def test_a_connection_gets_an_http_answer_and_a_log_line() -> None:
    lines: list[str] = []

    async def scenario() -> bytes:
        container = servers.Container(site("hello"), lines.append)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await servers.serve(container, reader, writer, "127.0.0.1")

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        reader, writer = await asyncio.open_connection("127.0.0.1", servers.port_of(server))
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = await reader.read()
        writer.close()
        server.close()
        return answer

    answer = asyncio.run(scenario())
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"hello-7d9f-abcde" in answer
    assert len(lines) == 1 and '"GET / HTTP/1.1" 200' in lines[0]


def test_container_logs_are_cri_lines_and_a_restart_keeps_the_previous_run(tmp_path: Path) -> None:
    assert containerlogs.cri_line("hi", at_ns=1_764_139_281_123_456_789) == (
        "2025-11-26T06:41:21.123456789Z stdout F hi\n"
    )
    log = containerlogs.ContainerLog(tmp_path / "web")
    log.write("first run")
    log.restart()
    log.write("second run")
    log.close_file()
    assert log.previous.read_text().endswith(" stdout F first run\n")
    assert log.current.read_text().endswith(" stdout F second run\n")


CLAIM = {
    "metadata": {"name": "data-db-0", "namespace": "lab", "uid": "1234"},
    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1500Mi"}}},
}
CLASS = {
    "metadata": {"name": "csi-cinder-classic"},
    "reclaimPolicy": "Retain",
    "parameters": {"fsType": "xfs"},
}


def test_a_claim_gets_a_volume_reserved_for_it() -> None:
    volume = storage.volume_for(CLAIM, CLASS)
    assert volume["metadata"]["name"] == "pvc-1234"
    assert volume["spec"]["capacity"] == {"storage": "2Gi"}  # Cinder sizes in whole GiB
    assert volume["spec"]["claimRef"]["uid"] == "1234"
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert volume["spec"]["csi"]["driver"] == "cinder.csi.openstack.org"
    assert volume["spec"]["csi"]["fsType"] == "xfs"


def test_the_sandboxs_own_objects() -> None:
    docs = bootstrap.load()
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert ("CustomResourceDefinition", "nodepools.kube.cloud.ovh.com") in kinds
    assert ("CustomResourceDefinition", "logs.kwok.x-k8s.io") in kinds
    assert ("StorageClass", "csi-cinder-high-speed") in kinds
    default = next(d for d in docs if d["metadata"]["name"] == "csi-cinder-high-speed")
    assert (
        default["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    )
    binding = next(d for d in docs if d["kind"] == "ClusterRoleBinding")
    assert binding["subjects"][0]["name"] == pki.CLIENTS["addons"][0]
    assert bootstrap.collection(default) == "/apis/storage.k8s.io/v1/storageclasses"
    assert bootstrap.collection(binding) == "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"
    # the autoscaler's status ConfigMap: rights in kube-system only, as upstream grants them
    role = next(d for d in docs if d["kind"] == "Role")
    assert bootstrap.collection(role) == (
        "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles"
    )
    assert {"cluster-autoscaler-status"} == {
        name for rule in role["rules"] for name in rule.get("resourceNames", [])
    }


@pytest.mark.parametrize(
    "name", ["hello", "nginx", "httpd", "wordpress", "echo", "hello-app", "whoami", "directory"]
)
def test_every_web_app_answers_its_front_page(name: str) -> None:
    assert pages.respond(site(name), get("/")).status in (200, 302)


def test_kwok_objects_wait_for_a_burst_of_pods_to_pass() -> None:
    from workshop.sandbox.addons import kwokobjects

    made: list[str] = []
    publisher = kwokobjects.Publisher(lambda item: made.append(item.key), lambda _m: None)
    for i in range(3):
        publisher.add(kwokobjects.Item(f"ns/p{i}", "uid", "logs"))
    assert not publisher.burst()  # a learner's few pods: published at once
    for i in range(3, 30):
        publisher.add(kwokobjects.Item(f"ns/p{i}", "uid", "logs"))
    assert publisher.burst()
    pod = {"spec": {"containers": [{"name": "web"}, {"name": "sidecar"}]}}
    logs = kwokobjects.logs_spec(pod, Path("/h/pods/ns_p_uid"))["logs"]
    assert [entry["containers"] for entry in logs] == [["web"], ["sidecar"]]
    assert logs[1]["previousLogsFile"] == "/h/pods/ns_p_uid/sidecar/previous.log"
    forwards = kwokobjects.forwards_spec({80: 41000})["forwards"]
    assert forwards == [{"ports": [80], "target": {"address": "127.0.0.1", "port": 41000}}]
