"""A connection to one cluster (a kubeconfig and a context), shared by labs, checks and widgets.

Public module: ``connect()`` and ``Cluster``. The default is the local sandbox, started on
demand through the ``workshop`` command, never by importing ``workshop.sandbox``: the
kubeconfig is the boundary, so the same notebook drives the sandbox, OVHcloud Managed
Kubernetes, kind or k3s.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes import config as kube_config
from kubernetes.client import ApiClient

from workshop import subcommand
from workshop.errors import ClusterError
from workshop.home import workshop_home
from workshop.kubeapi import KubeApi

# The sandbox's context name, as workshop.sandbox writes it (a unit test keeps them equal).
SANDBOX_CONTEXT = "workshop-sandbox"
# The kubeconfig context extension `workshop class create` writes into a learner's file.
SEAT_EXTENSION = "workshop.dev/class"
SANDBOX_START_TIMEOUT = 600.0

Say = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """Which cluster a caller means, before connecting: kubeconfig files and context."""

    kubeconfig: tuple[Path, ...]
    context: str | None
    auto_start: bool

    def context_name(self) -> str:
        """The context's name without connecting (a kubeconfig's current context is read)."""
        if self.context:
            return self.context
        present = [p for p in self.kubeconfig if p.exists()] or [self.kubeconfig[0]]
        _, current = contexts(present)  # none there: says which file is missing
        return str((current or {}).get("name", ""))

    def seat(self) -> Seat | None:
        """A class learner's seat in this kubeconfig's context, without connecting.

        None without a kubeconfig; a broken one is a ``ClusterError`` (it needs fixing)."""
        present = [p for p in self.kubeconfig if p.exists()]
        if not present:
            return None
        found, _ = contexts(present)
        name = self.context_name()
        return Seat.from_context(next((c for c in found if c["name"] == name), None))


# The sections of a kubeconfig that are lists of named entries, and each entry's body.
_SECTIONS = {"clusters": "cluster", "contexts": "context", "users": "user"}
# Errors the kubernetes client lets out of a file whose values have the wrong type.
_CLIENT_ERRORS = (kube_config.ConfigException, TypeError, ValueError, KeyError, AttributeError)


def read_kubeconfig(path: Path) -> dict[str, Any]:
    """One kubeconfig file as a mapping, or a ``ClusterError`` naming it and what to do.

    Checks what the kubernetes client trips over with a traceback: unreadable, binary or
    malformed YAML, and the wrong shape (a list, ``clusters: 3``, an entry with no name).
    """
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise _broken(path, f"cannot be read ({(e.strerror or str(e)).lower()})") from e
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise _broken(path, "holds binary bytes, not YAML text") from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or type(e).__name__
        raise _broken(path, f"is not valid YAML{where}: {problem}") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _broken(path, f"holds a YAML {_kind(data)}, where a kubeconfig is a mapping")
    for section, body in _SECTIONS.items():
        entries = data.get(section)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise _broken(path, f"has a {_kind(entries)} as `{section}`, where a list belongs")
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise _broken(path, f"has entry {number} of `{section}` without a name")
            if entry.get(body) is not None and not isinstance(entry[body], dict):
                raise _broken(path, f"has {body} {entry['name']!r} whose `{body}` is not a mapping")
    if not isinstance(data.get("current-context") or "", str):
        raise _broken(path, "has a `current-context` that is not a name")
    return data


def contexts(paths: Iterable[Path]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The contexts of the kubeconfig files (merged as kubectl does) and the current one."""
    present = list(paths)
    for path in present:
        read_kubeconfig(path)
    config_file = os.pathsep.join(str(p) for p in present)
    try:
        found, current = kube_config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
            config_file=config_file
        )
    except (*_CLIENT_ERRORS, OSError) as e:
        raise _broken(present[0], f"cannot be used ({e})") from e
    return list(found or []), current


def _kind(value: object) -> str:
    names = {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}
    return names.get(type(value), type(value).__name__)


