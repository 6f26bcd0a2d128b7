"""The app simulator: each started pod's containers answer, log and keep their data.

For every pod the image controller let start, this controller:

- opens a loopback listener per port its programs serve, and creates the pod's kwok
  ``PortForward`` object pointing there, so ``kubectl port-forward`` reaches the app; the
  listener is where kwok dials: in a jailed kwok's own network (``jailnet.py``), where only
  root, kwok, may connect to it; on the machine's loopback otherwise;
- creates the pod's kwok ``Logs`` object naming its containers' log files, and writes
  those files as the containers run: the image's start-up lines, the command's output,
  one access-log line per request (``kubectl logs``, ``-f``, ``--previous``, ``-c``);
- gives each container a data folder: the PersistentVolume's folder where a claim is
  mounted, so what an app writes survives the pod.

The kwok objects themselves are made in ``kwokobjects.py``.
Load balancers hand their connections to ``connect``, so a request through a Service
reaches the same simulated container as a port-forward.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workshop.sandbox.addons import annotations as notes
from workshop.sandbox.addons import behaviour, catalogue, kwokobjects, pages, pullsecrets, servers
from workshop.sandbox.addons.client import Kube
from workshop.sandbox.addons.containerlogs import ContainerLog
from workshop.sandbox.addons.loop import Controller, Informer
from workshop.sandbox.layout import Layout


@dataclass
class Running:
    """One container of a pod: its program, its logs, its current run."""

    name: str
    image: catalogue.Image
    program: behaviour.Program
    log: ContainerLog
    started: str | None = None  # status.containerStatuses[].state.running.startedAt
    run: int = 0  # bumped at each start and stop: pending output of an old run is dropped
    server: servers.Container | None = None


@dataclass
class PodApp:
    """The simulated containers of one pod and the sockets that reach them."""

    key: str
    uid: str
    folder: Path
    containers: dict[str, Running]
    listeners: dict[int, asyncio.Server] = field(default_factory=dict)  # port -> listener

    def for_port(self, port: int) -> Running | None:
        return next((c for c in self.containers.values() if port in c.program.ports), None)


class Apps(Controller):
    name = "apps"
    workers = 4

    def __init__(
        self,
        kube: Kube,
        pods: Informer,
        claims: Informer,
        network: servers.Network,
        layout: Layout,
        sources: list[catalogue.PullSource],
        *,
        kwok_network: int | None = None,
    ) -> None:
        super().__init__()
        self.kube, self.pods, self.claims, self.network = kube, pods, claims, network
        self.layout, self.sources = layout, sources
        self.kwok_network = kwok_network
        """The descriptor of a jailed kwok's network (``netns.inherited``), or None."""
        self.apps: dict[str, PodApp] = {}
        self.logs_for: dict[str, str] = {}  # pod key -> uid whose Logs object is on its way
        self.publisher = kwokobjects.Publisher(self._publish, self.log.warning)
        self.watch(pods)

    def start(self, stop: threading.Event) -> list[threading.Thread]:
        publisher = threading.Thread(
            target=self.publisher.run, args=(stop,), name="apps-publisher", daemon=True
        )
        publisher.start()
        return [*super().start(stop), publisher]

    # -- reconcile -------------------------------------------------------------------------

    def reconcile(self, key: str) -> float | None:
        pod = self.pods.get(key)
        app = self.apps.get(key)
        if app is not None and (pod is None or pod["metadata"]["uid"] != app.uid):
            self._remove(app)  # deleted, or re-created under the same name (StatefulSet)
            app = None
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            self.logs_for.pop(key, None)
            return None
        uid = pod["metadata"]["uid"]
        if pod["spec"].get("nodeName") and self.logs_for.get(key) != uid:
            # Logs first, as soon as the pod has a node: ready before its containers start.
            self.logs_for[key] = uid
            self.publisher.add(kwokobjects.Item(key, uid, "logs"))
        if (pod["metadata"].get("annotations") or {}).get(notes.PULLED) != "true":
            return None  # the image controller has not let it start yet
        if app is None:
            app = self._create(key, pod)
        self._follow(app, pod)
        return None

    def _create(self, key: str, pod: dict[str, Any]) -> PodApp:
        meta, spec = pod["metadata"], pod["spec"]
        folder = self._folder(meta)
        containers = {}
        keyring = pullsecrets.for_pod(self.kube, pod)  # the image is read as it was pulled
        for container in spec["containers"]:
            image = catalogue.pull(container["image"], self.sources, keyring=keyring.lookup)
            program = behaviour.program(
                container,
                image,
                restart_policy=spec.get("restartPolicy", "Always"),
                pod=meta["name"],
            )
            log = ContainerLog(folder / container["name"])
            containers[container["name"]] = Running(container["name"], image, program, log)
        app = PodApp(key, meta["uid"], folder, containers)
        for running in containers.values():
            for port in running.program.ports:
                server = self.network.listen(
                    "127.0.0.1", 0, self._handler(key, port), namespace=self.kwok_network
                )
                app.listeners[port] = server
        self.apps[key] = app
        if app.listeners:
            self.publisher.add(kwokobjects.Item(key, meta["uid"], "portforwards"))
        ports = {p: servers.port_of(s) for p, s in app.listeners.items()}
        self.log.info("%s: simulated (ports %s)", key, ports or "none")
        return app

    def _handler(self, key: str, port: int) -> servers.Handler:
        namespace, name = key.split("/", 1)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # kwok's port-forward connects from its loopback: the app sees 127.0.0.1
            if not await self.connect(namespace, name, port, reader, writer, "127.0.0.1"):
                writer.close()  # nothing listens there (yet): the connection is refused

        return handle

    async def connect(
        self,
        namespace: str,
        pod: str,
        port: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        client: str,
    ) -> bool:
        """Serve a connection to ``pod:port`` as its container would; False if nothing listens."""
        app = self.apps.get(f"{namespace}/{pod}")
        running = app.for_port(port) if app else None
        if running is None or running.server is None:
            return False
        await servers.serve(running.server, reader, writer, client)
        return True

    def _folder(self, meta: dict[str, Any]) -> Path:
        return self.layout.pods / f"{meta['namespace']}_{meta['name']}_{meta['uid']}"

    def _publish(self, item: kwokobjects.Item) -> None:
        """Create one of the pod's kwok objects (Logs, PortForward)."""
        pod = self.pods.get(item.key)
        if pod is None or pod["metadata"]["uid"] != item.uid:
            return  # gone in the meantime
        if item.kind == "logs":
            spec = kwokobjects.logs_spec(pod, self._folder(pod["metadata"]))
        else:
            app = self.apps.get(item.key)
            if app is None or app.uid != item.uid:
                return
            targets = {p: servers.port_of(s) for p, s in app.listeners.items()}
            spec = kwokobjects.forwards_spec(targets)
        kwokobjects.ensure(self.kube, pod, item.kind, spec)

    def _remove(self, app: PodApp) -> None:
        for server in app.listeners.values():
            self.network.close(server)
        for running in app.containers.values():
            running.run += 1
            running.log.close_file()
        self.apps.pop(app.key, None)
        shutil.rmtree(app.folder, ignore_errors=True)  # the kubelet removes a gone pod's logs
        self.log.info("%s: gone; listeners closed, logs removed", app.key)

    # -- container runs ---------------------------------------------------------------------

    def _follow(self, app: PodApp, pod: dict[str, Any]) -> None:
        """Start or stop each container's simulation as kwok's stages move its status.

        A reconcile sees the latest status only: a run that began and ended in between
        (``echo done`` in a Job, a quick crash) shows as terminated, or as the last state of
        a container waiting to restart. It still gets its output written.
        """
        for status in pod.get("status", {}).get("containerStatuses") or []:
            running = app.containers.get(status["name"])
            if running is None:
                continue
            state, last = status.get("state") or {}, status.get("lastState") or {}
            restarts = status.get("restartCount", 0)
            began = (state.get("running") or {}).get("startedAt")
            if began:
                if began != running.started:
                    self._start(app, running, pod, began, restarts, ended=False)
                continue
            over = (state.get("terminated") or last.get("terminated") or {}).get("startedAt")
            if over and over != running.started:
                self._start(app, running, pod, over, restarts, ended=True)
            if running.server is not None:
                running.run += 1
                running.server = None  # the program ended: its ports refuse connections

    def _start(
        self,
        app: PodApp,
        running: Running,
        pod: dict[str, Any],
        started: str,
        restarts: int,
        *,
        ended: bool,
    ) -> None:
        marker = running.log.folder / "started"
        resumed = marker.exists() and marker.read_text() == started
        if marker.exists() and not resumed:
            running.log.restart()  # a new run: the last one's logs become --previous
        marker.write_text(started)
        running.started = started
        running.run += 1
        if not resumed:  # a new container: a fresh filesystem
            shutil.rmtree(running.log.folder / "rootfs", ignore_errors=True)
        site = self._site(pod, running)
        protocol = {"redis": "redis"}.get(running.program.serves or "", "http")
        if running.program.serves == "database":
            protocol = "postgres" if 5432 in running.program.ports else "mysql"
        if running.program.serves and not ended:
            running.server = servers.Container(site, running.log.write, protocol)
        if resumed:  # the add-ons restarted, not the container: it already logged its start
            return
        self._print_start(running, site, pod, ended=ended)
        what = "ran and ended" if ended else "started"
        self.log.info("%s: container %s %s (restarts: %d)", app.key, running.name, what, restarts)

    def _print_start(
        self, running: Running, site: pages.Site, pod: dict[str, Any], *, ended: bool
    ) -> None:
        """The run's start-up lines, then its output as time goes (all of it at once for a
        run that is already over)."""
        image, program = running.image, running.program
        lines: list[str] = []
        if program.serves:
            data = self._data(pod, running, image.data)[0]
            if data is not None and image.init and not _has_files(data):
                lines += image.init
                for name in image.creates:
                    (data / name).parent.mkdir(parents=True, exist_ok=True)
                    (data / name).write_text(f"created by {image.ref} in pod {site.pod}\n")
            elif data is not None:
                lines += image.startup_existing
            lines += image.startup
        values = {"pod": site.pod, "ip": site.ip, "version": image.version}
        for line in lines:
            running.log.write(_format(line, values))
        if ended:
            for at, line in program.output:
                if at <= program.runs_for:
                    running.log.write(line)
            return
        run = running.run
        for at, line in program.output:
            self._later(running, run, at, line)
        if program.repeat:
            self._repeat(running, run, 0)

    def _later(self, running: Running, run: int, at: float, line: str) -> None:
        def emit() -> None:
            if running.run == run:
                running.log.write(line)

        if at <= 0:
            emit()
        else:
            self.network.later(at, emit)

    def _repeat(self, running: Running, run: int, round_: int) -> None:
        """A ``while true`` loop: its lines, again every ``every`` seconds, while it runs."""
        program = running.program
        base = round_ * program.every
        for at, line in program.repeat:
            self._later(running, run, base + at, line)

        def next_round() -> None:
            if running.run == run:
                self._repeat(running, run, round_ + 1)

        self.network.later(base + program.every, next_round)

    # -- data -----------------------------------------------------------------------------

    def _site(self, pod: dict[str, Any], running: Running) -> pages.Site:
        meta, status = pod["metadata"], pod.get("status", {})
        data, is_volume = self._data(pod, running, running.image.data)
        if running.program.serves in ("nginx", "httpd") and not is_volume:
            data = None  # the image's own web root: its built-in pages
        rootfs = running.image.extra.get("rootfs")
        if rootfs and not is_volume:  # an image from the registry: its own files
            data = Path(rootfs) / str(running.image.extra.get("webroot", "/")).lstrip("/")
        return pages.Site(
            app=running.program.serves or "",
            pod=meta["name"],
            namespace=meta["namespace"],
            ip=status.get("podIP", ""),
            node=pod["spec"].get("nodeName", ""),
            version=running.image.version,
            data=data,
            options=dict(running.program.options),
        )

    def _data(
        self, pod: dict[str, Any], running: Running, path: str | None
    ) -> tuple[Path | None, bool]:
        """The folder behind ``path`` in the container, and whether it is a volume."""
        if path is None:
            return None, False
        container = next(c for c in pod["spec"]["containers"] if c["name"] == running.name)
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        mounts = sorted(
            container.get("volumeMounts") or [], key=lambda m: len(m["mountPath"]), reverse=True
        )
        for mount in mounts:
            root = mount["mountPath"].rstrip("/")
            if path != root and not path.startswith(root + "/"):
                continue
            base = self._volume(pod, volumes.get(mount["name"], {}))
            if base is None:
                return None, False
            inside = path[len(root) :].lstrip("/")
            return base / mount.get("subPath", "") / inside, True
        # No volume: the container's own filesystem, fresh at each start.
        rootfs = running.log.folder / "rootfs"
        return rootfs / path.lstrip("/"), False

    def _volume(self, pod: dict[str, Any], volume: dict[str, Any]) -> Path | None:
        if "persistentVolumeClaim" in volume:
            key = f"{pod['metadata']['namespace']}/{volume['persistentVolumeClaim']['claimName']}"
            claim = self.claims.get(key)
            name = (claim or {}).get("spec", {}).get("volumeName")
            return self.layout.volumes / str(name) if name else None
        if "emptyDir" in volume:  # lives as long as the pod
            meta = pod["metadata"]
            folder = f"{meta['namespace']}_{meta['name']}_{meta['uid']}"
            return self.layout.pods / folder / "volumes" / str(volume["name"])
        return None


def _has_files(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def _format(line: str, values: dict[str, str]) -> str:
    try:
        return line.format(now=dt.datetime.now(dt.UTC), **values)
    except (KeyError, ValueError, IndexError):
        return line
