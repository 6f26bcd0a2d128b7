"""Downloading official release binaries, checked against their published sha256.

Release layouts (see ``catalogue.py``):

- Kubernetes (kube-*, kubectl): ``https://dl.k8s.io/release/v1.37.2/bin/linux/amd64/<name>``
  and ``<name>.sha256`` beside it (the bare hex digest);
- etcd: ``https://github.com/etcd-io/etcd/releases/download/v3.7.3/etcd-v3.7.3-linux-amd64.tar.gz``
  (``.zip`` on macOS) holding ``etcd-v3.7.3-linux-amd64/etcd``, checked against the
  release's ``SHA256SUMS``;
- kwok: ``https://github.com/kubernetes-sigs/kwok/releases/download/v0.8.0/kwok-linux-amd64``,
  a bare binary with no checksum file: the digest must be pinned in the catalogue.

``$WORKSHOP_DOWNLOAD_MIRROR`` (an http(s) URL) replaces both ``https://dl.k8s.io`` and
``https://github.com``, keeping the paths, so one server can hold the whole layout.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import platform
import re
import shutil
import sys
import tarfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from workshop.binaries.cache import commit, staging
from workshop.binaries.catalogue import Binary, Group, Host
from workshop.binaries.progress import Progress, ProgressEvent
from workshop.binaries.versions import probe_version
from workshop.errors import BinaryError

MIRROR_ENV = "WORKSHOP_DOWNLOAD_MIRROR"
HOSTS: dict[Host, str] = {
    "dl.k8s.io": "https://dl.k8s.io",
    "github.com": "https://github.com",
    "get.helm.sh": "https://get.helm.sh",
}
TIMEOUT = 30.0
_CHUNK = 1 << 16
_REPORT_EVERY = 4 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Asset:
    """One release file to fetch for one binary, and how to check and unpack it."""

    binary: Binary
    url: str
    checksum_url: str | None
    member: str | None
    pinned_sha256: str | None

    @property
    def file_name(self) -> str:
        return self.url.rsplit("/", 1)[-1]


def platform_key(binary: Binary) -> tuple[str, str]:
    """``(os, arch)`` as release files name them: ``("linux", "amd64")``."""
    os_name = {"linux": "linux", "darwin": "darwin"}.get(sys.platform)
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if os_name is None or arch is None:
        raise BinaryError(
            f"no official release for {sys.platform}/{machine}",
            binary=binary.name,
            step="download",
            hint=f"build it with Go (`--via build`) or put it on PATH: {binary.elsewhere}",
        )
    return os_name, arch


def base_url(host: Host) -> str:
    """The official host, or ``$WORKSHOP_DOWNLOAD_MIRROR`` when set."""
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    return mirror.rstrip("/") if mirror else HOSTS[host]


def asset_for(binary: Binary, os_name: str, arch: str) -> Asset:
    """Where ``binary`` is in the official release for ``os_name/arch``."""
    release = binary.release
    fields = {
        "tag": binary.tag,
        "version": binary.version,
        "os": os_name,
        "arch": arch,
        "name": binary.name,
        "ext": "zip" if os_name == "darwin" else "tar.gz",
        # goreleaser's default names (go-containerregistry): Linux_x86_64, Darwin_arm64
        "OS": os_name.title(),
        "ARCH": {"amd64": "x86_64"}.get(arch, arch),
    }
    base = base_url(release.host)
    checksum = release.checksum
    return Asset(
        binary=binary,
        url=base + release.path.format(**fields),
        checksum_url=base + checksum.format(**fields) if checksum else None,
        member=release.member.format(**fields) if release.member else None,
        pinned_sha256=release.pinned_sha256.get(f"{os_name}/{arch}"),
    )


def offline_hint(binary: Binary) -> str:
    """What to do when the release cannot be reached."""
    build = f"`workshop binaries install {binary.name} --via build` (needs Go >= 1.26), or "
    if binary.group == "kubectl":
        build = ""
    return f"no network? {build}put it on PATH: {binary.elsewhere}"


def download_group(group: Group, binaries: Sequence[Binary], progress: Progress) -> Path:
    """Download, check and unpack ``binaries`` (of ``group``), then move them to the cache."""
    tag = binaries[0].tag
    with staging(group, tag) as staged:
        for binary in binaries:
            asset = asset_for(binary, *platform_key(binary))
            progress(ProgressEvent(group, "start", f"downloading {asset.url}"))
            _install_asset(asset, staged, progress)
        final = commit(staged, group, tag)
    progress(ProgressEvent(group, "done", f"{group} {tag} downloaded into {final}"))
    return final


def _install_asset(asset: Asset, staged: Path, progress: Progress) -> None:
    binary = asset.binary
    expected = _expected_sha256(asset)
    archive = staged / f"download-{asset.file_name}"
    got = _fetch(asset.url, archive, binary, progress)
    if got != expected:
        archive.unlink(missing_ok=True)
        raise BinaryError(
            f"sha256 of {asset.url} is {got}, expected {expected}; the download was deleted",
            binary=binary.name,
            step="verify checksum",
            hint="retry later (a broken transfer or mirror); if it persists, do not use this "
            f"source: {offline_hint(binary).removeprefix('no network? ')}",
        )
    target = staged / "out" / binary.name
    _unpack(asset, archive, target)
    archive.unlink(missing_ok=True)
    target.chmod(0o755)
    probe = probe_version(target, binary.version_args, binary.parse_version, memo=False)
    if probe.version != binary.version:
        raise BinaryError(
            f"{asset.url} reports {probe.version or probe.error}, expected {binary.version}",
            binary=binary.name,
            step="verify download",
            hint=f"check {MIRROR_ENV} or the release page; {offline_hint(binary)}",
        )


def _expected_sha256(asset: Asset) -> str:
    binary = asset.binary
    if asset.checksum_url is None:
        if asset.pinned_sha256 is None:
            raise BinaryError(
                f"{asset.url} has no published checksum and the catalogue pins none",
                binary=binary.name,
                step="verify checksum",
                hint="pin its sha256 in workshop/binaries/catalogue.py, "
                f"or {offline_hint(binary).removeprefix('no network? ')}",
            )
        return asset.pinned_sha256.lower()
    text = _fetch_text(asset.checksum_url, binary)
    if binary.release.checksum_format == "bare":
        digest = (text.split() or [""])[0].lower()
    else:
        digest = _from_sums(text, asset.file_name)
    if not _SHA256.fullmatch(digest):
        raise BinaryError(
            f"{asset.checksum_url} has no sha256 for {asset.file_name}",
            binary=binary.name,
            step="verify checksum",
            hint=f"the release's checksum file is incomplete; {offline_hint(binary)}",
        )
    return digest


def _from_sums(text: str, file_name: str) -> str:
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == file_name:
            return parts[0].lower()
    return ""


def _open(url: str, binary: Binary) -> http.client.HTTPResponse:
    if not url.startswith(("https://", "http://")):
        raise BinaryError(
            f"{url} is not an http(s) URL",
            binary=binary.name,
            step="download",
            hint=f"set {MIRROR_ENV} to an http(s) URL, or unset it",
        )
    # S310: only http(s) URLs get here (checked above).
    request = urllib.request.Request(url, headers={"User-Agent": "k8s-workshop"})  # noqa: S310
    try:
        response: http.client.HTTPResponse = urllib.request.urlopen(request, timeout=TIMEOUT)  # noqa: S310
    except urllib.error.HTTPError as e:
        e.close()
        raise BinaryError(
            f"{url} answered HTTP {e.code}",
            binary=binary.name,
            step="download",
            hint=offline_hint(binary),
        ) from e
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise BinaryError(
            f"cannot reach {url}: {reason}",
            binary=binary.name,
            step="download",
            hint=offline_hint(binary),
        ) from e
    return response


def _fetch_text(url: str, binary: Binary) -> str:
    with _open(url, binary) as response:
        return response.read(1 << 20).decode("utf-8", errors="replace")


def _fetch(url: str, dest: Path, binary: Binary, progress: Progress) -> str:
    """Stream ``url`` into ``dest``; return its sha256 hex digest."""
    digest = hashlib.sha256()
    done = reported = 0
    with _open(url, binary) as response, dest.open("wb") as sink:
        total = int(response.headers.get("Content-Length") or 0)
        try:
            while chunk := response.read(_CHUNK):
                sink.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if done - reported >= _REPORT_EVERY:
                    reported = done
                    of = f" / {total / 1e6:.1f}" if total else ""
                    progress(
                        ProgressEvent(
                            binary.group, "line", f"{binary.name}: {done / 1e6:.1f}{of} MB"
                        )
                    )
        except OSError as e:
            raise BinaryError(
                f"transfer of {url} broke after {done} bytes: {e}",
                binary=binary.name,
                step="download",
                hint=offline_hint(binary),
            ) from e
    return digest.hexdigest()


def _unpack(asset: Asset, archive: Path, target: Path) -> None:
    member = asset.member
    if member is None:
        archive.replace(target)
        return
    try:
        if asset.file_name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zipped, zipped.open(member) as source:
                _copy(source, target)
        else:
            with tarfile.open(archive, "r:*") as tarred:
                entry = tarred.getmember(member)
                extracted = tarred.extractfile(entry) if entry.isfile() else None
                if extracted is None:
                    raise KeyError(member)
                with extracted:
                    _copy(extracted, target)
    except (KeyError, tarfile.TarError, zipfile.BadZipFile) as e:
        raise BinaryError(
            f"{asset.file_name} has no file {member} ({e})",
            binary=asset.binary.name,
            step="unpack",
            hint=f"the release layout changed; {offline_hint(asset.binary)}",
        ) from e


def _copy(source: IO[bytes], target: Path) -> None:
    with target.open("wb") as sink:
        shutil.copyfileobj(source, sink)
