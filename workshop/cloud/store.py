"""Everything the emulated API knows, kept in memory and saved as JSON after each change.

Applications and consumer keys, the account, Public Cloud projects, Managed Kubernetes
clusters, node pools and nodes. Request handlers and the reconciler read and change it
under ``store.lock``; ``save`` writes ``state.json`` atomically, readable by its owner
only, since it holds application secrets.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import threading
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

ALPHABET = string.ascii_letters + string.digits


def token(length: int) -> str:
    """A random key of letters and digits, the shape of OVHcloud's keys."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


@dataclass
class Application:
    key: str
    secret: str
    id: int
    name: str
    description: str
    status: str = "active"


@dataclass
class Credential:
    """A consumer key: the access rules an account granted to an application."""

    key: str
    application_key: str
    id: int
    rules: list[dict[str, str]]
    token: str
    created: float
    state: str = "pendingValidation"  # validated, refused, expired
    redirection: str | None = None
    allowed_ips: list[str] | None = None
    validated: float | None = None
    expires: float | None = None
    last_use: float | None = None


@dataclass
class Account:
    nichandle: str
    firstname: str = "Workshop"
    name: str = "Learner"
    email: str = "learner@example.org"
    country: str = "FR"
    ovh_subsidiary: str = "FR"


@dataclass
class Project:
    id: str
    name: str
    description: str
    created: float


@dataclass
class Operation:
    """Work in progress on a cluster or a node pool; its kind sets the visible status."""

    kind: str
    since: float
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Cluster:
    id: str
    project: str
    name: str
    region: str
    version: str
    port: int
    """Local port of the cluster's API endpoint (the proxy in front of kube-apiserver)."""
    created: float
    updated: float
    status: str = "INSTALLING"
    plan: str = "free"
    update_policy: str = "ALWAYS_UPDATE"
    kube_proxy_mode: str = "iptables"
    customization: dict[str, Any] = field(default_factory=dict)
    private_network_id: str | None = None
    private_network_configuration: dict[str, Any] = field(default_factory=dict)
    load_balancers_subnet_id: str | None = None
    nodes_subnet_id: str | None = None
    ip_restrictions: list[str] = field(default_factory=list)
    oidc: dict[str, Any] | None = None
    etcd_usage: int = 0
    operation: Operation | None = None
    message: str | None = None
    """Why the cluster is in ERROR, for the emulator's log and status."""


@dataclass
class NodePool:
    id: str
    cluster: str
    project: str
    name: str
    flavor: str
    desired: int
    min: int
    max: int
    created: float
    updated: float
    autoscale: bool = False
    anti_affinity: bool = False
    monthly_billed: bool = False
    availability_zones: list[str] = field(default_factory=list)
    autoscaling: dict[str, Any] = field(default_factory=dict)
    template: dict[str, Any] = field(default_factory=dict)
    attach_floating_ips: dict[str, Any] = field(default_factory=lambda: {"enabled": False})
    status: str = "INSTALLING"
    current: int = 0
    available: int = 0
    nodes_to_remove: list[str] = field(default_factory=list)
    pushed: bool = False
    """Whether the cluster has been told the latest spec (else the reconciler pushes it)."""
    operation: Operation | None = None
    message: str | None = None
    """Why the pool is in ERROR: the cluster refused its spec (a new PUT tries again)."""


@dataclass
class Node:
    id: str
    pool: str
    cluster: str
    project: str
    name: str
    flavor: str
    instance_id: str
    status: str
    created: float
    updated: float
    deployed: float | None = None


def _load(cls: type[Any], data: dict[str, Any]) -> Any:
    known = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in known}
    if isinstance(values.get("operation"), dict):
        values["operation"] = Operation(**values["operation"])
    return cls(**values)


class Store:
    """The API's state; ``path`` None keeps it in memory (tests)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.account = Account(nichandle=f"ws{secrets.randbelow(900000) + 100000}-ovh")
        self.applications: dict[str, Application] = {}
        self.credentials: dict[str, Credential] = {}
        self.projects: dict[str, Project] = {}
        self.clusters: dict[str, Cluster] = {}
        self.pools: dict[str, NodePool] = {}
        self.nodes: dict[str, Node] = {}
        self.next_id = 1
        self._saved = ""
        if path is not None and path.exists():
            self._read(path)

    # -- identifiers -------------------------------------------------------------------

    def new_number(self) -> int:
        with self.lock:
            self.next_id += 1
            return 100000 + self.next_id

    @staticmethod
    def new_uuid() -> str:
        return str(uuid.uuid4())

    # -- lookups -------------------------------------------------------------------------

    def pools_of(self, cluster: str) -> list[NodePool]:
        return sorted(
            (p for p in self.pools.values() if p.cluster == cluster), key=lambda p: p.created
        )

    def nodes_of(self, cluster: str, pool: str | None = None) -> list[Node]:
        return sorted(
            (
                n
                for n in self.nodes.values()
                if n.cluster == cluster and (pool is None or n.pool == pool)
            ),
            key=lambda n: (n.created, n.name),
        )

    def remove_cluster(self, cluster: str) -> None:
        with self.lock:
            self.clusters.pop(cluster, None)
            for pool in self.pools_of(cluster):
                self.remove_pool(pool.id)

    def remove_pool(self, pool: str) -> None:
        with self.lock:
            self.pools.pop(pool, None)
            for node in [n for n in self.nodes.values() if n.pool == pool]:
                self.nodes.pop(node.id, None)

    # -- persistence ---------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "account": asdict(self.account),
                "applications": [asdict(a) for a in self.applications.values()],
                "credentials": [asdict(c) for c in self.credentials.values()],
                "projects": [asdict(p) for p in self.projects.values()],
                "clusters": [asdict(c) for c in self.clusters.values()],
                "pools": [asdict(p) for p in self.pools.values()],
                "nodes": [asdict(n) for n in self.nodes.values()],
                "nextId": self.next_id,
            }

    def save(self) -> None:
        if self.path is None:
            return
        text = json.dumps(self.snapshot(), indent=1)
        if text == self._saved:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        tmp.replace(self.path)
        self._saved = text

    def _read(self, path: Path) -> None:
        data = json.loads(path.read_text())
        self.account = _load(Account, data["account"])
        self.applications = {a["key"]: _load(Application, a) for a in data["applications"]}
        self.credentials = {c["key"]: _load(Credential, c) for c in data["credentials"]}
        self.projects = {p["id"]: _load(Project, p) for p in data["projects"]}
        self.clusters = {c["id"]: _load(Cluster, c) for c in data["clusters"]}
        self.pools = {p["id"]: _load(NodePool, p) for p in data["pools"]}
        self.nodes = {n["id"]: _load(Node, n) for n in data["nodes"]}
        self.next_id = int(data.get("nextId", 1))


def read_only(path: Path) -> Store | None:
    """The saved state, for status commands (None when there is none yet)."""
    if not path.exists():
        return None
    try:
        return Store(path)
    except (OSError, ValueError, KeyError, TypeError):
        return None
