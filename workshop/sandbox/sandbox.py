"""The local sandbox cluster: start, stop, inspect and reset it.

``Sandbox(home).up()`` brings up etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, kwok and the add-on controllers under a supervisor daemon, asks for the
default NodePool, and returns once its nodes are Ready and the ``default`` ServiceAccount
exists (the first moment a learner can create a pod). State lives under
``<home>/sandbox``; ``down`` keeps it, ``reset`` wipes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from workshop import binaries, writes
from workshop.errors import SandboxError
from workshop.home import workshop_home
from workshop.sandbox import api as sandbox_api
from workshop.sandbox import (
    bootstrap,
    components,
    jail,
    jailnet,
    kubeconfig,
    kwokconfig,
    nodes,
    pki,
    ports,
    processes,
    registry_auth,
)
from workshop.sandbox.addons import annotations as notes
from workshop.sandbox.audit import write_policy as write_audit_policy
from workshop.sandbox.layout import COMPONENTS, CONTEXT, Layout
from workshop.sandbox.state import State

DEFAULT_NODES = 3
START_TIMEOUT = 90.0
STOP_GRACE = 10.0

Progress = Callable[[str], None]
JAILED = "as nobody, in a bubblewrap jail with its own network"
UNISOLATED = "as nobody, in a bubblewrap jail: exec is jailed without network isolation"


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    state: str
    pid: int | None
    restarts: int
    rss_bytes: int | None


@dataclass(frozen=True)
class Status:
    running: bool
    home: Path
    kubeconfig: Path
    api_url: str | None
    version: str | None = None
    nodes: int | None = None
    ready_nodes: int | None = None
    uptime: float | None = None
    profile: str | None = None
    components: list[ComponentStatus] = field(default_factory=list)
    etcd_url: str | None = None
    """TLS on loopback; only a client certificate of etcd's CA gets in (``Sandbox.etcd``)."""
    leftovers: list[int] = field(default_factory=list)
    """Processes of a sandbox whose supervisor died (SIGKILL, a crash): ``up`` ends them."""
    exec_runs: str | None = None
    """Where and as whom ``kubectl exec`` runs its commands, in a sentence."""
    exec_jailed: bool = False
    """Whether those commands run in kwok's jail (``jail.py``) and its own network, where
    they reach nothing but the API (``jailnet.py``): only then may a class give learners
    ``exec``."""


@dataclass(frozen=True)
class EtcdClient:
    """How the sandbox's own user reaches etcd, as ``etcdctl`` would on a control-plane node."""

    url: str
    ca: Path
    cert: Path
    key: Path

    def ssl_context(self) -> ssl.SSLContext:
        """Trust etcd's CA and present the workshop's etcd client certificate."""
        missing = [f.name for f in (self.ca, self.cert, self.key) if not f.exists()]
        if missing:
            # a sandbox started by an older workshop: its next `up` writes them
            raise SandboxError(
                f"etcd's client certificate is missing ({', '.join(missing)} in {self.ca.parent})",
                component="etcd",
                hint="run `workshop sandbox up`: it writes the missing certificates",
            )
        context = ssl.create_default_context(cafile=str(self.ca))
        context.load_cert_chain(str(self.cert), str(self.key))
        return context


def _exec_dir() -> Path:
    """Where kwok runs ``kubectl exec`` commands (kwokconfig's ``workDir``)."""
    return Path(tempfile.gettempdir()) / f"workshop-exec-{os.getuid()}"


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


_PORT_USERS = {
    "apiserver": "kube-apiserver",
    "etcd": "etcd",
    "etcd_peer": "etcd (peers)",
    "kwok": "kwok's kubelet endpoint",
    "registry": "the image registry",
}


def _moved(name: str, old: int, new: int) -> str:
    what = _PORT_USERS.get(name, name)
    also = " (the kubeconfig now says so)" if name == "apiserver" else ""
    return f"port {old} is taken by another program: {what} now listens on port {new}{also}"


