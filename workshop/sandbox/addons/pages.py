"""What each simulated web server answers to an HTTP request, and the line it logs (pure).

``respond(site, request)`` is a function of the request and the container's world (its
pod, its data folder): the socket layer (``servers.py``) only moves the bytes. Every answer
carries ``X-Sandbox-Pod``: the pod that served it, whatever the image.
"""

from __future__ import annotations

import html
import json
import mimetypes
import posixpath
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Site:
    """The container a request reaches."""

    app: str
    pod: str
    namespace: str
    ip: str
    node: str
    version: str = ""
    data: Path | None = None
    """The folder the server keeps its files in; None: the image's own files."""
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    version: str = "HTTP/1.1"
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.target).path or "/"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=dict)


REASONS = {
    200: "OK",
    201: "Created",
    302: "Found",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}

SERVER_HEADER = {
    "hello": "nginx/{v}",
    "nginx": "nginx/{v}",
    "httpd": "Apache/{v} (Unix)",
    "wordpress": "Apache/2.4.62 (Debian)",
    "directory": "SimpleHTTP/0.6 Python/3.13.1",
}


def respond(site: Site, request: Request) -> Response:
    """The answer of ``site.app`` to ``request``."""
    handler = APPS.get(site.app, _echo)
    response = handler(site, request)
    headers = {"X-Sandbox-Pod": site.pod, **response.headers}
    server = SERVER_HEADER.get(site.app)
    if server:
        headers.setdefault("Server", server.format(v=site.version))
    if request.method == "HEAD":
        return Response(response.status, b"", response.content_type, headers)
    return Response(response.status, response.body, response.content_type, headers)


def access_log(site: Site, request: Request, response: Response, client: str) -> str:
    """The line the server writes for one request, in its own format."""
    when = time.gmtime()
    line = f"{request.method} {request.target} {request.version}"
    size = len(response.body)
    agent = request.headers.get("user-agent", "-")
    referer = request.headers.get("referer", "-")
    if site.app in ("hello", "nginx"):
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", when)
        return f'{client} - - [{stamp}] "{line}" {response.status} {size} "{referer}" "{agent}" "-"'
    if site.app in ("httpd", "wordpress"):
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", when)
        return f'{client} - - [{stamp}] "{line}" {response.status} {size} "{referer}" "{agent}"'
    if site.app == "directory":
        stamp = time.strftime("%d/%b/%Y %H:%M:%S", when)
        return f'{client} - - [{stamp}] "{line}" {response.status} -'
    return f'{client} "{line}" {response.status} {size} "{agent}"'


def _page(title: str, body: str) -> bytes:
    return (
        f"<!DOCTYPE html>\n<html>\n<head>\n<title>{title}</title>\n</head>\n<body>\n{body}\n"
        "</body>\n</html>\n"
    ).encode()


def _hello(site: Site, request: Request) -> Response:
    body = (
        '<div style="font-family: sans-serif; text-align: center; margin-top: 4em">\n'
        '<h1 style="color: #000e9c">Hello World!</h1>\n'
        "<p>OVHcloud Managed Kubernetes says hello.</p>\n"
        f"<p>Served by pod <b>{html.escape(site.pod)}</b> "
        f"(namespace {html.escape(site.namespace)}, node {html.escape(site.node)}, "
        f"IP {site.ip})</p>\n</div>"
    )
    return Response(200, _page("Hello World!", body))


NGINX_WELCOME = """<h1>Welcome to nginx!</h1>
<p>If you see this page, nginx is installed and working.
Further configuration is required.</p>
<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.</p>
<p><em>Thank you for using nginx.</em></p>"""


def _nginx_error(site: Site, status: int) -> Response:
    title = f"{status} {REASONS[status]}"
    text = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx/{site.version}</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return Response(status, text.encode())


def _files(site: Site, request: Request, error: Callable[[Site, int], Response]) -> Response:
    """Serve the files of the data folder (a volume mounted on the server's web root)."""
    assert site.data is not None
    root = site.data.resolve()
    relative = posixpath.normpath(urllib.parse.unquote(request.path)).lstrip("/")
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        return error(site, 404)
    if target.is_dir():
        target = target / "index.html"
        if not target.is_file():
            return error(site, 403)  # nginx and Apache refuse to list a folder by default
    if not target.is_file():
        return error(site, 404)
    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return Response(200, target.read_bytes(), kind)


def _nginx(site: Site, request: Request) -> Response:
    if request.method not in ("GET", "HEAD"):
        return _nginx_error(site, 405)
    if site.data is not None:
        return _files(site, request, _nginx_error)
    if request.path in ("/", "/index.html"):
        return Response(200, _page("Welcome to nginx!", NGINX_WELCOME))
    return _nginx_error(site, 404)


def _apache_error(site: Site, status: int) -> Response:
    text = (
        f'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
        f"<title>{status} {REASONS[status]}</title>\n</head><body>\n<h1>{REASONS[status]}</h1>\n"
        "<p>The requested URL was not found on this server.</p>\n</body></html>\n"
    )
    return Response(status, text.encode())


