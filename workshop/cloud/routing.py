"""Routes of the API and one ``handle`` that answers a request (pure over the store).

A route is a method, a path pattern such as ``/cloud/project/{serviceName}/kube``, and a
handler taking a ``Call``. ``handle`` strips the ``/1.0`` (or ``/v1``) prefix,
authenticates signed calls, runs the handler under the store's lock, saves the store
after a change and turns ``ApiError`` into the API's error answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote

from workshop.cloud import auth, protocol, validation
from workshop.cloud.protocol import ApiError, Request, Response
from workshop.cloud.store import Cluster, Credential, Store

API_PREFIXES = ("/1.0", "/v1")
METHODS = ("GET", "POST", "PUT", "DELETE")
log = logging.getLogger("workshop.cloud.api")


def route_name(request: Request) -> str:
    """The path for a log line: short, never the query string (it may carry tokens)."""
    return protocol.clip(request.path, 200)


class Backend(Protocol):
    """What handlers need from outside the store (the daemon's runtime; a fake in tests)."""

    def allocate_port(self) -> int:
        """A free local port for a new cluster's API endpoint."""
        ...

    def kubeconfig(self, cluster: Cluster) -> str:
        """The admin kubeconfig of a READY cluster, as YAML."""
        ...

    def changed(self) -> None:
        """Wake the reconciler: the store holds new work."""
        ...


@dataclass
class Call:
    """One routed call: the store, the request, the path's parameters, the caller."""

    store: Store
    request: Request
    params: dict[str, str]
    backend: Backend
    credential: Credential | None = None
    _body: Any = field(default=None, repr=False)
    _parsed: bool = False

    @property
    def now(self) -> float:
        return self.request.now

    def json(self) -> Any:
        if not self._parsed:
            self._body = validation.parse(self.request.body)
            self._parsed = True
        return self._body

    def body(self, *, known: tuple[str, ...], immutable: tuple[str, ...] = ()) -> validation.Body:
        return validation.Body(self.json(), known=known, immutable=immutable)


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    handler: Handler
    signed: bool = True
    regex: re.Pattern[str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        source = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.pattern))
        object.__setattr__(self, "regex", re.compile(source))


class Router:
    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        for route in self.routes:
            found = route.regex.fullmatch(path)
            if found and route.method == method:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        raise protocol.invalid_url()


def api_path(path: str) -> str | None:
    """The path inside the API (``/cloud/project``), None if outside it."""
    for prefix in API_PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
    return None


def handle(router: Router, store: Store, backend: Backend, request: Request) -> Response:
    """Answer one API call."""
    path = api_path(request.path)
    if path is None:
        return protocol.invalid_url().response()
    try:
        route, params = router.match(request.method, path)
        with store.lock:
            call = Call(store, request, params, backend)
            if route.signed:
                call.credential = auth.authenticate(store, request, path)
            result = route.handler(call)
            if request.method != "GET" or route.signed:
                # a signed GET records the consumer key's last use
                store.save()
    except ApiError as e:
        return e.response()
    except Exception:
        log.exception("%s %s: the handler failed", request.method, route_name(request))
        return protocol.internal_error().response()
    if request.method != "GET":
        backend.changed()
    return protocol.json_response(result)