class Sandbox:
    """One local cluster, kept under ``<home>/sandbox``; a context manager for tests."""

    def __init__(
        self,
        home: Path | str | None = None,
        *,
        nodes: int | None = None,
        profile: str | None = None,
        port: int | None = None,
        bind: str = "127.0.0.1",
        binaries: Mapping[str, Path] | None = None,
        audit: bool = False,
        registry: bool = True,
        default_pool: bool = True,
        trust: Mapping[str, Path] | None = None,
    ) -> None:
        self.binaries = dict(binaries) if binaries else None
        self.with_registry = registry
        """Run the image registry too (an emulated managed cluster has none of its own)."""
        self.trust = dict(trust or {})
        """Registries the nodes may pull from besides their own, host -> CA file; a pull
        from them needs the login of the pod's ``imagePullSecrets``."""
        self.audit = audit
        """kube-apiserver keeps an audit log (``logs/audit.log``), as a managed cluster does."""
        self.default_pool = default_pool
        """Keep the NodePool ``nodepool`` at ``nodes`` nodes; without it, the cluster has only
        the pools someone else creates (a managed cluster: those of the OVHcloud API)."""
        self.home = Path(home).expanduser() if home else workshop_home()
        self.layout = Layout(self.home)
        self.wanted_nodes = nodes
        self.wanted_profile = profile
        self.wanted_port = port
        self.bind = bind
        self.notices: list[str] = []
        """What the last ``up`` changed that the learner should know (a moved port...)."""

    # -- public API ------------------------------------------------------------------------

    @property
    def kubeconfig(self) -> Path:
        return self.layout.kubeconfig

    @property
    def context(self) -> str:
        return CONTEXT

    def __enter__(self) -> Sandbox:
        self.up()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.down()

    def is_running(self) -> bool:
        pid = self._supervisor_pid()
        return pid is not None

    def up(self, *, progress: Progress | None = None, timeout: float = START_TIMEOUT) -> bool:
        """Start the sandbox unless it runs; wait until it is usable. True if it started."""
        say = progress or (lambda _msg: None)
        self.notices = []
        with self._writing(), self._lock(say, timeout):
            if self.is_running():
                state = self._running_state()
                api = self._api(state)
                if api.ready():
                    self._ensure_nodes(api, state, say, timeout)
                    return False
                say("the sandbox is starting in another process; waiting for it")
                self._wait_ready(api, time.monotonic() + timeout, say)
                return False
            self._end_leftovers(say)
            state = self._prepare(self._state(), say)
            self._spawn_supervisor()
            deadline = time.monotonic() + timeout
            api = self._api(state)
            try:
                self._wait_ready(api, deadline, say)
                self._ensure_nodes(api, state, say, max(5.0, deadline - time.monotonic()))
                self._wait_default_service_account(api, deadline)
                self._wait_addons(deadline)
                if self.with_registry:
                    self._wait_registry(deadline)
            except BaseException:
                self._stop()
                raise
            return True

    def down(self, *, progress: Progress | None = None) -> bool:
        """Stop every process of the sandbox; keep its state. True if something ran."""
        with (
            self._writing(),
            self._lock(progress or (lambda _msg: None), START_TIMEOUT),
        ):
            return self._stop(progress)

    def reset(self, *, progress: Progress | None = None) -> None:
        """A fresh, empty cluster: stop, wipe etcd and logs, start again."""
        say = progress or (lambda _msg: None)
        with self._writing(), self._lock(say, START_TIMEOUT):
            self._stop(say)
            say("wiping the cluster's data")
            for folder in (self.layout.etcd_data, self.layout.logs, self.layout.pods):
                shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(self.layout.volumes, ignore_errors=True)
        self.up(progress=progress)

    def etcd(self) -> EtcdClient | None:
        """etcd's address and the client certificate that opens it (None before a first ``up``).

        The files are readable by the sandbox's own user only: on a managed cluster, etcd is
        the provider's and no user reaches it.
        """
        state = State.load(self.layout.state_file)
        if state is None:
            return None
        keys = pki.Pki(self.layout.pki)
        return EtcdClient(
            components.etcd_url(state.ports),
            keys.etcd_ca_cert,
            keys.cert("etcd-client"),
            keys.key("etcd-client"),
        )

    def status(self) -> Status:
        state = State.load(self.layout.state_file)
        api_url = f"https://{self._client_host(state)}:{state.ports.apiserver}" if state else None
        base = Status(
            False,
            self.home,
            self.kubeconfig,
            api_url,
            profile=state.profile if state else None,
            etcd_url=components.etcd_url(state.ports) if state else None,
        )
        if state is None or not self.is_running():
            return replace(base, leftovers=processes.leftovers(self.layout))
        try:
            info = json.loads(self.layout.status_file.read_text())
        except (OSError, ValueError):
            info = {"components": {}, "startedAt": None}
        comps = [
            ComponentStatus(
                name,
                c["state"],
                c["pid"],
                c["restarts"],
                processes.rss(c["pid"]) if c["pid"] else None,
            )
            for name, c in info["components"].items()
        ]
        supervisor_pid = self._supervisor_pid()
        if supervisor_pid:
            comps.insert(
                0,
                ComponentStatus(
                    "supervisor", "running", supervisor_pid, 0, processes.rss(supervisor_pid)
                ),
            )
        exec_runs = self._exec_runs(info.get("jailNetwork"))  # read from the plan once
        result = replace(
            base,
            running=True,
            uptime=time.time() - info["startedAt"] if info.get("startedAt") else None,
            components=comps,
            exec_runs=exec_runs,
            exec_jailed=exec_runs == JAILED,
        )
        api = self._api(state)
        try:
            items = api.nodes()
            return replace(
                result,
                version=api.version(),
                nodes=len(items),
                ready_nodes=sum(1 for n in items if sandbox_api.is_ready(n)),
            )
        except (OSError, sandbox_api.ApiError):
            return result

    def end_exec(self) -> int:
        """End what ``kubectl exec`` left running in kwok's jail (a ``setsid`` loop, a server
        started in the background) and empty the jail's exec folder: what a class leaves
        behind when it is deleted. Nothing to do without a jail, where learners get no exec.
        Returns how many processes were ended."""
        try:
            info = json.loads(self.layout.status_file.read_text())
            bwrap = int(info["components"]["kwok"]["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0
        inside = processes.jailed_by(bwrap)
        if not inside:
            return 0
        learners = [pid for pid in inside if processes.owner(pid) not in (None, 0)]
        with contextlib.suppress(TimeoutError):
            processes.end(learners, grace=2.0)
        # the jail's own /tmp, seen through one of its processes (kwok, root's)
        kwok = next((pid for pid in inside if processes.owner(pid) == 0), None)
        if kwok is not None:
            folder = Path(f"/proc/{kwok}/root") / _exec_dir().relative_to("/")
            with contextlib.suppress(OSError):
                for entry in folder.iterdir():
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.rmtree(entry, ignore_errors=True)
                    else:
                        entry.unlink(missing_ok=True)
        return len(learners)

    def _exec_runs(self, network: Mapping[str, Any] | None) -> str | None:
        """Where exec runs, from the plan and from what the supervisor made of the jail's
        network (``network``: its status, None before it has one)."""
        try:
            plan = json.loads((self.layout.run / "plan.json").read_text())
            kwok = next(c["argv"] for c in plan["components"] if c["name"] == "kwok")
        except (OSError, ValueError, KeyError, StopIteration):
            return None
        if jail.unwrap(kwok) != kwok:
            if network and network.get("isolated"):
                return JAILED
            problem = (network or {}).get("problem") or "the supervisor has not made it yet"
            return f"{UNISOLATED} ({problem})"
        if os.geteuid() == 0:
            return "as nobody, no jail (`make setup` installs bubblewrap)"
        return "as you, on this machine (a jail needs root)"

    def urls(self) -> list[tuple[str, str, list[str]]]:
        """The LoadBalancer Services and their URLs: ``(namespace, name, urls)``."""
        state = State.load(self.layout.state_file)
        if state is None or not self.is_running():
            raise SandboxError("the sandbox is not running", hint="start it: `workshop sandbox up`")
        found = []
        for svc in self._api(state).request("GET", "/api/v1/services")["items"]:
            if svc["spec"].get("type") != "LoadBalancer":
                continue
            meta = svc["metadata"]
            urls = (meta.get("annotations") or {}).get(notes.LB_URLS, "")
            found.append((meta["namespace"], meta["name"], urls.split() if urls else []))
        return sorted(found)

    def log_file(self, component: str) -> Path:
        if component not in (*COMPONENTS, "supervisor"):
            raise SandboxError(
                f"no component named {component!r}",
                hint=f"choose one of: {', '.join((*COMPONENTS, 'supervisor'))}",
            )
        return self.layout.log_file(component)

    # -- starting --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A file of this sandbox that cannot be written (a read-only or full disk) is one
        sentence; other errors pass unchanged."""
        try:
            yield
        except OSError as e:
            name = Path(os.fsdecode(e.filename)) if e.filename else None
            if name is None or not name.absolute().is_relative_to(self.home.absolute()):
                raise
            raise writes.home_error(e) from e

    @contextlib.contextmanager
    def _lock(self, say: Progress, timeout: float) -> Iterator[None]:
        """One ``up``/``down``/``reset`` at a time per sandbox; the others wait their turn."""
        self.layout.root.mkdir(parents=True, exist_ok=True)
        path = self.layout.root / ".lock"
        with path.open("a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                holder = f.read().strip() or "another process"
                say(f"waiting for another workshop command (pid {holder}) using this sandbox")
                deadline = time.monotonic() + timeout + 30
                while True:
                    try:
                        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            raise SandboxError(
                                f"another workshop command (pid {holder}) has been starting "
                                "or stopping this sandbox for too long",
                                hint=f"let it finish, or stop it (`kill {holder}`), then retry",
                            ) from None
                        time.sleep(0.1)
            try:
                f.seek(0)
                f.truncate()
                f.write(str(os.getpid()))
                f.flush()
                yield
            finally:
                f.truncate(0)
                fcntl.flock(f, fcntl.LOCK_UN)

    def _running_state(self) -> State:
        """The saved state of the running sandbox; a different ``port`` is refused, not
        waited for (the running apiserver does not listen there)."""
        state = State.load(self.layout.state_file)
        if state is None:
            raise SandboxError(
                f"the sandbox runs but its state file {self.layout.state_file} is missing",
                hint="`workshop sandbox down`, then `workshop sandbox up`",
            )
        if self.wanted_port is not None and self.wanted_port != state.ports.apiserver:
            raise SandboxError(
                f"the sandbox already runs, with kube-apiserver on port {state.ports.apiserver}",
                hint=f"to move it: `workshop sandbox down`, then `workshop sandbox up "
                f"--port {self.wanted_port}`",
            )
        if self.wanted_nodes is not None:
            state.nodes = self.wanted_nodes
        return state

    def _end_leftovers(self, say: Progress) -> None:
        """End the processes a sandbox whose supervisor died left behind (a SIGKILL, a
        crash): they hold its ports and etcd's data until they go."""
        left = processes.leftovers(self.layout)
        if not left:
            return
        say(f"ending {len(left)} process(es) left by a sandbox that stopped abruptly")
        try:
            processes.end(left)
        except TimeoutError as e:
            raise SandboxError(
                f"processes of the previous sandbox will not exit: {e}",
                hint="look at them with `ps -fp PID`; a reboot frees them",
            ) from e
        self.notices.append(
            f"ended {len(left)} process(es) left by the sandbox that stopped abruptly "
            "(no object is lost: etcd keeps every acknowledged write)"
        )

    def _state(self) -> State:
        state = State.load(self.layout.state_file)
        if state is None:
            chosen = ports.pick(5, self.bind)
            apiserver = self.wanted_port or chosen[0]
            state = State(
                components.Ports(
                    apiserver=apiserver,
                    etcd=chosen[1],
                    etcd_peer=chosen[2],
                    kwok=chosen[3],
                    registry=chosen[4],
                ),
                bind=self.bind,
                nodes=DEFAULT_NODES if self.wanted_nodes is None else self.wanted_nodes,
                profile=self.wanted_profile or kwokconfig.DEFAULT_PROFILE,
            )
        else:
            if self.wanted_nodes is not None:
                state.nodes = self.wanted_nodes
            if self.wanted_profile is not None:
                state.profile = self.wanted_profile
            if self.wanted_port is not None:
                state.ports = replace(state.ports, apiserver=self.wanted_port)
            state.bind = self.bind
        return state

    def _check_ports(self, state: State) -> State:
        """Keep the saved ports where they are free; move the ones taken by others."""
        wanted = {
            "apiserver": state.ports.apiserver,
            "etcd": state.ports.etcd,
            "etcd_peer": state.ports.etcd_peer,
            "kwok": state.ports.kwok,
            "registry": state.ports.registry,
        }
        moved: dict[str, int] = {}
        for name, port in wanted.items():
            # only kube-apiserver listens on the bind address; kwok, etcd and the registry
            # stay on loopback, where their ports must be free
            host = state.bind if name == "apiserver" else "127.0.0.1"
            if port and ports.is_free(port, host):
                continue
            if name == "apiserver" and self.wanted_port is not None:
                raise SandboxError(
                    f"port {port} on {host} is already in use, "
                    "so kube-apiserver cannot listen there",
                    component="kube-apiserver",
                    hint="stop what uses it (see `ss -ltnp`), or choose another with --port",
                )
            moved[name] = ports.pick(1, host, avoid=set(wanted.values()) | set(moved.values()))[0]
            if port:
                self.notices.append(_moved(name, port, moved[name]))
        return replace(state, ports=replace(state.ports, **moved)) if moved else state

    def _prepare(self, state: State, say: Progress) -> State:
        """Write every file the supervisor needs; return the state saved (ports may move)."""
        layout = self.layout
        state = self._check_ports(state)  # a taken --port is said before any binary is looked for
        given = self.binaries or {}
        wanted = [n for n in binaries.SANDBOX_BINARIES if n != "registry" or self.with_registry]
        found = {name: given.get(name) or binaries.find(name) for name in wanted}
        for folder in (layout.logs, layout.run, layout.config, layout.etcd_data, layout.scratch):
            folder.mkdir(parents=True, exist_ok=True)
        layout.pods.mkdir(exist_ok=True)
        # only the user who runs the sandbox enters its folder: never `kubectl exec`, which
        # runs as nobody in a sandbox run as root (pods' logs and volumes, other learners')
        for private in (layout.root, layout.etcd_data, layout.scratch, layout.pods):
            private.chmod(0o700)
        for stale in layout.run.iterdir():
            stale.unlink()
        if not pki.Pki(layout.pki).exists():
            say("creating the cluster's certificates")
        pki.ensure(pki.Pki(layout.pki), hosts=[state.bind])
        kwok_jail = self._kwok_jail(found)
        self._write_kubeconfigs(state, jailed=bool(kwok_jail))
        self._write_kwok_config(state)
        if self.with_registry:
            self._write_registry_config(state)
        else:
            layout.registry_file.unlink(missing_ok=True)
        self._write_trust()
        (layout.run / "bootstrap.json").write_text(json.dumps(bootstrap.load()))
        policy = write_audit_policy(layout.config / "audit-policy.yaml") if self.audit else None
        plan = components.control_plane(
            layout,
            binaries=found,
            ports=state.ports,
            bind=state.bind,
            audit_policy=policy,
            exec_dir=_exec_dir(),
            jail=kwok_jail,
        )
        crossing = (
            components.crossing(
                layout,
                ports=state.ports,
                api_host=self._client_host(state),
                nft=jailnet.nft(kwok_jail[0]),
            )
            if kwok_jail
            else None
        )
        (layout.run / "plan.json").write_text(
            json.dumps(
                {
                    "apiserverPort": state.ports.apiserver,
                    "apiserverHost": self._client_host(state),
                    "components": [
                        {
                            "name": c.name,
                            "argv": list(c.argv),
                            "env": dict(c.env),
                            "needs_api": c.needs_api,
                            "netns": c.netns,
                        }
                        for c in plan
                    ],
                    "jailNetwork": crossing.to_plan() if crossing else None,
                },
                indent=1,
            )
        )
        state.save(layout.state_file)
        say(
            "starting etcd, kube-apiserver, controller-manager, scheduler, kwok and the "
            f"add-ons ({state.nodes} nodes)"
        )
        return state

    def _client_host(self, state: State | None) -> str:
        bind = state.bind if state else self.bind
        return "127.0.0.1" if bind in ("0.0.0.0", "127.0.0.1") else bind  # noqa: S104

    def _api(self, state: State) -> sandbox_api.Api:
        return sandbox_api.load(self._client_host(state), state.ports.apiserver, self.layout.pki)

    def _write_kubeconfigs(self, state: State, *, jailed: bool) -> None:
        keys = pki.Pki(self.layout.pki)
        ca = keys.ca_cert.read_bytes()
        server = f"https://{self._client_host(state)}:{state.ports.apiserver}"
        admin = kubeconfig.build(
            server=server,
            ca=ca,
            cert=keys.cert("admin").read_bytes(),
            key=keys.key("admin").read_bytes(),
            context=CONTEXT,
            user="workshop-admin",
        )
        kubeconfig.write(self.layout.kubeconfig, admin)
        local = f"https://{self._client_host(state)}:{state.ports.apiserver}"
        for component in ("kube-controller-manager", "kube-scheduler", "kwok", "addons"):
            # a jailed kwok reaches the API through the relay on its own loopback
            inside = jailed and component == "kwok"
            config = kubeconfig.build(
                server=f"https://127.0.0.1:{state.ports.apiserver}" if inside else local,
                ca=ca,
                cert=keys.cert(component).read_bytes(),
                key=keys.key(component).read_bytes(),
                context=CONTEXT,
                user=component,
            )
            kubeconfig.write(self.layout.component_kubeconfig(component), config)

    def _kwok_jail(self, found: Mapping[str, Path]) -> tuple[str, ...]:
        """kwok's jail (bubblewrap), where root runs the sandbox and bwrap works; else ().

        The jail's network is not bwrap's: the supervisor makes it and starts kwok in it.
        """
        program = jail.bwrap()
        if program is None:
            return ()
        keys = pki.Pki(self.layout.pki)
        config = self.layout.config
        read = [
            found["kwok"],
            config / "kwok.yaml",
            self.layout.component_kubeconfig("kwok"),
            config / "pod.log",
            keys.cert("serving"),
            keys.key("serving"),
            self.layout.pods,
        ]
        return (
            *jail.prefix(program, read=read, exec_dir=_exec_dir()),
            *jail.limits(),
        )

    def _write_kwok_config(self, state: State) -> None:
        pod_log = self.layout.config / "pod.log"
        if not pod_log.exists():
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime())
            lines = [
                "This container runs in the workshop sandbox: kwok simulates it, "
                "nothing is executed.",
                "Its status (Pending, Running, Ready) comes from kwok's lifecycle stages.",
            ]
            pod_log.write_text("".join(f"{stamp} stdout F {line}\n" for line in lines))
        exec_dir = _exec_dir()
        exec_dir.mkdir(mode=0o755, exist_ok=True)
        if os.geteuid() == 0:
            # exec runs as nobody there (its working folder, HOME and TMPDIR): writable
            # by all and sticky, as /tmp is
            exec_dir.chmod(0o1777)
        docs = kwokconfig.config(
            profile=state.profile,
            log_file=pod_log,
            exec_dir=exec_dir,
            exec_user=65534 if os.geteuid() == 0 else None,
        )
        (self.layout.config / "kwok.yaml").write_text(kwokconfig.dump(docs))

    def _write_registry_config(self, state: State) -> None:
        layout = self.layout
        layout.registry_data.mkdir(parents=True, exist_ok=True)
        config = components.registry_config(layout, state.ports.registry)
        (layout.config / "registry.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        host = self.registry_host(state) or ""
        login = registry_auth.ensure(layout, host)  # the password: made once, never shown
        where = {
            "host": host,
            "ca": str(pki.Pki(layout.pki).ca_cert),
            "user": login.user,
            "password_file": str(registry_auth.password_file(layout)),
            "docker_config": str(registry_auth.docker_config(layout)),
        }
        layout.registry_file.write_text(json.dumps(where, indent=1) + "\n")

    def _write_trust(self) -> None:
        """``config/certs.d/<host>/ca.crt`` for each trusted registry, none left from before."""
        shutil.rmtree(self.layout.certs_d, ignore_errors=True)
        for host, ca in self.trust.items():
            folder = self.layout.certs_d / host
            folder.mkdir(parents=True)
            shutil.copyfile(ca, folder / "ca.crt")

    def registry_host(self, state: State | None = None) -> str | None:
        """``127.0.0.1:PORT``: where the sandbox's image registry listens (None: not set up)."""
        state = state or State.load(self.layout.state_file)
        if state is None or not state.ports.registry:
            return None
        return f"127.0.0.1:{state.ports.registry}"

    def _wait_registry(self, deadline: float) -> None:
        """Wait until the image registry answers ``GET /v2/`` over TLS to its user."""
        host = self.registry_host()
        context = ssl.create_default_context(cafile=str(pki.Pki(self.layout.pki).ca_cert))
        login = registry_auth.load(self.layout)
        headers = {"Authorization": login.basic()} if login else {}
        request = urllib.request.Request(f"https://{host}/v2/", headers=headers)
        while True:
            try:
                with urllib.request.urlopen(request, context=context, timeout=2):  # noqa: S310
                    return
            except (OSError, urllib.error.URLError):
                pass
            self._fail_if_crashing()
            if time.monotonic() > deadline:
                raise SandboxError(
                    f"the image registry does not answer on {host}; its last log lines:\n"
                    + _tail(self.layout.log_file("registry")),
                    component="registry",
                    hint="see `workshop sandbox logs registry`",
                )
            time.sleep(0.05)

    def _spawn_supervisor(self) -> None:
        log = self.layout.log_file("supervisor").open("ab")
        with log:
            subprocess.run(
                [sys.executable, "-m", "workshop.sandbox.supervisor", str(self.home)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.home,
                # the supervisor keeps none of the caller's environment either (its own
                # /proc/<pid>/environ would show an instructor's OVHcloud keys)
                env={
                    **components.base_environment(self.layout.scratch),
                    **{k: os.environ[k] for k in components.ADDONS_PASSED if k in os.environ},
                },
                check=True,
            )

    def _supervisor_pid(self) -> int | None:
        try:
            pid = int(self.layout.supervisor_pid.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if processes.alive(pid, "workshop.sandbox.supervisor") else None

    def _components(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.layout.status_file.read_text())["components"]
        except (OSError, ValueError, KeyError):
            return {}
        return data

    def _fail_if_crashing(self) -> None:
        try:
            problem = json.loads(self.layout.status_file.read_text()).get("bootstrapError")
        except (OSError, ValueError):
            problem = None
        if problem:
            raise SandboxError(
                f"the sandbox could not create its own API objects: {problem}",
                hint="see `workshop sandbox logs supervisor`",
            )
        for name, info in self._components().items():
            if info["state"] == "crashlooping":
                raise SandboxError(
                    f"{name} keeps crashing at start (exit code {info['lastExit']}); "
                    "its last log lines:\n" + _tail(self.layout.log_file(name)),
                    component=name,
                    hint=f"the whole log is in {self.layout.log_file(name)}",
                )

    def _wait_ready(self, api: sandbox_api.Api, deadline: float, say: Progress) -> None:
        say("waiting for kube-apiserver to answer")
        started = time.monotonic()
        while not api.ready():
            if time.monotonic() - started > 2 and self._supervisor_pid() is None:
                raise SandboxError(
                    "the sandbox supervisor stopped; its last log lines:\n"
                    + _tail(self.layout.log_file("supervisor")),
                    hint="run `workshop sandbox logs supervisor` for the whole log",
                )
            self._fail_if_crashing()
            if time.monotonic() > deadline:
                raise SandboxError(
                    "kube-apiserver did not become ready in time; its last log lines:\n"
                    + _tail(self.layout.log_file("kube-apiserver")),
                    component="kube-apiserver",
                    hint="see `workshop sandbox logs kube-apiserver` and "
                    "`workshop sandbox logs etcd`",
                )
            time.sleep(0.1)

    def _ensure_nodes(
        self, api: sandbox_api.Api, state: State, say: Progress, timeout: float
    ) -> None:
        """Make the default NodePool ask for ``state.nodes`` nodes; wait until they are Ready.

        The nodepools add-on creates or removes the Node objects, as the managed service
        does when a pool is resized. Without a default pool, only the NodePool API is
        waited for (whoever creates pools next finds it served).
        """
        deadline = time.monotonic() + timeout
        self._wait_served(api, f"/apis/{nodes.POOL_GROUP}/{nodes.POOL_VERSION}", deadline)
        if not self.default_pool:
            return
        path = f"{nodes.POOLS_PATH}/{nodes.DEFAULT_POOL}"
        try:
            pool = api.request("GET", path)
        except sandbox_api.ApiError as e:
            if e.status != 404:
                raise
            pool = nodes.pool_manifest(nodes.DEFAULT_POOL, state.nodes)
            api.request("POST", nodes.POOLS_PATH, pool)
        else:
            spec = pool["spec"]
            if self.wanted_nodes is None:
                # resized since (kubectl scale, the autoscaler): the pool is the truth
                state.nodes = spec["desiredNodes"]
            elif spec["desiredNodes"] != state.nodes:
                patch = {
                    "desiredNodes": state.nodes,
                    "minNodes": min(spec.get("minNodes", 0), state.nodes),
                    "maxNodes": max(spec.get("maxNodes", 0), state.nodes),
                }
                api.request(
                    "PATCH",
                    path,
                    {"spec": patch},
                    content_type="application/merge-patch+json",
                )
        state.save(self.layout.state_file)
        say(f"waiting for {state.nodes} nodes to be Ready")
        selector = f"?labelSelector={nodes.POOL_LABEL}%3D{nodes.DEFAULT_POOL}"
        while True:
            items = api.request("GET", "/api/v1/nodes" + selector)["items"]
            if len(items) == state.nodes and all(sandbox_api.is_ready(n) for n in items):
                return
            self._fail_if_crashing()
            if time.monotonic() > deadline:
                ready = sum(1 for n in items if sandbox_api.is_ready(n))
                raise SandboxError(
                    f"only {ready} of {state.nodes} nodes became Ready; the add-ons' last "
                    "log lines:\n" + _tail(self.layout.log_file("addons")),
                    component="addons",
                    hint="see `workshop sandbox logs addons` and `workshop sandbox logs kwok`",
                )
            time.sleep(0.1)

    def _wait_served(self, api: sandbox_api.Api, path: str, deadline: float) -> None:
        """Wait until kube-apiserver serves ``path`` (a CRD's group the supervisor creates)."""
        while True:
            try:
                api.request("GET", path)
                return
            except sandbox_api.ApiError:
                pass
            self._fail_if_crashing()
            if time.monotonic() > deadline:
                raise SandboxError(
                    f"kube-apiserver does not serve {path}; the supervisor's last log lines:\n"
                    + _tail(self.layout.log_file("supervisor")),
                    hint="see `workshop sandbox logs supervisor`",
                )
            time.sleep(0.1)

    def _wait_addons(self, deadline: float) -> None:
        """Wait until every component runs and the add-on controllers have started theirs
        (load balancers listen again after a restart)."""
        while not (
            self.layout.addons_ready.exists()
            and all(c["state"] == "running" for c in self._components().values())
        ):
            self._fail_if_crashing()
            if time.monotonic() > deadline:
                raise SandboxError(
                    "not every component of the sandbox started in time; the add-ons' last "
                    "log lines:\n" + _tail(self.layout.log_file("addons")),
                    component="addons",
                    hint="see `workshop sandbox logs addons`",
                )
            time.sleep(0.1)

    def _wait_default_service_account(self, api: sandbox_api.Api, deadline: float) -> None:
        """Pods are refused until the ``default`` ServiceAccount exists: wait for it."""
        while True:
            try:
                api.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")
                return
            except sandbox_api.ApiError:
                pass
            self._fail_if_crashing()
            if time.monotonic() > deadline:
                raise SandboxError(
                    "kube-controller-manager did not create the default ServiceAccount in time; "
                    "its last log lines:\n"
                    + _tail(self.layout.log_file("kube-controller-manager")),
                    component="kube-controller-manager",
                    hint="see `workshop sandbox logs kube-controller-manager`",
                )
            time.sleep(0.1)

    # -- stopping --------------------------------------------------------------------------

    def _stop(self, progress: Progress | None = None) -> bool:
        say = progress or (lambda _msg: None)
        stopped = False
        pid = self._supervisor_pid()
        if pid is not None:
            say("stopping the sandbox")
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while (
                processes.alive(pid, "workshop.sandbox.supervisor") and time.monotonic() < deadline
            ):
                time.sleep(0.05)
            if processes.alive(pid, "workshop.sandbox.supervisor"):
                os.kill(pid, signal.SIGKILL)
            stopped = True
        # Components left behind by a supervisor killed with SIGKILL die with it
        # (PR_SET_PDEATHSIG, as SIGTERM: some take seconds); end them and any other.
        left = processes.leftovers(self.layout)
        if left:
            with contextlib.suppress(TimeoutError):
                processes.end(left, grace=STOP_GRACE)
            stopped = True
        with contextlib.suppress(FileNotFoundError):
            self.layout.supervisor_pid.unlink()
        return stopped
