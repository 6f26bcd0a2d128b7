"""connect() and KubeApi against a tiny recorded API server (plain HTTP, in a thread)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from workshop import cluster
from workshop.errors import ClusterError

Answer = tuple[int, Any]


@dataclass
class FakeApi:
    """Answers from ``routes`` (method and path -> status and JSON); records every request."""

    routes: dict[tuple[str, str], Answer] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def answer(self, method: str, path: str, status: int, body: Any) -> None:
        self.routes[(method, path)] = (status, body)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    fake.answer("GET", "/version", 200, {"major": "1", "minor": "37", "gitVersion": "v1.37.2"})

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            fake.requests.append(
                {
                    "method": self.command,
                    "path": parts.path,
                    "query": dict(parse_qsl(parts.query)),
                    "content_type": self.headers.get("Content-Type"),
                    "authorization": self.headers.get("Authorization"),
                    "body": json.loads(body) if body else None,
                }
            )
            status, answer = fake.routes.get(
                (self.command, parts.path),
                (404, {"kind": "Status", "message": f"{parts.path} not found", "code": 404}),
            )
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PATCH = do_DELETE = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def kubeconfig(path: Path, contexts: dict[str, str], current: str | None = None) -> Path:
    """A kubeconfig with one cluster and context per ``name -> server``, token auth."""
    names = list(contexts)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": s}} for n, s in contexts.items()],
        "users": [{"name": "me", "user": {"token": "secret-token"}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "me"}} for n in names],
        "current-context": current or names[0],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    return path


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # which cluster connect() picks is configuration: each test sets its own
    for name in ("WORKSHOP_CONTEXT", "KUBECONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKSHOP_HOME", str(tmp_path / "home"))


def test_the_sandbox_context_name_matches_the_sandbox() -> None:
    from workshop.sandbox import CONTEXT

    assert cluster.SANDBOX_CONTEXT == CONTEXT


def test_a_named_context_uses_that_cluster(api: FakeApi, tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "kc", {"ovh": api.url, "other": "http://127.0.0.1:1"}, "other")
    connected = cluster.connect("ovh", kubeconfig=path)
    assert connected.context == "ovh"
    assert connected.kubeconfig == path
    assert not connected.is_sandbox
    assert connected.describe() == f"context ovh at {api.url}"
    assert api.requests[-1]["path"] == "/version"
    assert api.requests[-1]["authorization"] == "Bearer secret-token"
    env = connected.env()
    assert env["KUBECONFIG"] == str(path)
    assert "127.0.0.1" in env["NO_PROXY"]


def test_the_context_may_come_from_the_environment(
    api: FakeApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = kubeconfig(tmp_path / "a.yaml", {"dev": "http://127.0.0.1:1"})
    second = kubeconfig(tmp_path / "b.yaml", {"ovh": api.url})
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    monkeypatch.setenv("WORKSHOP_CONTEXT", "ovh")
    connected = cluster.connect()
    assert connected.context == "ovh"
    assert connected.kubeconfig_paths == (first, second)
    assert connected.env()["KUBECONFIG"] == f"{first}:{second}"


def test_a_kubeconfig_alone_uses_its_current_context(api: FakeApi, tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "kc", {"a": "http://127.0.0.1:1", "b": api.url}, current="b")
    assert cluster.connect(kubeconfig=path).context == "b"
    assert cluster.target(kubeconfig=path).context_name() == "b"


def test_an_unknown_context_lists_the_known_ones(tmp_path: Path) -> None:
    path = kubeconfig(tmp_path / "kc", {"a": "http://127.0.0.1:1", "b": "http://127.0.0.1:2"})
    with pytest.raises(ClusterError) as info:
        cluster.connect("c", kubeconfig=path)
    assert info.value.message == f"context 'c' is not in {path} (contexts there: a, b)"
    assert "kubectl config get-contexts" in (info.value.hint or "")


def test_a_missing_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(ClusterError) as info:
        cluster.connect("ovh", kubeconfig=tmp_path / "nope")
    assert info.value.message == f"no kubeconfig at {tmp_path / 'nope'}"


def test_a_cluster_that_does_not_answer(tmp_path: Path) -> None:
    port = closed_port()
    path = kubeconfig(tmp_path / "kc", {"down": f"http://127.0.0.1:{port}"})
    with pytest.raises(ClusterError) as info:
        cluster.connect("down", kubeconfig=path)
    assert info.value.message.startswith(f"cannot reach the cluster at http://127.0.0.1:{port}: ")
    assert "workshop sandbox up" in (info.value.hint or "")


def sandbox_starter(home: Path, server: str, calls: list[str]) -> Callable[[], None]:
    def start() -> None:
        calls.append("up")
        kubeconfig(home / "kubeconfig", {"workshop-sandbox": server})

    return start


def test_the_default_is_the_sandbox_started_when_it_does_not_answer(
    api: FakeApi, tmp_path: Path
) -> None:
    calls: list[str] = []
    start = sandbox_starter(tmp_path / "home", api.url, calls)
    said: list[str] = []
    connected = cluster.connect(start_sandbox=start, say=said.append)
    assert calls == ["up"]
    assert said == ["starting the local sandbox (`workshop sandbox up`)..."]
    assert connected.is_sandbox
    assert connected.kubeconfig == tmp_path / "home" / "kubeconfig"
    assert connected.describe() == f"sandbox (local, kwok nodes) at {api.url}"
    assert str(connected) == connected.describe()

    # it answers now: no second start
    assert cluster.connect("workshop-sandbox", start_sandbox=start).is_sandbox
    assert calls == ["up"]


def test_a_stale_sandbox_kubeconfig_starts_the_sandbox_again(api: FakeApi, tmp_path: Path) -> None:
    kubeconfig(
        tmp_path / "home" / "kubeconfig", {"workshop-sandbox": f"http://127.0.0.1:{closed_port()}"}
    )
    calls: list[str] = []
    connected = cluster.connect(start_sandbox=sandbox_starter(tmp_path / "home", api.url, calls))
    assert calls == ["up"]
    assert connected.server == api.url


def test_a_sandbox_that_fails_to_start_says_so(tmp_path: Path) -> None:
    def start() -> None:
        raise ClusterError("the local sandbox did not start:\netcd: port in use")

    with pytest.raises(ClusterError, match="did not start"):
        cluster.connect(start_sandbox=start)


# -- KubeApi: what is sent --------------------------------------------------------------------

DISCOVERY = {
    "kind": "APIResourceList",
    "resources": [
        {"name": "deployments", "kind": "Deployment", "namespaced": True},
        {"name": "deployments/scale", "kind": "Scale", "namespaced": True},
    ],
}


@pytest.fixture
def connected(api: FakeApi, tmp_path: Path) -> cluster.Cluster:
    api.answer("GET", "/apis/apps/v1", 200, DISCOVERY)
    api.answer(
        "GET",
        "/api/v1",
        200,
        {"resources": [{"name": "namespaces", "kind": "Namespace", "namespaced": False}]},
    )
    return cluster.connect("ovh", kubeconfig=kubeconfig(tmp_path / "kc", {"ovh": api.url}))


def test_get_and_list_by_kind(api: FakeApi, connected: cluster.Cluster) -> None:
    path = "/apis/apps/v1/namespaces/lab-04/deployments"
    api.answer("GET", f"{path}/hello", 200, {"kind": "Deployment", "metadata": {"name": "hello"}})
    api.answer("GET", path, 200, {"items": [{"metadata": {"name": "hello"}}]})
    assert connected.api.get("apps/v1", "Deployment", "hello", "lab-04") == {
        "kind": "Deployment",
        "metadata": {"name": "hello"},
    }
    assert connected.api.get("apps/v1", "Deployment", "nope", "lab-04") is None
    items = connected.api.list("apps/v1", "Deployment", namespace="lab-04", label_selector="app=x")
    assert items == [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "hello"}}]
    assert api.requests[-1]["query"] == {"labelSelector": "app=x"}
    discovery = [r for r in api.requests if r["path"] == "/apis/apps/v1"]
    assert len(discovery) == 1  # discovered once, then cached


def test_apply_is_a_server_side_apply_into_the_lab_namespace(
    api: FakeApi, connected: cluster.Cluster
) -> None:
    path = "/apis/apps/v1/namespaces/lab-04/deployments/hello"
    api.answer("PATCH", path, 200, {"kind": "Deployment", "metadata": {"name": "hello"}})
    manifest = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "hello"}}
    connected.api.apply(manifest, namespace="lab-04")
    sent = api.requests[-1]
    assert (sent["method"], sent["path"]) == ("PATCH", path)
    assert sent["content_type"] == "application/apply-patch+yaml"
    assert sent["query"] == {"fieldManager": "workshop", "force": "true"}
    assert sent["body"]["metadata"] == {"name": "hello", "namespace": "lab-04"}


def test_cluster_wide_objects_ignore_the_namespace(
    api: FakeApi, connected: cluster.Cluster
) -> None:
    api.answer("DELETE", "/api/v1/namespaces/lab-04", 200, {"kind": "Namespace"})
    assert connected.api.delete("v1", "Namespace", "lab-04", "ignored") is True
    assert api.requests[-1]["body"] == {"propagationPolicy": "Background"}
    assert connected.api.delete("v1", "Namespace", "gone", None) is False


def test_the_api_servers_refusal_is_passed_on(api: FakeApi, connected: cluster.Cluster) -> None:
    path = "/apis/apps/v1/namespaces/lab-04/deployments/hello"
    api.answer(
        "PATCH", path, 403, {"kind": "Status", "message": 'deployments.apps "hello" is forbidden'}
    )
    with pytest.raises(ClusterError) as info:
        connected.api.apply(
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "hello"}},
            namespace="lab-04",
        )
    assert info.value.status == 403
    assert (
        info.value.message == f'PATCH {path} refused (403): deployments.apps "hello" is forbidden'
    )
    assert "kubectl auth can-i" in (info.value.hint or "")


def test_an_unknown_kind_is_named(connected: cluster.Cluster) -> None:
    with pytest.raises(ClusterError) as info:
        connected.api.get("apps/v1", "Widget", "w", "lab-04")
    assert info.value.message == "the cluster serves no kind Widget in apps/v1"
    with pytest.raises(ClusterError) as info:
        connected.api.get("example.com/v1", "Widget", "w", "lab-04")
    assert info.value.message == "the cluster does not serve apiVersion example.com/v1"


def test_connect_is_part_of_the_top_level_api() -> None:
    import workshop

    assert workshop.connect is cluster.connect
    assert workshop.Cluster is cluster.Cluster


BROKEN = {
    "binary": (bytes(range(128, 256)), "holds binary bytes, not YAML text"),
    "bad YAML": (b"clusters: [\n  : : {oops\n", "is not valid YAML at line 2, column 3"),
    "a list": (b"- 1\n- 2\n", "holds a YAML list, where a kubeconfig is a mapping"),
    "clusters: 3": (b"{clusters: 3}\n", "has a number as `clusters`, where a list belongs"),
    "nameless": (b"contexts: [{context: {}}]\n", "has entry 1 of `contexts` without a name"),
    "user: 5": (b"users: [{name: u, user: 5}]\n", "has user 'u' whose `user` is not a mapping"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_kubeconfig_is_a_cluster_error_naming_the_file(name: str, tmp_path: Path) -> None:
    content, said = BROKEN[name]
    path = tmp_path / "config"
    path.write_bytes(content)
    with pytest.raises(ClusterError) as raised:
        cluster.connect(kubeconfig=path)
    assert str(raised.value).startswith(f"the kubeconfig {path} {said}")
    assert raised.value.hint and "--kubeconfig or KUBECONFIG" in raised.value.hint


def test_credentials_the_client_cannot_decode_are_a_cluster_error(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"client-certificate-data": "%%% not base64"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    with pytest.raises(ClusterError, match=f"cannot use the kubeconfig {path}"):
        cluster.connect(kubeconfig=path)
