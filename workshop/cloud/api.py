"""The whole emulated API as one function: ``answer(store, backend, request) -> Response``.

The HTTP server calls it for every request; unit tests call it directly with a
``Request`` built in memory.
"""

from __future__ import annotations

from dataclasses import replace

from workshop.cloud import access, account, console, kube, nodepools, protocol, routing, settings
from workshop.cloud.protocol import Request, Response
from workshop.cloud.routing import Backend
from workshop.cloud.store import Store

ROUTER = routing.Router(
    [*account.ROUTES, *kube.ROUTES, *settings.ROUTES, *nodepools.ROUTES, *access.ROUTES]
)

PAGES = {"/createApp": console.create_app, "/auth": console.validate}


def answer(store: Store, backend: Backend, request: Request) -> Response:
    """The API's answer to one request, web pages included; a JSON error for any other."""
    if request.method not in routing.METHODS:
        response = protocol.method_not_allowed(request.method).response()
        allow = ("Allow", ", ".join(routing.METHODS))
        return replace(response, headers=(*response.headers, allow))
    path = request.path.rstrip("/")
    page = PAGES.get(path)
    if page is not None and request.method in ("GET", "POST"):
        try:
            return page(store, request)
        except protocol.ApiError as e:
            return e.response()
        except Exception:  # noqa: BLE001 - logged; the client gets a JSON 500, not a drop
            routing.log.exception("%s %s: the page failed", request.method, path)
            return protocol.internal_error().response()
    if routing.api_path(request.path) is None:
        return protocol.invalid_url().response()
    return routing.handle(ROUTER, store, backend, request)
