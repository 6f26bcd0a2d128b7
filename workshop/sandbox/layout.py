"""Where one sandbox keeps its files under the workshop home (pure paths, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONTEXT = "workshop-sandbox"
COMPONENTS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok",
    "registry",
    "addons",
)


@dataclass(frozen=True)
class Layout:
    """The files of the sandbox that lives in ``<home>/sandbox``."""

    home: Path

    @property
    def root(self) -> Path:
        return self.home / "sandbox"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        """Pid files and the supervisor's status; meaningless once the sandbox is down."""
        return self.root / "run"

    @property
    def config(self) -> Path:
        """Generated configuration files (kwok stages, scheduler config, component kubeconfigs)."""
        return self.root / "config"

    @property
    def state_file(self) -> Path:
        """Settings that must survive a restart: ports, node count, profile."""
        return self.root / "state.json"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig handed to the learner (context ``workshop-sandbox``)."""
        return self.home / "kubeconfig"

    @property
    def status_file(self) -> Path:
        return self.run / "supervisor.json"

    @property
    def addons_ready(self) -> Path:
        """Written by the add-ons once their controllers run (and removed when they start)."""
        return self.run / "addons.ready"

    @property
    def supervisor_pid(self) -> Path:
        return self.run / "supervisor.pid"

    @property
    def exec_root(self) -> Path:
        """Scratch folder where ``kubectl exec`` commands run (kwok runs them locally)."""
        return self.root / "exec"

    @property
    def scratch(self) -> Path:
        """HOME and TMPDIR of the components (their own, never the caller's)."""
        return self.root / "tmp"

    @property
    def pods(self) -> Path:
        """Container logs and scratch folders, one folder per pod (as kubelet's /var/log/pods)."""
        return self.root / "pods"

    @property
    def volumes(self) -> Path:
        """The data of PersistentVolumes, one folder per volume."""
        return self.root / "volumes"

    @property
    def registry_data(self) -> Path:
        """The image registry's storage (kept by ``reset``: a registry outlives clusters)."""
        return self.root / "registry"

    @property
    def registry_file(self) -> Path:
        """Where clients find the registry: ``{"host": "127.0.0.1:PORT", "ca": PATH}``."""
        return self.home / "registry.json"

    @property
    def certs_d(self) -> Path:
        """Registries the nodes trust besides their own, ``<host>/ca.crt`` each (containerd's
        ``certs.d``); written at every start from ``Sandbox(trust=...)``."""
        return self.config / "certs.d"

    def log_file(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def component_kubeconfig(self, component: str) -> Path:
        return self.config / f"{component}.kubeconfig"
