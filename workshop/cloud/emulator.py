"""Starting, stopping and inspecting the emulated OVHcloud API; creating its keys.

``Emulator(home).up()`` starts the daemon (``workshop.cloud.daemon``) on loopback and
returns once ``GET /1.0/auth/time`` answers. ``credentials()`` then does what a learner
does on the real service, over HTTP: create an application (``/createApp/``), request a
consumer key (``POST /1.0/auth/credential``) and validate it (its ``validationUrl``),
and writes the keys to ``<home>/ovh.conf``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from workshop.cloud import ovhconf
from workshop.cloud.layout import CloudLayout
from workshop.cloud.managed import ManagedCluster
from workshop.cloud.runtime import PROFILES
from workshop.cloud.store import read_only
from workshop.errors import CloudError
from workshop.home import workshop_home
from workshop.sandbox import ports

START_TIMEOUT = 30.0
STOP_TIMEOUT = 120.0
FULL_ACCESS = [{"method": m, "path": "/*"} for m in ("GET", "POST", "PUT", "DELETE")]
READ_ONLY = [{"method": "GET", "path": "/*"}]
DAEMON = "workshop.cloud.daemon"


@dataclass(frozen=True)
class ClusterInfo:
    id: str
    name: str
    region: str
    status: str
    version: str
    url: str
    pools: int
    nodes: int
    running: bool
    message: str | None = None
    """Why the cluster is in ERROR."""
    pool_errors: dict[str, str] = field(default_factory=dict)
    """Why each node pool in ERROR is (the cluster refused it), by pool name."""


@dataclass(frozen=True)
class EmulatorStatus:
    running: bool
    home: Path
    url: str | None
    ovh_conf: Path
    pid: int | None = None
    uptime: float | None = None
    profile: str | None = None
    keys: dict[str, str] | None = None
    """The ovh.conf keys, masked."""
    clusters: list[ClusterInfo] = field(default_factory=list)


def _alive(pid: int) -> bool:
    try:
        return DAEMON.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _opener() -> urllib.request.OpenerDirector:
    # loopback only: never through an HTTP proxy from the environment
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Emulator:
    """The emulated API of one workshop home (``<home>/cloud``)."""

    def __init__(
        self,
        home: Path | str | None = None,
        *,
        port: int | None = None,
        profile: str | None = None,
    ) -> None:
        self.home = Path(home).expanduser() if home else workshop_home()
        self.layout = CloudLayout(self.home)
        self.wanted_port = port
        self.wanted_profile = profile
        if profile is not None and profile not in PROFILES:
            raise CloudError(
                f"unknown delay profile {profile!r}", hint=f"choose one of: {', '.join(PROFILES)}"
            )

    # -- where -------------------------------------------------------------------------------

    def _config(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.layout.config.read_text())
            return data
        except (OSError, ValueError):
            return {}

    @property
    def url(self) -> str | None:
        """``http://127.0.0.1:PORT/1.0``, the endpoint clients use (None before the first up)."""
        port = self._config().get("port")
        return f"http://127.0.0.1:{port}/1.0" if port else None

    @property
    def ovh_conf(self) -> Path:
        return self.layout.ovh_conf

    def pid(self) -> int | None:
        try:
            pid = int(self.layout.pid.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def is_running(self) -> bool:
        return self.pid() is not None

    # -- up and down -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.layout.root.mkdir(parents=True, exist_ok=True)
        with (self.layout.root / ".lock").open("w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def up(self, *, timeout: float = START_TIMEOUT) -> bool:
        """Start the emulator unless it runs; wait until it answers. True if it started."""
        with self._lock():
            if self.is_running():
                self._wait_answering(time.monotonic() + timeout)
                return False
            config = self._config()
            port = self.wanted_port or config.get("port")
            if port is None or not ports.is_free(port):
                if self.wanted_port:
                    raise CloudError(
                        f"port {port} on 127.0.0.1 is already in use",
                        hint="stop what uses it (see `ss -ltnp`), or choose another with --port",
                    )
                port = ports.pick(1)[0]
            profile = self.wanted_profile or config.get("profile") or "instant"
            self.layout.config.write_text(json.dumps({"port": port, "profile": profile}))
            self.layout.log.parent.mkdir(parents=True, exist_ok=True)
            with self.layout.log.open("ab") as log:
                subprocess.run(
                    [sys.executable, "-m", DAEMON, str(self.home)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    cwd=self.home,
                    check=True,
                )
            self._wait_answering(time.monotonic() + timeout)
            assert self.url is not None
            ovhconf.set_url(self.ovh_conf, self.url)
            return True

    def _wait_answering(self, deadline: float) -> None:
        started = time.monotonic()
        while True:
            try:
                self.call("GET", "/1.0/auth/time")
                return
            except (OSError, CloudError):
                pass
            if time.monotonic() - started > 2 and not self.is_running():
                raise CloudError(
                    "the emulated OVHcloud API stopped at start; its last log lines:\n"
                    + self._tail(),
                    hint=f"the whole log is in {self.layout.log}",
                )
            if time.monotonic() > deadline:
                raise CloudError(
                    "the emulated OVHcloud API did not answer in time; its last log lines:\n"
                    + self._tail(),
                    hint=f"the whole log is in {self.layout.log}",
                )
            time.sleep(0.1)

    def _tail(self, lines: int = 15) -> str:
        try:
            text = self.layout.log.read_text(errors="replace")
        except OSError:
            return "    (no log)"
        return "\n".join("    " + line for line in text.splitlines()[-lines:])

    def down(self) -> bool:
        """Stop the emulator and every cluster's processes; keep all data. True if it ran."""
        with self._lock():
            stopped = False
            pid = self.pid()
            if pid is not None:
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + STOP_TIMEOUT
                while _alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
                stopped = True
            # clusters left running by a daemon that was killed
            if self.layout.clusters.exists():
                for root in self.layout.clusters.iterdir():
                    managed = ManagedCluster(root)
                    if managed.exists() and managed.is_running():
                        managed.down()
                        stopped = True
            return stopped

    # -- calls -----------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        form: bool = False,
    ) -> Any:
        """An unsigned call to the emulator (``path`` from the server's root), JSON back."""
        url = self.url
        if url is None:
            raise CloudError(
                "the emulated OVHcloud API was never started", hint="`workshop cloud up`"
            )
        base = url.removesuffix("/1.0")
        data = None if body is None else json.dumps(body).encode()
        # always http://127.0.0.1:PORT, from our own config file
        request = urllib.request.Request(base + path, data=data, method=method)  # noqa: S310
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with _opener().open(request, timeout=10) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            try:
                message = json.loads(e.read()).get("message", str(e))
            except ValueError:
                message = str(e)
            raise CloudError(f"{method} {path}: {e.code} {message}", status=e.code) from e

    def credentials(self, *, rules: list[dict[str, str]] | None = None, validity: int = 0) -> Path:
        """New keys, as on the real service, written to ``ovh.conf``; returns its path."""
        if not self.is_running():
            raise CloudError("the emulated OVHcloud API is not running", hint="`workshop cloud up`")
        app = self.call(
            "POST",
            "/createApp/",
            {"applicationName": "workshop", "applicationDescription": "Kubernetes workshop"},
        )
        request = self.call(
            "POST",
            "/1.0/auth/credential",
            {"accessRules": rules or FULL_ACCESS, "redirection": None},
            headers={"X-Ovh-Application": app["applicationKey"]},
        )
        token = parse_qs(urlsplit(request["validationUrl"]).query)["credentialToken"][0]
        self.call(
            "POST",
            "/auth/",
            {"credentialToken": token, "validity": validity, "action": "authorize"},
        )
        assert self.url is not None
        keys = ovhconf.Keys(
            url=self.url,
            application_key=app["applicationKey"],
            application_secret=app["applicationSecret"],
            consumer_key=request["consumerKey"],
        )
        ovhconf.write(self.ovh_conf, keys)
        return self.ovh_conf

    def has_credentials(self) -> bool:
        """Whether ``ovh.conf`` holds keys this emulator knows and has validated."""
        keys = ovhconf.read(self.ovh_conf)
        store = read_only(self.layout.state)
        if keys is None or store is None:
            return False
        credential = store.credentials.get(keys.consumer_key)
        application = store.applications.get(keys.application_key)
        return (
            application is not None
            and application.secret == keys.application_secret
            and credential is not None
            and credential.application_key == keys.application_key
            and credential.state == "validated"
            and (credential.expires is None or credential.expires > time.time())
        )

    # -- status ----------------------------------------------------------------------------

    def status(self) -> EmulatorStatus:
        pid = self.pid()
        keys = ovhconf.read(self.ovh_conf)
        config = self._config()
        base = EmulatorStatus(
            running=pid is not None,
            home=self.home,
            url=self.url,
            ovh_conf=self.ovh_conf,
            pid=pid,
            profile=config.get("profile"),
            keys=keys.masked() if keys else None,
        )
        store = read_only(self.layout.state)
        if store is None:
            return base
        clusters = []
        for cluster in sorted(store.clusters.values(), key=lambda c: c.created):
            managed = ManagedCluster(self.layout.cluster(cluster.id))
            clusters.append(
                ClusterInfo(
                    id=cluster.id,
                    name=cluster.name,
                    region=cluster.region,
                    status=cluster.status,
                    version=cluster.version,
                    url=f"https://127.0.0.1:{cluster.port}",
                    pools=len(store.pools_of(cluster.id)),
                    nodes=len(store.nodes_of(cluster.id)),
                    running=managed.exists() and managed.is_running(),
                    message=cluster.message if cluster.status == "ERROR" else None,
                    pool_errors={
                        p.name: p.message or "no reason recorded"
                        for p in store.pools_of(cluster.id)
                        if p.status == "ERROR"
                    },
                )
            )
        uptime = None
        if pid is not None:
            with contextlib.suppress(OSError):
                uptime = time.time() - self.layout.pid.stat().st_mtime
        return EmulatorStatus(
            running=base.running,
            home=base.home,
            url=base.url,
            ovh_conf=base.ovh_conf,
            pid=pid,
            uptime=uptime,
            profile=base.profile,
            keys=base.keys,
            clusters=clusters,
        )