def _broken(path: Path, what: str) -> ClusterError:
    if path == workshop_home() / "kubeconfig":
        hint = (
            "it is the sandbox's own: `workshop sandbox down`, then `workshop sandbox up`, "
            "writes it again"
        )
    else:
        hint = (
            "fix or replace it (`kubectl config view` shows what kubectl reads), "
            "or choose another with --kubeconfig or KUBECONFIG"
        )
    return ClusterError(f"the kubeconfig {path} {what}", hint=hint)


def target(context: str | None = None, *, kubeconfig: str | Path | None = None) -> Target:
    """Resolve the caller's choice: an argument, else ``$WORKSHOP_CONTEXT``, else the sandbox."""
    context = context or os.environ.get("WORKSHOP_CONTEXT") or None
    if kubeconfig is not None:
        return Target((Path(kubeconfig).expanduser(),), context, auto_start=False)
    if context is None or context == SANDBOX_CONTEXT:
        return Target((workshop_home() / "kubeconfig",), SANDBOX_CONTEXT, auto_start=True)
    listed = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    paths = [Path(p).expanduser() for p in listed] or [Path.home() / ".kube" / "config"]
    return Target(tuple(paths), context, auto_start=False)


@dataclass(frozen=True)
class Seat:
    """A learner's place in a class, read from their kubeconfig context's extension.

    Their labs run in ``prefix + <the lab's namespace>`` (``k8s101-alice-lab-04``) and
    their progress goes into ``home`` (``k8s101-alice``), with their own rights.
    """

    class_name: str
    learner: str
    prefix: str
    home: str

    def namespace(self, lab_namespace: str) -> str:
        return self.prefix + lab_namespace

    @classmethod
    def from_context(cls, context: dict[str, Any] | None) -> Seat | None:
        """The seat a context's ``extensions`` name, or ``None`` (not a class learner)."""
        extensions = ((context or {}).get("context") or {}).get("extensions") or []
        for ext in extensions if isinstance(extensions, list) else []:
            data = ext.get("extension") if isinstance(ext, dict) else None
            if isinstance(data, dict) and ext.get("name") == SEAT_EXTENSION:
                try:
                    return cls(
                        str(data["class"]),
                        str(data["learner"]),
                        str(data["namespacePrefix"]),
                        str(data["home"]),
                    )
                except KeyError:
                    return None
        return None


@dataclass
class Cluster:
    """One cluster as one user sees it: what every lab, check and widget talks to."""

    kubeconfig_paths: tuple[Path, ...]
    context: str
    api_client: ApiClient
    _api: KubeApi | None = field(default=None, repr=False)
    seat: Seat | None = None
    """Set when this kubeconfig is a class learner's: their labs' namespaces are theirs."""

    @property
    def kubeconfig(self) -> Path:
        """The kubeconfig file (the first one, when ``$KUBECONFIG`` lists several)."""
        return self.kubeconfig_paths[0]

    @property
    def server(self) -> str:
        return str(self.api_client.configuration.host)

    @property
    def is_sandbox(self) -> bool:
        return self.context == SANDBOX_CONTEXT

    @property
    def api(self) -> KubeApi:
        """Generic get/list/apply/delete of any object (see ``workshop.kubeapi``)."""
        if self._api is None:
            self._api = KubeApi(self.api_client, context=self.context)
        return self._api

    def describe(self) -> str:
        """A one-liner for the top of every notebook: which cluster this is."""
        if self.seat:
            return (
                f"class {self.seat.class_name}, learner {self.seat.learner} at {self.server} "
                f"(your namespaces: {self.seat.prefix}*)"
            )
        if self.is_sandbox:
            return f"sandbox (local, kwok nodes) at {self.server}"
        return f"context {self.context} at {self.server}"

    def env(self) -> dict[str, str]:
        """Environment for the real tools (kubectl, helm): this kubeconfig, no proxy for it."""
        no_proxy = ",".join(p for p in (os.environ.get("NO_PROXY"), "127.0.0.1,localhost") if p)
        kubeconfig = os.pathsep.join(str(p) for p in self.kubeconfig_paths)
        return {**os.environ, "KUBECONFIG": kubeconfig, "NO_PROXY": no_proxy}

    def __str__(self) -> str:
        return self.describe()

    def close(self) -> None:
        self.api_client.close()  # type: ignore[no-untyped-call]


