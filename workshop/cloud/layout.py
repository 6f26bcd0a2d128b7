"""Where the emulated OVHcloud API keeps its files under the workshop home (pure paths)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

OVH_CONF = "ovh.conf"
"""The learner's credentials file, beside the sandbox's kubeconfig (``workshop.tools.ovh``
reads the same name)."""


@dataclass(frozen=True)
class CloudLayout:
    home: Path

    @property
    def root(self) -> Path:
        return self.home / "cloud"

    @property
    def state(self) -> Path:
        """Accounts, keys, projects, clusters and pools (``workshop.cloud.store``)."""
        return self.root / "state.json"

    @property
    def config(self) -> Path:
        """Port and delay profile, chosen at the first ``up`` and kept."""
        return self.root / "config.json"

    @property
    def pid(self) -> Path:
        return self.root / "run" / "emulator.pid"

    @property
    def log(self) -> Path:
        return self.root / "logs" / "emulator.log"

    @property
    def clusters(self) -> Path:
        return self.root / "clusters"

    def cluster(self, cluster_id: str) -> Path:
        return self.clusters / cluster_id

    @property
    def registry_file(self) -> Path:
        """The workshop's registry (``workshop sandbox up`` writes it in the same home): the
        managed clusters' nodes trust it, as a Managed Private Registry's."""
        return self.home / "registry.json"

    @property
    def ovh_conf(self) -> Path:
        return self.home / OVH_CONF
