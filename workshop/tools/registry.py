"""An OCI registry and the real client that talks to it: ``crane`` (go-containerregistry).

``find()`` says which registry the workshop pushes to: ``$WORKSHOP_REGISTRY`` (a real one,
such as an OVHcloud Managed Private Registry: ``xxxx.gra7.container-registry.ovh.net``,
after ``crane auth login``), else the sandbox's own (``$WORKSHOP_HOME/registry.json``,
written by ``workshop sandbox up``). The sandbox's registry serves TLS with the sandbox's
CA and asks for a login: ``Registry.env()`` hands crane and helm that CA
(``SSL_CERT_FILE``) and the Docker-style ``config.json`` the sandbox wrote, mode 0600, with
its user and password (``DOCKER_CONFIG`` for crane, ``HELM_REGISTRY_CONFIG`` for helm), so
nobody types the password; nothing here ever prints it.
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
from workshop.tools import helm

TIMEOUT = 300.0


@dataclass(frozen=True)
class Registry:
    """A registry by host (``127.0.0.1:5000``), the CA that signed its certificate, and
    where the workshop keeps its login: the user, the password's file (never its text), the
    folder of the ``config.json`` crane (``DOCKER_CONFIG``) and helm read."""

    host: str
    ca: Path | None = None
    user: str | None = None
    password_file: Path | None = None
    docker_config: Path | None = None

    def reference(self, repository: str, tag: str = "latest") -> str:
        return f"{self.host}/{repository}:{tag}"

    @property
    def registry_config(self) -> Path | None:
        """The file for helm's ``--registry-config`` (the same auths as crane's)."""
        return self.docker_config / "config.json" if self.docker_config else None

    def variables(self) -> dict[str, str]:
        """What crane and helm need to trust and log in to this registry (paths only)."""
        found: dict[str, str] = {}
        if self.ca is not None:
            found["SSL_CERT_FILE"] = str(self.ca)
        if self.docker_config is not None and self.registry_config is not None:
            found["DOCKER_CONFIG"] = str(self.docker_config)
            found["HELM_REGISTRY_CONFIG"] = str(self.registry_config)
        return found

    def env(self) -> dict[str, str]:
        """The environment for crane and helm: the sandbox's CA and login, when there are."""
        return {**os.environ, **self.variables()}

    def helm_flags(self) -> list[str]:
        """``--ca-file CA --registry-config FILE``: helm's own flags for this registry."""
        flags = ["--ca-file", str(self.ca)] if self.ca is not None else []
        if self.registry_config is not None:
            flags += ["--registry-config", str(self.registry_config)]
        return flags

    def shell_env(self) -> str:
        """``SSL_CERT_FILE=... DOCKER_CONFIG=...``: the same, before a command in a shell."""
        return shlex.join(f"{k}={v}" for k, v in self.variables().items())


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
            return Registry(
                data["host"],
                _path(data.get("ca")),
                user=data.get("user") or None,
                password_file=_path(data.get("password_file")),
                docker_config=_path(data.get("docker_config")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
    raise WorkshopError(
        "no image registry yet",
        hint="start the sandbox (`workshop sandbox up`): it runs one; or set "
        "WORKSHOP_REGISTRY to a registry you are logged in to",
    )


def _path(value: object) -> Path | None:
    return Path(value) if isinstance(value, str) and value else None


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
        last = said[-1] if said else str(done.returncode)
        raise WorkshopError(f"`{shown}` failed: {last}", hint=_login_hint(registry, last))
    return done.stdout


def _login_hint(registry: Registry, message: str) -> str | None:
    if "UNAUTHORIZED" not in message and "401" not in message:
        return None
    if registry.docker_config is not None:
        return (
            f"the registry asks for a login, which {registry.registry_config} holds: start "
            "the sandbox again (`workshop sandbox up`) to write it for the current port"
        )
    return f"log in first: `crane auth login {registry.host} -u USER --password-stdin`"


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


def push_chart(registry: Registry, chart: Path | str, repository: str = "charts") -> str:
    """``helm push CHART.tgz oci://HOST/REPOSITORY`` with the registry's CA and login; the
    pushed reference (``HOST/REPOSITORY/NAME:VERSION``)."""
    out = helm.run(
        None, "push", str(chart), f"oci://{registry.host}/{repository}", *registry.helm_flags()
    )
    for line in out.splitlines():
        if line.startswith("Pushed:"):
            return line.partition(":")[2].strip()
    return f"{registry.host}/{repository}"


def pull_chart(
    registry: Registry, name: str, version: str, into: Path | str, repository: str = "charts"
) -> Path:
    """``helm pull oci://HOST/REPOSITORY/NAME --version V -d INTO``: the chart's .tgz."""
    folder = Path(into)
    folder.mkdir(parents=True, exist_ok=True)
    chart = f"oci://{registry.host}/{repository}/{name}"
    helm.run(None, "pull", chart, "--version", version, "-d", str(folder), *registry.helm_flags())
    return folder / f"{name}-{version}.tgz"