def connect(
    context: str | None = None,
    *,
    kubeconfig: str | Path | None = None,
    start_sandbox: Callable[[], None] | None = None,
    say: Say | None = None,
) -> Cluster:
    """Connect to the sandbox (started if it does not answer) or to a named context.

    ``context`` defaults to ``$WORKSHOP_CONTEXT``; a context other than the sandbox's is
    read from ``kubeconfig``, else ``$KUBECONFIG``, else ``~/.kube/config``. With only a
    ``kubeconfig``, its current context is used. ``start_sandbox`` replaces the
    ``workshop sandbox up`` subprocess (a seam for tests).
    """
    chosen = target(context, kubeconfig=kubeconfig)
    if not chosen.auto_start:
        cluster = _open(chosen)
        _probe(cluster)
        return cluster
    if chosen.kubeconfig[0].exists():
        cluster = _open(chosen)
        if _answers(cluster):
            return cluster
        cluster.close()
    if say:
        say("starting the local sandbox (`workshop sandbox up`)...")
    (start_sandbox or _start_sandbox)()
    cluster = _open(chosen)
    _probe(cluster)
    return cluster


def _open(chosen: Target) -> Cluster:
    missing = [p for p in chosen.kubeconfig if not p.exists()]
    if len(missing) == len(chosen.kubeconfig):
        raise ClusterError(
            f"no kubeconfig at {', '.join(map(str, chosen.kubeconfig))}",
            context=chosen.context,
            hint="set KUBECONFIG or pass kubeconfig=...; without a context, "
            "`workshop.connect()` uses the local sandbox",
        )
    paths = tuple(p for p in chosen.kubeconfig if p.exists())
    config_file = os.pathsep.join(str(p) for p in paths)
    found, current = contexts(paths)
    names = [c["name"] for c in found]
    context = chosen.context or (current or {}).get("name")
    seat = Seat.from_context(next((c for c in found if c["name"] == context), None))
    if context not in names:
        known = ", ".join(names) or "none"
        raise ClusterError(
            f"context {context!r} is not in {config_file} (contexts there: {known})",
            context=context,
            hint="`kubectl config get-contexts` lists them; pass one to connect() "
            "or set WORKSHOP_CONTEXT",
        )
    try:
        api_client = kube_config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=config_file, context=context, persist_config=False
        )
    except _CLIENT_ERRORS as e:  # a user or cluster entry the client cannot use
        raise ClusterError(
            f"cannot use the kubeconfig {config_file}: {e}",
            context=chosen.context,
            hint=_broken(paths[0], "").hint,
        ) from e
    return Cluster(paths, str(context), api_client, seat=seat)


def _answers(cluster: Cluster) -> bool:
    try:
        _probe(cluster)
    except ClusterError:
        return False
    return True


def _probe(cluster: Cluster) -> None:
    """Ask ``/version``: cheap, and readable by any authenticated user."""
    cluster.api.request("GET", "/version", timeout=5.0)


def _start_sandbox() -> None:
    try:
        tail = subcommand.run("sandbox", "up", timeout=SANDBOX_START_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        raise ClusterError(
            f"the local sandbox did not start within {SANDBOX_START_TIMEOUT:.0f}s",
            context=SANDBOX_CONTEXT,
            hint="`workshop sandbox status` and `workshop sandbox logs` show where it stands",
        ) from e
    if tail is None:
        return
    said = tail.partition("error: ")[2] if "error: " in tail else ""
    if said:  # the command's own message says what happened and what to do: pass it on
        raise ClusterError(f"the local sandbox did not start: {said}", context=SANDBOX_CONTEXT)
    raise ClusterError(
        f"the local sandbox did not start:\n{tail}",
        context=SANDBOX_CONTEXT,
        hint="run `workshop sandbox up` in a terminal to see each step; "
        "`workshop sandbox logs` shows the components' logs",
    )