def _httpd(site: Site, request: Request) -> Response:
    if site.data is not None:
        return _files(site, request, _apache_error)
    if request.path in ("/", "/index.html"):
        return Response(200, b"<html><body><h1>It works!</h1></body></html>\n")
    return _apache_error(site, 404)


def posts_file(site: Site) -> Path | None:
    return site.data / "wp-posts.json" if site.data is not None else None


def read_posts(site: Site) -> list[dict[str, str]]:
    path = posts_file(site)
    if path is None or not path.exists():
        return [
            {"title": "Hello world!", "content": "Welcome to WordPress. This is your first post."}
        ]
    posts: list[dict[str, str]] = json.loads(path.read_text())
    return posts


def _wordpress(site: Site, request: Request) -> Response:
    """A WordPress front page whose posts live in its data folder (wp-content)."""
    if request.path.startswith("/wp-json/wp/v2/posts"):
        posts = read_posts(site)
        if request.method == "POST":
            post = _form_or_json(request)
            if not post.get("title"):
                return Response(400, b'{"code":"rest_empty_content"}', "application/json")
            posts.append({"title": post["title"], "content": post.get("content", "")})
            path = posts_file(site)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(posts, indent=1))
            answer = {"id": len(posts), "title": {"rendered": post["title"]}, "status": "publish"}
            return Response(201, json.dumps(answer).encode(), "application/json")
        listed = [{"id": i + 1, "title": {"rendered": p["title"]}} for i, p in enumerate(posts)]
        return Response(200, json.dumps(listed).encode(), "application/json")
    if request.path.startswith("/wp-admin"):
        return Response(302, headers={"Location": "/wp-login.php?redirect_to=%2Fwp-admin%2F"})
    if request.path == "/wp-login.php":
        form = (
            '<form method="post"><p>Username <input name="log"></p>'
            '<p>Password <input name="pwd" type="password"></p></form>'
        )
        return Response(200, _page("Log In &lsaquo; My WordPress Site", form))
    if request.path not in ("/", "/index.php"):
        return Response(
            404, _page("Page not found &ndash; My WordPress Site", "<h1>Nothing here</h1>")
        )
    articles = "\n".join(
        f"<article><h2>{html.escape(p['title'])}</h2><p>{html.escape(p['content'])}</p></article>"
        for p in reversed(read_posts(site))
    )
    body = f"<header><h1>My WordPress Site</h1></header>\n<main>\n{articles}\n</main>"
    return Response(
        200,
        _page("My WordPress Site", body),
        headers={"Link": '</wp-json/>; rel="https://api.w.org/"'},
    )


def _form_or_json(request: Request) -> dict[str, str]:
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {
        k: v[0] for k, v in urllib.parse.parse_qs(request.body.decode(errors="replace")).items()
    }


def _echo(site: Site, request: Request) -> Response:
    """hashicorp/http-echo: the text given with -text."""
    return Response(200, (site.options.get("text", "hello-world") + "\n").encode(), "text/plain")


def _hello_app(site: Site, request: Request) -> Response:
    text = f"Hello, world!\nVersion: 1.0.0\nHostname: {site.pod}\n"
    return Response(200, text.encode(), "text/plain")


def _whoami(site: Site, request: Request) -> Response:
    lines = [f"Hostname: {site.pod}", "IP: 127.0.0.1", f"IP: {site.ip}"]
    lines += [f"{request.method} {request.target} {request.version}"]
    lines += [f"{k.title()}: {v}" for k, v in request.headers.items()]
    return Response(200, ("\n".join(lines) + "\n").encode(), "text/plain")


def _busybox_error(site: Site, status: int) -> Response:
    title = f"{status} {REASONS.get(status, '')}".strip()
    text = f"<HTML><HEAD><TITLE>{title}</TITLE></HEAD>\n<BODY><H1>{title}</H1>\n</BODY></HTML>\n"
    return Response(status, text.encode())


def _image_files(site: Site, request: Request) -> Response:
    """An image from the sandbox's registry: its own files, as busybox httpd serves them."""
    if request.method not in ("GET", "HEAD"):
        return _busybox_error(site, 405)
    if site.data is None or not site.data.is_dir():
        return _busybox_error(site, 404)
    return _files(site, request, _busybox_error)


def _directory(site: Site, request: Request) -> Response:
    """python -m http.server: a listing of the container's working folder."""
    entries = [
        "bin@",
        "boot/",
        "dev/",
        "etc/",
        "home/",
        "lib/",
        "proc/",
        "root/",
        "tmp/",
        "usr/",
        "var/",
    ]
    if request.path != "/":
        return Response(
            404, _page("Error response", "<h1>Error response</h1><p>Error code: 404</p>")
        )
    items = "\n".join(f'<li><a href="{e.rstrip("@")}">{e}</a></li>' for e in entries)
    body = f"<h1>Directory listing for /</h1>\n<hr>\n<ul>\n{items}\n</ul>\n<hr>"
    return Response(200, _page("Directory listing for /", body))


APPS: dict[str, Callable[[Site, Request], Response]] = {
    "hello": _hello,
    "nginx": _nginx,
    "httpd": _httpd,
    "wordpress": _wordpress,
    "echo": _echo,
    "hello-app": _hello_app,
    "whoami": _whoami,
    "directory": _directory,
    "files": _image_files,
}
