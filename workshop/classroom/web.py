"""The class board as a small web page for a projector, on loopback only.

The page asks ``/board.json?after=N``; the server answers as soon as the watch has seen a
change past version N (a long poll, at most 25 s), so the page follows the class within a
watch event's time. ``/progress.csv`` is the export.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from workshop.classroom.board import LiveBoard, render_html, to_csv
from workshop.errors import WorkshopError

POLL_SECONDS = 25.0

PAGE = """<!doctype html><html><head><meta charset=utf-8><title>Class %(name)s</title>
<style>body{font-family:sans-serif;margin:1em}td{min-width:1.6em;text-align:center}</style>
</head><body><div id=board>%(board)s</div><p><a href="progress.csv">progress.csv</a></p>
<script>
let version = %(version)d;
async function follow() {
  for (;;) {
    try {
      const r = await fetch("board.json?after=" + version);
      const data = await r.json();
      version = data.version;
      document.getElementById("board").innerHTML = data.html;
    } catch (e) { await new Promise(ok => setTimeout(ok, 2000)); }
  }
}
follow();
</script></body></html>
"""


def serve(live: LiveBoard, *, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Start serving in a background thread; ``server.server_address`` says where."""
    if not ipaddress.ip_address(host).is_loopback:
        raise WorkshopError(
            f"the board listens on loopback only, not {host}",
            hint="put it on the projector from this machine's browser",
        )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/":
                board = live.board()
                body = PAGE % {
                    "name": live.name,
                    "board": render_html(board),
                    "version": live.version,
                }
                self._send(200, "text/html; charset=utf-8", body)
            elif url.path == "/board.json":
                query = urllib.parse.parse_qs(url.query)
                after = int((query.get("after") or ["-1"])[0] or -1)
                version = live.wait(after, POLL_SECONDS)
                data = {"version": version, "html": render_html(live.board())}
                self._send(200, "application/json", json.dumps(data))
            elif url.path == "/progress.csv":
                self._send(200, "text/csv; charset=utf-8", to_csv(live.watcher.objects))
            else:
                self._send(404, "text/plain", "not found\n")

        def _send(self, status: int, kind: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return  # quiet: the projector polls all day

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="workshop-board", daemon=True).start()
    return server
