"""The HTTP layer: bytes in, a ``Request``; ``api.answer``; a ``Response``, bytes out.

Whatever arrives gets an answer in the API's JSON error shape: an unreadable request
line or header, a ``Content-Length`` that is not a number, too big, or longer than the
body that came, an unknown method. A request has ``read_timeout`` from its first byte
until its body is read (each read waits at most what is left; a request line or a header
dripped a byte at a time is bounded by their sizes instead); then it is answered 408. A
connection is closed without an answer only when no byte of a request came before the
idle timeout.

It logs one line per call (method, path, status, time), never a header, a query string
or a body: they carry keys, signatures and consumer-key tokens.
"""

from __future__ import annotations

import io
import logging
import re
import socket
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from workshop.cloud import protocol
from workshop.cloud.protocol import Request, Response

log = logging.getLogger("workshop.cloud.http")
MAX_BODY = 1024 * 1024
"""The largest body the API reads (its bodies are a few hundred bytes)."""
MAX_LINE = 16 * 1024
"""The longest request line (method, path and query)."""
READ_TIMEOUT = 10.0
"""How long a request may take to arrive once its first byte came."""
IDLE_TIMEOUT = 60.0
"""How long a kept-alive connection may wait for its next request."""
DRAIN_TIMEOUT = 1.0
"""How long, at most, what a refused client still sends is read and dropped."""
DIGITS = re.compile(r"[0-9]{1,15}")

App = Callable[[Request], Response]


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        app: App,
        *,
        read_timeout: float = READ_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        super().__init__(address, Handler)
        self.app = app
        self.read_timeout = read_timeout
        self.idle_timeout = idle_timeout

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """A connection that failed under us (a reset, mostly): one line, no traceback."""
        log.warning("connection from %s failed: %r", client_address[0], sys.exc_info()[1])


class Refused(Exception):
    """The request cannot be read as one HTTP request: answer ``error``, then close."""

    def __init__(self, error: protocol.ApiError) -> None:
        super().__init__(error.message)
        self.error = error


class Handler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.1"
    # never HTTP/0.9 (no status line, no headers): a bare ``GET /`` is read as HTTP/1.0
    default_request_version = "HTTP/1.0"
    server_version = "workshop-ovhcloud-emulator"

    deadline = 0.0
    """When the request being read must have arrived (``time.monotonic()``)."""

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.read_timeout)

    def handle_one_request(self) -> None:
        """Read one request and answer it; every way it can be wrong gets a JSON answer."""
        self.request_version = self.default_request_version
        self.command = ""
        self.requestline = ""
        connection: socket.socket = self.connection
        try:
            connection.settimeout(self.server.idle_timeout)
            reader: io.BufferedReader = self.rfile  # type: ignore[assignment]
            if not reader.peek(1):
                self.close_connection = True  # the client closed a kept-alive connection
                return
        except (TimeoutError, OSError):
            self.close_connection = True  # idle: no request began, none to answer
            return
        try:
            self.deadline = time.monotonic() + self.server.read_timeout
            self._wait_at_most()
            self._read_and_serve()
        except Refused as e:
            self._refuse(e.error)
        except TimeoutError:
            self._refuse(
                protocol.http_error(
                    408,
                    f"The request did not arrive within {self.server.read_timeout:g} s; "
                    "send the whole request at once, with a Content-Length that matches its body",
                )
            )

    def _wait_at_most(self) -> None:
        """The next read waits only for what is left of the request's time: a client that
        sends its body a byte at a time is answered at the deadline too."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        connection: socket.socket = self.connection
        connection.settimeout(left)

    def _read_and_serve(self) -> None:
        self.raw_requestline = self.rfile.readline(MAX_LINE + 1)
        if len(self.raw_requestline) > MAX_LINE:
            raise Refused(
                protocol.http_error(414, f"The request line is longer than {MAX_LINE} bytes")
            )
        self._wait_at_most()
        if not self.parse_request():
            return  # answered by send_error
        self._serve()
        self.wfile.flush()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (bad request line, headers, version), as JSON."""
        if code == 505:  # an HTTP version we do not speak is the client's mistake
            code, message = 400, "Only HTTP/1.0 and HTTP/1.1 are supported"
        text = message or "The request could not be read"
        self._refuse(protocol.http_error(code if 400 <= code < 500 else 400, text))

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            raise Refused(
                protocol.http_error(
                    411, "Transfer-Encoding is not supported: send the body with a Content-Length"
                )
            )
        lengths = set(self.headers.get_all("Content-Length") or [])
        if not lengths:
            return b""
        given = lengths.pop() if len(lengths) == 1 else ", ".join(sorted(lengths))
        if not DIGITS.fullmatch(given.strip()):
            raise Refused(
                protocol.http_error(
                    400,
                    f"Content-Length {protocol.shown(given)} is not a number of bytes",
                )
            )
        length = int(given)
        if length > MAX_BODY:
            raise Refused(
                protocol.http_error(
                    413, f"The body is {length} bytes long; the API reads at most {MAX_BODY}"
                )
            )
        chunks, got = [], 0
        while got < length:
            self._wait_at_most()
            chunk = self.rfile.read1(min(length - got, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        body = b"".join(chunks)
        if len(body) < length:
            raise Refused(
                protocol.http_error(
                    400,
                    f"The body ended after {len(body)} bytes, before its Content-Length ({length})",
                )
            )
        return body

    def _serve(self) -> None:
        started = time.monotonic()
        body = self._body()
        connection: socket.socket = self.connection
        connection.settimeout(self.server.read_timeout)  # for the answer, whatever is left
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            url=f"http://{host}{self.path}",
            path=parts.path,
            query=dict(parse_qsl(parts.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            client_ip=self.client_address[0],
            now=time.time(),
        )
        try:
            response = self.server.app(request)
        except Exception:
            log.exception("%s %s: no answer", protocol.clip(self.command, 16), parts.path[:200])
            response = protocol.internal_error().response()
        self._send(response)
        elapsed = (time.monotonic() - started) * 1000
        log.info(
            "%s %s %s %.0fms",
            protocol.clip(self.command, 16),
            protocol.clip(parts.path, 200),
            response.status,
            elapsed,
        )

    def _send(self, response: Response, *, close: bool = False) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _refuse(self, error: protocol.ApiError) -> None:
        """Answer a request that could not be read, then close: the rest of what the client
        sent cannot be told apart from a next request. What it still sends is read and
        dropped for a moment, so that it reads the answer instead of a reset connection."""
        log.info("%s refused: %s %s", self.client_address[0], error.status, error.message)
        try:
            self._send(error.response(), close=True)
            self.wfile.flush()
            connection: socket.socket = self.connection
            connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + DRAIN_TIMEOUT
            left = MAX_BODY * 4
            while left > 0 and (remaining := deadline - time.monotonic()) > 0:
                connection.settimeout(remaining)
                chunk = connection.recv(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass  # the client went away: nobody is left to answer

    def log_message(self, format: str, *args: object) -> None:
        """Silence http.server's own lines (they quote the full request line)."""
