"""The HTTP layer: bytes in, a ``Request``; ``api.answer``; a ``Response``, bytes out.

It logs one line per call (method, path, status, time), never a header, a query string
or a body: they carry keys, signatures and consumer-key tokens.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from workshop.cloud.protocol import Request, Response

log = logging.getLogger("workshop.cloud.http")
MAX_BODY = 4 * 1024 * 1024

App = Callable[[Request], Response]


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        super().__init__(address, Handler)
        self.app = app


class Handler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.1"
    server_version = "workshop-ovhcloud-emulator"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        started = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.send_error(413)
            return
        body = self.rfile.read(length) if length else b""
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
        response = self.server.app(request)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)
        elapsed = (time.monotonic() - started) * 1000
        log.info("%s %s %s %.0fms", self.command, parts.path, response.status, elapsed)

    def log_message(self, format: str, *args: object) -> None:
        """Silence http.server's own lines (they quote the full request line)."""
