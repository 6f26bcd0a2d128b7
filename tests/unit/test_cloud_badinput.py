"""The emulated API's HTTP server fed bad input: every request gets a JSON answer, at once.

The server runs in-process on 127.0.0.1 (``api.answer`` over a store in memory, no
cluster). Each case is sent on a raw socket, as bytes, and read back with a client
timeout: a dropped connection, a hang, a 5xx, HTML or an error body without the API's
fields fails the test. A seeded fuzz over the endpoints' bodies does the same for
values nobody thought of.
"""

from __future__ import annotations

import http.client
import json
import random
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.unit.test_cloud_fakes import FakeBackend, World
from workshop.cloud import api, server, signing

READ_TIMEOUT = 0.5
CLIENT_TIMEOUT = 10.0
"""Far longer than the server's read timeout: a client that waits this long saw a hang."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Served:
    world: World
    host: str
    port: int

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def raw(self, data: bytes, *, close_write: bool = False, method: str = "GET") -> Answer:
        """Send bytes as they are; read one HTTP answer (a hang or a drop fails the test)."""
        with socket.create_connection((self.host, self.port), timeout=CLIENT_TIMEOUT) as sock:
            sock.sendall(data)
            if close_write:
                sock.shutdown(socket.SHUT_WR)
            response = http.client.HTTPResponse(sock, method=method)
            try:
                response.begin()
                body = response.read()
            except TimeoutError:
                pytest.fail(f"no answer within {CLIENT_TIMEOUT}s to {data[:80]!r}")
            except (ConnectionError, http.client.RemoteDisconnected) as e:
                pytest.fail(f"the connection was dropped without an answer to {data[:80]!r}: {e}")
            finally:
                response.close()
            return Answer(response.status, dict(response.getheaders()), body)

    def signed(
        self, method: str, path: str, body: Any = None, *, raw: bytes | None = None
    ) -> tuple[str, dict[str, str], bytes]:
        """A signed call as python-ovh makes it: the URL, the headers and the body."""
        world = self.world
        data = raw if raw is not None else b""
        if raw is None and body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
        url = f"{self.base}/1.0{path}"
        timestamp = str(int(time.time()))
        headers = {
            "X-Ovh-Application": world.ak,
            "X-Ovh-Consumer": world.ck,
            "X-Ovh-Timestamp": timestamp,
            "X-Ovh-Signature": signing.signature(
                secret=world.secret,
                consumer_key=world.ck,
                method=method,
                url=url,
                body=data,
                timestamp=timestamp,
            ),
            "Content-Type": "application/json",
        }
        return url, headers, data

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None) -> Answer:
        url, headers, data = self.signed(method, path, body, raw=raw)
        return self.send(method, url.removeprefix(self.base), headers, data)

    def send(self, method: str, target: str, headers: dict[str, str], data: bytes) -> Answer:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(data)}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        return self.raw(head + data, method=method)


@pytest.fixture
def served() -> Iterator[Served]:
    world = World(now=time.time(), backend=FakeBackend())
    httpd = server.ApiServer(
        ("127.0.0.1", 0),
        lambda r: api.answer(world.store, world.backend, r),
        read_timeout=READ_TIMEOUT,
        idle_timeout=READ_TIMEOUT,
    )
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    host, port = httpd.server_address[:2]
    try:
        yield Served(world, str(host), int(port))
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def assert_api_error(answer: Answer, status: int | None = None) -> dict[str, Any]:
    """A client's mistake: a 4xx with the API's JSON error fields, short."""
    assert 400 <= answer.status < 500, (answer.status, answer.body[:300])
    if status is not None:
        assert answer.status == status, (answer.status, answer.body[:300])
    assert answer.headers["Content-Type"].startswith("application/json"), answer.headers
    assert len(answer.body) < 2048, len(answer.body)
    body: dict[str, Any] = answer.json()
    assert isinstance(body["class"], str) and body["class"].startswith("Client::"), body
    assert isinstance(body["message"], str) and body["message"], body
    assert answer.headers.get("X-Ovh-QueryId"), answer.headers
    return body


def assert_still_answering(served: Served) -> None:
    answer = served.raw(f"GET /1.0/auth/time HTTP/1.1\r\nHost: {served.host}\r\n\r\n".encode())
    assert answer.status == 200 and int(answer.body) > 0


def post(path: str, body: bytes, *, length: str | None = None, extra: str = "") -> bytes:
    given = str(len(body)) if length is None else length
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"{extra}Content-Length: {given}\r\n\r\n"
    ).encode() + body


# -- what http.server answered with HTML, a drop or nothing ---------------------------------

CREDENTIAL = b'{"accessRules":[{"method":"GET","path":"/*"}]}'


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (post("/1.0/auth/credential", CREDENTIAL, length="abc"), 400),
        (post("/1.0/auth/credential", CREDENTIAL, length="-1"), 400),
        (post("/1.0/auth/credential", CREDENTIAL, length="1e3"), 400),
        (post("/1.0/auth/credential", CREDENTIAL, length=" "), 400),
        (post("/1.0/auth/credential", CREDENTIAL, length="9" * 40), 400),
        (post("/1.0/auth/credential", CREDENTIAL, extra="Content-Length: 3\r\n"), 400),
        (post("/1.0/auth/credential", b"5\r\nhello\r\n0\r\n\r\n", length="",
              extra="Transfer-Encoding: chunked\r\n"), 411),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /1.0/auth/time HTTP/2.0\r\n\r\n", 400),
        (b"GET /1.0/auth/time HTTP/1.1 extra\r\n\r\n", 400),
        (b"GET /1.0/auth/time HTTP/x.y\r\n\r\n", 400),
        (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", 414),
        (b"GET /1.0/auth/time HTTP/1.1\r\n" + b"X-A: b\r\n" * 120 + b"\r\n", 431),
        (b"GET /1.0/auth/time HTTP/1.1\r\nX-A: " + b"b" * 70000 + b"\r\n\r\n", 431),
        (b"GET /1.0/\xff\xfe HTTP/1.1\r\n\r\n", 404),
        (b"GET /1.0/cloud/project/%zz%00 HTTP/1.1\r\n\r\n", 401),
        (b"GET /nowhere HTTP/1.1\r\n\r\n", 404),
    ],
    ids=[
        "length-abc", "length-negative", "length-float", "length-blank", "length-huge",
        "two-lengths", "chunked", "garbage-line", "http2", "four-words", "bad-version",
        "long-line", "many-headers", "long-header", "latin1-path", "bad-escapes", "no-route",
    ],
)  # fmt: skip
def test_a_request_that_cannot_be_read_gets_a_json_answer(
    served: Served, data: bytes, status: int
) -> None:
    assert_api_error(served.raw(data), status)
    assert_still_answering(served)


def test_a_body_shorter_than_its_length_is_answered_when_the_read_times_out(
    served: Served,
) -> None:
    # the client keeps the connection open, waiting: the server's read timeout answers
    data = post("/1.0/auth/credential", CREDENTIAL, length=str(len(CREDENTIAL) + 100))
    body = assert_api_error(served.raw(data), 408)
    assert "Content-Length" in body["message"]
    assert_still_answering(served)


def test_a_body_sent_a_byte_at_a_time_is_answered_at_the_request_deadline(
    served: Served,
) -> None:
    # each byte comes within the read timeout; the request as a whole does not
    body = b'{"accessRules":[' + b" " * 200 + b"]}"
    with socket.create_connection((served.host, served.port), timeout=CLIENT_TIMEOUT) as sock:
        sock.sendall(post("/1.0/auth/credential", b"", length=str(len(body))))
        sent = 0
        # the answer is awaited between two bytes, READ_TIMEOUT / 3 at most each time
        while sent < len(body) and not select.select([sock], [], [], READ_TIMEOUT / 3)[0]:
            sock.sendall(body[sent : sent + 1])
            sent += 1
        assert sent < len(body)  # answered before the body was whole
        response = http.client.HTTPResponse(sock, method="POST")
        try:
            response.begin()
            answer = Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            response.close()
    assert_api_error(answer, 408)


def test_a_body_cut_short_by_the_client_is_a_bad_request(served: Served) -> None:
    data = post("/1.0/auth/credential", CREDENTIAL, length=str(len(CREDENTIAL) + 100))
    assert_api_error(served.raw(data, close_write=True), 400)


@pytest.mark.parametrize(
    "data",
    [b"GET /1.0/auth/ti", b"GET /1.0/auth/time HTTP/1.1\r\nHost: x\r\n"],
    ids=["request-line", "headers"],
)
def test_a_request_that_stops_half_way_is_answered_after_the_read_timeout(
    served: Served, data: bytes
) -> None:
    assert_api_error(served.raw(data), 408)


def test_a_body_over_the_limit_is_refused_and_the_answer_is_read(served: Served) -> None:
    big = b'{"name":"' + b"n" * (server.MAX_BODY + 10) + b'"}'
    body = assert_api_error(served.raw(post("/1.0/auth/credential", big)), 413)
    assert str(server.MAX_BODY) in body["message"]
    assert_still_answering(served)


@pytest.mark.parametrize("method", ["PATCH", "OPTIONS", "TRACE", "CONNECT", "FOO", "get"])
def test_other_methods_get_a_json_405(served: Served, method: str) -> None:
    answer = served.raw(f"{method} /1.0/auth/time HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert_api_error(answer, 405)
    assert answer.headers["Allow"] == "GET, POST, PUT, DELETE"


def test_head_gets_a_405_without_a_body_and_the_connection_stays_usable(served: Served) -> None:
    connection = http.client.HTTPConnection(served.host, served.port, timeout=CLIENT_TIMEOUT)
    try:
        connection.request("HEAD", "/1.0/auth/time")
        head = connection.getresponse()
        assert head.status == 405 and head.read() == b""
        connection.request("GET", "/1.0/auth/time")  # the same connection
        after = connection.getresponse()
        assert after.status == 200 and int(after.read()) > 0
    finally:
        connection.close()


# -- bodies -----------------------------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/createApp/", DEEP),
        ("/createApp/", b'{"applicationName": '),
        ("/createApp/", b"[1, 2]"),
        ("/createApp/", b'"just a string"'),
        ("/createApp/", b"\xff\xfe{}"),
        ("/createApp/", json.dumps({"applicationName": "a" * 1000}).encode()),
        ("/auth/", DEEP),
        ("/auth/", b"{not json"),
        ("/auth/", b"null"),
        ("/auth/", b'{"credentialToken": ' + b"[" * 50 + b"]" * 50 + b"}"),
        ("/auth/", json.dumps({"credentialToken": "t" * 64, "validity": 10**30}).encode()),
    ],
)
def test_bad_bodies_to_the_web_pages_get_a_json_error(
    served: Served, path: str, body: bytes
) -> None:
    assert_api_error(served.raw(post(path, body, extra="Accept: application/json\r\n")))
    assert_still_answering(served)


def test_deeply_nested_json_to_the_api_is_a_bad_request(served: Served) -> None:
    for nested in (DEEP, b'{"a":' * 5000 + b"1" + b"}" * 5000, b"[" * 40 + b"]" * 40):
        answer = served.call("POST", f"{served.world.kube}", raw=nested)
        assert "nest" in assert_api_error(answer, 400)["message"]
    answer = served.raw(
        post("/1.0/auth/credential", DEEP, extra=f"X-Ovh-Application: {served.world.ak}\r\n")
    )
    assert_api_error(answer, 400)


def test_a_long_name_is_not_echoed_back_whole(served: Served) -> None:
    name = "n" * 600_000
    answer = served.call("POST", served.world.kube, {"region": "GRA11", "name": name})
    body = assert_api_error(answer, 400)
    assert "more characters" in body["message"]


@pytest.mark.parametrize("name", ["lab\n", "lab\r\n", "\nlab", "lab\x00", "la b", "lab\u2028"])
def test_a_cluster_name_with_a_control_character_is_refused(served: Served, name: str) -> None:
    body = assert_api_error(
        served.call("POST", served.world.kube, {"region": "GRA11", "name": name})
    )
    assert "Invalid cluster name" in body["message"]
    assert not served.world.store.clusters


def test_a_node_pool_name_ending_in_a_newline_is_refused(served: Served) -> None:
    cluster = served.world.cluster()
    pools = f"{served.world.kube}/{cluster['id']}/nodepool"
    answer = served.call("POST", pools, {"name": "pool\n", "flavorName": "b3-8"})
    assert "Invalid node pool name" in assert_api_error(answer, 400)["message"]
    assert not served.world.store.pools


@pytest.mark.parametrize(
    "template",
    [
        {"metadata": {"labels": {"team": {"an": "object"}}}},
        {"metadata": {"labels": {"team": "has spaces"}}},
        {"metadata": {"labels": {"bad key!": "x"}}},
        {"metadata": {"labels": {"team": "v" * 64}}},
        {"metadata": {"annotations": {"note": 1}}},
        {"metadata": {"finalizers": ["not a finalizer!"]}},
        {"spec": {"taints": [{"key": "gpu", "value": "yes"}]}},
        {"spec": {"taints": [{"key": "gpu", "effect": "Sometimes"}]}},
        {"spec": {"taints": "gpu"}},
        {"spec": {"unschedulable": "yes"}},
    ],
)
def test_a_node_template_the_cluster_would_refuse_is_refused_by_the_api(
    served: Served, template: dict[str, Any]
) -> None:
    cluster = served.world.cluster()
    pools = f"{served.world.kube}/{cluster['id']}/nodepool"
    answer = served.call("POST", pools, {"flavorName": "b3-8", "template": template})
    assert_api_error(answer, 400)
    assert not served.world.store.pools


# -- a seeded fuzz over the endpoints' bodies ------------------------------------------------

SEED = 16
CASES = 400
JUNK: list[Any] = [
    None,
    True,
    0,
    -1,
    2**70,
    1.5,
    float("1e308"),
    "",
    " ",
    "lab\n",
    "\x00",
    "é∂🙂",
    "x" * 3000,
    "../../etc",
    "%00",
    [],
    [1, "a", None],
    ["b3-8"] * 50,
    {},
    {"a": {"b": {"c": [1, {"d": None}]}}},
    json.loads("[" * 30 + "]" * 30),
]


def endpoints(world: World, cluster: str, pool: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every route that takes a body, with a body it accepts."""
    one = f"{world.kube}/{cluster}"
    template = {
        "metadata": {"labels": {"team": "blue"}, "annotations": {"a": "b"}, "finalizers": []},
        "spec": {"taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]},
    }
    pool_body = {
        "name": "pool-2",
        "flavorName": "b3-8",
        "desiredNodes": 1,
        "minNodes": 0,
        "maxNodes": 3,
        "autoscale": False,
        "antiAffinity": False,
        "monthlyBilled": False,
        "autoscaling": {"scaleDownUtilizationThreshold": 0.5},
        "template": template,
        "attachFloatingIps": {"enabled": False},
    }
    return [
        ("POST", world.kube, {"region": "GRA11", "name": "fuzz", "nodepool": pool_body}),
        ("PUT", one, {"name": "renamed"}),
        ("POST", f"{one}/update", {"strategy": "LATEST_PATCH", "force": False}),
        ("POST", f"{one}/reset", {"name": "again", "workerNodesPolicy": "reinstall"}),
        ("POST", f"{one}/restart", {"force": True}),
        ("PUT", f"{one}/updatePolicy", {"updatePolicy": "NEVER_UPDATE"}),
        (
            "PUT",
            f"{one}/customization",
            {"apiServer": {"admissionPlugins": {"enabled": ["NodeRestriction"]}}},
        ),
        ("PUT", f"{one}/privateNetworkConfiguration", {"privateNetworkRoutingAsDefault": False}),
        ("PUT", f"{one}/ipRestrictions", {"ips": ["10.0.0.0/8"]}),
        ("POST", f"{one}/ipRestrictions", {"ips": ["192.0.2.1"]}),
        ("POST", f"{one}/openIdConnect", {"issuerUrl": "https://id.example", "clientId": "x"}),
        ("POST", f"{one}/nodepool", pool_body),
        ("PUT", f"{one}/nodepool/{pool}", {"desiredNodes": 2, "template": template}),
        ("POST", f"{one}/log/subscription", {"kind": "audit", "streamId": "s"}),
        ("POST", "/auth/credential", {"accessRules": [{"method": "GET", "path": "/*"}]}),
    ]


def mutate(rng: random.Random, body: dict[str, Any]) -> Any:
    """One field of a valid body replaced by junk, deep inside too; or the body itself."""
    choice = rng.random()
    if choice < 0.1:
        return rng.choice(JUNK)
    mutated = json.loads(json.dumps(body))
    target = mutated
    while True:
        key = rng.choice([*target, "unknownField"])
        inner = target.get(key)
        if isinstance(inner, dict) and inner and rng.random() < 0.5:
            target = inner
            continue
        if isinstance(inner, list) and inner and isinstance(inner[0], dict):
            target = inner[0]
            continue
        target[key] = rng.choice(JUNK)
        return mutated


def test_a_seeded_fuzz_over_the_bodies_gets_no_5xx_no_drop_no_hang(served: Served) -> None:
    world = served.world
    cluster = world.cluster(nodepool={"name": "pool-1", "flavorName": "b3-8", "desiredNodes": 1})
    world.ready(cluster["id"])
    (pool,) = world.store.pools
    rng = random.Random(SEED)  # noqa: S311 - a fuzz, repeatable by its seed
    routes = endpoints(world, cluster["id"], pool)
    statuses: dict[int, int] = {}
    for _ in range(CASES):
        method, path, body = rng.choice(routes)
        mutated = mutate(rng, body)
        raw = json.dumps(mutated).encode()
        if path == "/auth/credential":
            answer = served.raw(
                post("/1.0" + path, raw, extra=f"X-Ovh-Application: {world.ak}\r\n")
            )
        else:
            answer = served.call(method, path, raw=raw)
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
        if answer.status >= 400:
            assert_api_error(answer)
        else:
            assert answer.status == 200, (method, path, mutated, answer.body[:300])
        # a READY cluster again for the next case (a reset or an update started an operation)
        for found in world.store.clusters.values():
            found.status, found.operation = "READY", None
    assert sum(statuses.values()) == CASES
    assert statuses.get(400, 0) > CASES // 2, statuses  # the fuzz mostly hit validation
    assert_still_answering(served)


PATH_JUNK = ["", "x", "%00", "%0A", "%zz", "..", "%2F", "a" * 300, "é", "%C3%A9", "*", "{kubeId}"]
HEADER_JUNK = ["", "abc", "-1", "9" * 40, "1e9", "$1$" + "0" * 40, "\x7f", "é", " " * 3]


def test_a_seeded_fuzz_over_paths_methods_and_auth_headers(served: Served) -> None:
    world = served.world
    cluster = world.cluster(nodepool={"name": "pool-1", "flavorName": "b3-8", "desiredNodes": 1})
    world.ready(cluster["id"])
    (pool,) = world.store.pools
    rng = random.Random(SEED + 1)  # noqa: S311 - a fuzz, repeatable by its seed
    routes = [route for route in api.ROUTER.routes]
    for _ in range(CASES):
        route = rng.choice(routes)
        params = {"serviceName": world.project, "kubeId": cluster["id"], "nodePoolId": pool}
        path = route.pattern
        for name in (
            "serviceName",
            "kubeId",
            "nodePoolId",
            "nodeId",
            "ip",
            "prefix",
            "subscriptionId",
        ):
            value = params.get(name, "x")
            path = path.replace("{" + name + "}", rng.choice([value, value, *PATH_JUNK]))
        method = rng.choice([route.method] * 4 + ["GET", "POST", "PUT", "DELETE", "PATCH"])
        url, headers, data = served.signed(method, path, {"name": "x"})
        if rng.random() < 0.5:  # one auth header spoilt, or missing
            spoilt = rng.choice([h for h in headers if h.startswith("X-Ovh")])
            if rng.random() < 0.3:
                del headers[spoilt]
            else:
                headers[spoilt] = rng.choice(HEADER_JUNK)
        answer = served.send(method, url.removeprefix(served.base), headers, data)
        if answer.status >= 400:
            assert_api_error(answer)
        else:
            assert answer.status == 200, (method, path, answer.body[:300])
        for found in world.store.clusters.values():
            found.status, found.operation = "READY", None
    assert_still_answering(served)
