"""An OCI registry and the real client that talks to it: ``crane`` (go-containerregistry).

``find()`` says which registry the workshop pushes to: ``$WORKSHOP_REGISTRY`` (a real one,
such as an OVHcloud Managed Private Registry: ``xxxx.gra7.container-registry.ovh.net``,
after ``crane auth login``), else the sandbox's own (``$WORKSHOP_HOME/registry.json``,
written by ``workshop sandbox up``). The sandbox's registry serves TLS with the sandbox's
CA; ``Registry.env()`` hands that CA to crane and helm (``SSL_CERT_FILE``).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from workshop.cluster import Cluster
from workshop.errors import WorkshopError
from workshop.home import cache_home, workshop_home

TIMEOUT = 300.0


@dataclass(frozen=True)
class Registry:
    """A registry by host (``127.0.0.1:5000``), and the CA that signed its certificate."""

    host: str
    ca: Path | None = None

    def reference(self, repository: str, tag: str = "latest") -> str:
        return f"{self.host}/{repository}:{tag}"

    def env(self) -> dict[str, str]:
        """The environment for crane and helm: trust the sandbox's CA when there is one."""
        env = dict(os.environ)
        if self.ca is not None:
            env["SSL_CERT_FILE"] = str(self.ca)
        return env


def find(home: Path | str | None = None, *, cluster: Cluster | None = None) -> Registry:
    """The registry labs push to; ``WorkshopError`` when there is none yet.

    ``$WORKSHOP_REGISTRY`` first; else the sandbox's, found beside ``cluster``'s kubeconfig
    (the sandbox writes both in its home), else in ``home`` (default ``$WORKSHOP_HOME``).
    """
    configured = os.environ.get("WORKSHOP_REGISTRY", "").strip()
    if configured:
        return Registry(configured.removeprefix("https://").rstrip("/"))
    folders = [Path(home).expanduser() if home else workshop_home()]
    if cluster is not None and cluster.is_sandbox:
        folders.insert(0, cluster.kubeconfig.parent)
    for folder in folders:
        try:
            data = json.loads((folder / "registry.json").read_text())
            return Registry(data["host"], Path(data["ca"]) if data.get("ca") else None)
        except (OSError, ValueError, KeyError, TypeError):
            continue
    raise WorkshopError(
        "no image registry yet",
        hint="start the sandbox (`workshop sandbox up`): it runs one; or set "
        "WORKSHOP_REGISTRY to a registry you are logged in to",
    )


def crane() -> Path:
    """The crane binary: on PATH, else the one ``workshop binaries install`` built."""
    found = shutil.which("crane")
    if found:
        return Path(found)
    cached = sorted((cache_home() / "bin").glob("crane-v*/crane"))
    if cached:
        return cached[-1]
    raise WorkshopError(
        "crane is not installed",
        hint="`workshop binaries install crane` builds it (or `go install "
        "github.com/google/go-containerregistry/cmd/crane@latest`)",
    )


def run_crane(registry: Registry, *args: str, timeout: float = TIMEOUT) -> str:
    """Run ``crane ARGS`` trusting the registry's CA; its output, or ``WorkshopError``."""
    shown = "crane " + shlex.join(args)
    try:
        done = subprocess.run(
            [str(crane()), *args],
            capture_output=True,
            text=True,
            env=registry.env(),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise WorkshopError(f"`{shown}` did not finish within {timeout:.0f}s") from e
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise WorkshopError(f"`{shown}` failed: {said[-1] if said else done.returncode}")
    return done.stdout


def push(registry: Registry, layout: Path | str, repository: str, tag: str) -> str:
    """Push an OCI image layout as ``repository:tag``; the pushed reference with its digest."""
    reference = registry.reference(repository, tag)
    out = run_crane(registry, "push", str(layout), reference)
    return out.strip().splitlines()[-1] if out.strip() else reference


def tags(registry: Registry, repository: str) -> list[str]:
    """The tags of a repository (empty when it does not exist)."""
    try:
        return run_crane(registry, "ls", f"{registry.host}/{repository}").split()
    except WorkshopError as e:
        if "NAME_UNKNOWN" in str(e) or "404" in str(e):
            return []
        raise


def catalog(registry: Registry) -> list[str]:
    """Every repository in the registry."""
    return run_crane(registry, "catalog", registry.host).split()
