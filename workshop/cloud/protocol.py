"""Requests, responses and error answers of the emulated API (pure data, no sockets).

The HTTP layer turns bytes into a ``Request`` and a ``Response`` back into bytes; every
decision in between is made by functions over the store. Error bodies carry both the
fields python-ovh reads (``errorCode``, ``message``) and those go-ovh reads (``class``,
``message``), as the real API's answers do.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

JSON = "application/json; charset=utf-8"
# Error messages quote what the client sent; a long value is cut to this many characters,
# and a whole message to MAX_MESSAGE, so an answer never echoes megabytes back.
MAX_ECHO = 64
MAX_MESSAGE = 512


@dataclass(frozen=True)
class Request:
    """One call as it reached the server."""

    method: str
    url: str
    """The full URL as the client used it: scheme, host, port, path and query."""
    path: str
    """The path without the query string, still percent-encoded."""
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    """Header names in lower case."""
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    now: float = 0.0

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def base_url(self) -> str:
        """``scheme://host:port`` of the server, as the client reached it."""
        scheme, _, rest = self.url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"

    def wants_json(self) -> bool:
        return "application/json" in (self.header("accept") or "")


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()


def json_response(value: Any, status: int = 200) -> Response:
    """The API's answer: JSON, ``null`` for calls that return nothing."""
    return Response(status, json.dumps(value).encode())


def query_id() -> str:
    """A value for ``X-Ovh-QueryId``: quoted in error messages, handy in logs."""
    return f"LOCAL.emulator.{secrets.token_hex(6)}.{secrets.token_hex(6)}"


class ApiError(Exception):
    """An error answer of the API: status, class, message and, for auth errors, a code."""

    def __init__(
        self, status: int, message: str, *, error_class: str, error_code: str | None = None
    ) -> None:
        message = clip(message, MAX_MESSAGE)
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_class = error_class
        self.error_code = error_code

    def body(self) -> dict[str, str]:
        body = {"class": self.error_class, "message": self.message}
        if self.error_code:
            phrase = HTTPStatus(self.status).phrase
            body = {"errorCode": self.error_code, "httpCode": f"{self.status} {phrase}", **body}
        return body

    def response(self) -> Response:
        return Response(
            self.status,
            json.dumps(self.body()).encode(),
            headers=(("X-Ovh-QueryId", query_id()),),
        )


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def shown(value: object, limit: int = MAX_ECHO) -> str:
    """A value the client sent, quoted for an error message as JSON (so control characters
    show), cut to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return clip(text, limit)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message, error_class="Client::BadRequest")


def not_found(message: str) -> ApiError:
    return ApiError(404, message, error_class="Client::NotFound")


def conflict(message: str) -> ApiError:
    return ApiError(409, message, error_class="Client::Conflict::AlreadyExists")


def forbidden(message: str, code: str) -> ApiError:
    return ApiError(403, message, error_class="Client::Forbidden", error_code=code)


# The authentication answers, worded as the real API words them.
def unauthenticated() -> ApiError:
    return ApiError(401, "You must login first", error_class="Client::Unauthorized")


def invalid_signature() -> ApiError:
    return ApiError(
        400, "Invalid signature", error_class="Client::BadRequest", error_code="INVALID_SIGNATURE"
    )


def query_out_of_time() -> ApiError:
    return ApiError(
        400, "Query out of time", error_class="Client::BadRequest", error_code="QUERY_TIME_OUT"
    )


def invalid_key() -> ApiError:
    return forbidden("This application key is invalid", "INVALID_KEY")


def not_credential() -> ApiError:
    return forbidden("This credential does not exist", "NOT_CREDENTIAL")


def invalid_credential() -> ApiError:
    return forbidden("This credential is not valid", "INVALID_CREDENTIAL")


def not_granted() -> ApiError:
    return forbidden("This call has not been granted", "NOT_GRANTED_CALL")


def ip_not_allowed(ip: str) -> ApiError:
    return forbidden(f"This call is not allowed from {ip}", "FORBIDDEN")


def invalid_url() -> ApiError:
    return not_found("Got an invalid (or empty) URL")


# Answers of the HTTP layer: the request could not be read as one HTTP request.
HTTP_CLASSES = {
    400: "Client::BadRequest",
    404: "Client::NotFound",
    405: "Client::MethodNotAllowed",
    408: "Client::RequestTimeout",
    411: "Client::LengthRequired",
    413: "Client::RequestEntityTooLarge",
    414: "Client::RequestURITooLong",
    431: "Client::RequestHeaderFieldsTooLarge",
}


def http_error(status: int, message: str) -> ApiError:
    """An error of the HTTP layer (unreadable request line, length, size, time) as JSON."""
    return ApiError(status, message, error_class=HTTP_CLASSES.get(status, "Client::BadRequest"))


def method_not_allowed(method: str) -> ApiError:
    return http_error(
        405,
        f"Method {clip(method, 16)} is not allowed: the API answers GET, POST, PUT and DELETE",
    )


def internal_error() -> ApiError:
    """Our own bug, never the client's: the message says where to look."""
    return ApiError(
        500,
        "The emulated API failed to answer this call; its log (workshop cloud status shows "
        "where) has the details",
        error_class="Server::InternalServerError",
    )
