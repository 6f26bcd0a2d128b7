"""Shared pieces for the emulated API's unit tests (no tests here).

``World`` is a store in memory with an application and a validated consumer key, a fake
backend, and ``call``, which signs a request exactly as python-ovh does and hands it to
``api.answer``: the whole API, without a socket.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from workshop.cloud import account, api, signing
from workshop.cloud.protocol import Request, Response
from workshop.cloud.store import Application, Cluster, Credential, Store

BASE = "http://127.0.0.1:8443"
NOW = 1_700_000_000.0
FULL = [{"method": m, "path": "/*"} for m in ("GET", "POST", "PUT", "DELETE")]


@dataclass
class FakeBackend:
    """Records wake-ups; hands out ports; a kubeconfig naming the cluster."""

    wakes: int = 0
    next_port: int = 40000

    def allocate_port(self) -> int:
        self.next_port += 1
        return self.next_port

    def kubeconfig(self, cluster: Cluster) -> str:
        return f"apiVersion: v1\nkind: Config\n# {cluster.name}\n"

    def changed(self) -> None:
        self.wakes += 1


@dataclass
class World:
    store: Store = field(default_factory=Store)
    backend: Any = field(default_factory=FakeBackend)
    """A ``routing.Backend``: ``FakeBackend``, or a real ``Runtime``."""
    now: float = NOW
    ak: str = "appkey0123456789"
    secret: str = "s" * 32
    ck: str = "c" * 32

    def __post_init__(self) -> None:
        self.store.applications[self.ak] = Application(self.ak, self.secret, 1, "test", "test")
        self.store.credentials[self.ck] = Credential(
            key=self.ck,
            application_key=self.ak,
            id=2,
            rules=FULL,
            token="t" * 64,
            created=self.now,
            state="validated",
            validated=self.now,
        )
        self.project = account.ensure_project(self.store, self.now).id

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: str = "",
        sign: bool = True,
        headers: dict[str, str] | None = None,
        secret: str | None = None,
        timestamp: float | None = None,
        raw: bytes | None = None,
        client_ip: str = "127.0.0.1",
    ) -> Request:
        """A request as python-ovh sends it: compact JSON body, signed over the full URL."""
        data = raw if raw is not None else b""
        if raw is None and body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
        url = f"{BASE}/1.0{path}" + (f"?{query}" if query else "")
        sent = {"x-ovh-application": self.ak}
        if sign:
            ts = str(int(self.now if timestamp is None else timestamp))
            sent["x-ovh-consumer"] = self.ck
            sent["x-ovh-timestamp"] = ts
            sent["x-ovh-signature"] = signing.signature(
                secret=secret or self.secret,
                consumer_key=self.ck,
                method=method,
                url=url,
                body=data,
                timestamp=ts,
            )
        sent.update({k.lower(): v for k, v in (headers or {}).items()})
        params = dict(p.split("=", 1) for p in query.split("&")) if query else {}
        return Request(
            method=method,
            url=url,
            path=f"/1.0{path}",
            query=params,
            headers=sent,
            body=data,
            client_ip=client_ip,
            now=self.now,
        )

    def page(
        self, method: str, path: str, *, query: dict[str, str] | None = None, form: bytes = b""
    ) -> Response:
        """A web page of the API (``/auth/``, ``/createApp/``), as a browser asks for it."""
        url = BASE + path + (f"?{urlencode(query)}" if query else "")
        headers = {"content-type": "application/x-www-form-urlencoded"} if form else {}
        return self.send(Request(method, url, path, query or {}, headers, form, now=self.now))

    def send(self, request: Request) -> Response:
        return api.answer(self.store, self.backend, request)

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        response = self.send(self.request(method, path, body, **kw))
        return response.status, json.loads(response.body) if response.body else None

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        status, answer = self.call(method, path, body, **kw)
        assert status == 200, (status, answer)
        return answer

    def error(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, str]:
        status, answer = self.call(method, path, body, **kw)
        assert status >= 400, (status, answer)
        return status, str(answer["message"])

    @property
    def kube(self) -> str:
        return f"/cloud/project/{self.project}/kube"

    def cluster(self, **body: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.ok("POST", self.kube, {"region": "GRA11", **body})
        return created

    def ready(self, cluster_id: str) -> None:
        """What the reconciler does once the control plane answers."""
        found = self.store.clusters[cluster_id]
        found.status, found.operation = "READY", None
