"""A few kube-apiserver calls the sandbox makes while it starts (stdlib only, so fast).

Labs, checks and widgets use the official ``kubernetes`` client through the kubeconfig;
the sandbox itself only needs health checks and a handful of node calls, and starting
it must not wait for a large client library to import.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workshop.errors import SandboxError
from workshop.sandbox.pki import Pki


class ApiError(SandboxError):
    """A non-2xx answer from kube-apiserver, with its Status message (``status``: the code)."""

    def __init__(self, status: int, message: str, *, request: str = "") -> None:
        asked = f" {request}" if request else ""
        super().__init__(
            f"kube-apiserver answered{asked}: {status}: {message}",
            component="kube-apiserver",
            hint="`workshop sandbox logs kube-apiserver` shows what it said; "
            "`workshop sandbox down` then `workshop sandbox up` restarts it",
        )
        self.status = status


@dataclass
class Api:
    """kube-apiserver at ``host:port``, reached with the sandbox's admin certificate."""

    host: str
    port: int
    pki: Pki
    timeout: float = 5.0

    def _context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        ctx.load_cert_chain(str(self.pki.cert("admin")), str(self.pki.key("admin")))
        return ctx

    def request(
        self, method: str, path: str, body: Any = None, *, content_type: str = "application/json"
    ) -> Any:
        conn = http.client.HTTPSConnection(
            self.host, self.port, context=self._context(), timeout=self.timeout
        )
        try:
            payload = None if body is None else json.dumps(body).encode()
            headers = {"Accept": "application/json"}
            if payload is not None:
                headers["Content-Type"] = content_type
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        if response.status >= 300:
            try:
                message = json.loads(data).get("message", data.decode(errors="replace"))
            except ValueError:
                message = data.decode(errors="replace")
            raise ApiError(response.status, str(message), request=f"{method} {path}")
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return data.decode(errors="replace")

    def ready(self) -> bool:
        """``/readyz`` answers ok (etcd reachable, bootstrap done)."""
        try:
            return bool(self.request("GET", "/readyz") == "ok")
        except (OSError, ApiError, http.client.HTTPException):
            return False

    def nodes(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.request("GET", "/api/v1/nodes")["items"]
        return items

    def create_node(self, node: dict[str, Any]) -> None:
        self.request("POST", "/api/v1/nodes", node)

    def delete_node(self, name: str) -> None:
        self.request("DELETE", f"/api/v1/nodes/{name}")

    def version(self) -> str:
        return str(self.request("GET", "/version")["gitVersion"])


def is_ready(node: dict[str, Any]) -> bool:
    conditions = node.get("status", {}).get("conditions", [])
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def load(host: str, port: int, pki_root: Path) -> Api:
    return Api(host, port, Pki(pki_root))
