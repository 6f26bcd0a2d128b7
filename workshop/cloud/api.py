"""The whole emulated API as one function: ``answer(store, backend, request) -> Response``.

The HTTP server calls it for every request; unit tests call it directly with a
``Request`` built in memory.
"""

from __future__ import annotations

from workshop.cloud import access, account, console, kube, nodepools, protocol, routing, settings
from workshop.cloud.protocol import Request, Response
from workshop.cloud.routing import Backend
from workshop.cloud.store import Store

ROUTER = routing.Router(
    [*account.ROUTES, *kube.ROUTES, *settings.ROUTES, *nodepools.ROUTES, *access.ROUTES]
)


def answer(store: Store, backend: Backend, request: Request) -> Response:
    """The API's answer to one request, web pages included."""
    path = request.path.rstrip("/")
    if path == "/createApp" and request.method in ("GET", "POST"):
        return console.create_app(store, request)
    if path == "/auth" and request.method in ("GET", "POST"):
        return console.validate(store, request)
    if routing.api_path(request.path) is None:
        return protocol.invalid_url().response()
    return routing.handle(ROUTER, store, backend, request)
