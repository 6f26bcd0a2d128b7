"""Pulls from OCI registries, the sandbox's own and those its nodes trust: a ``PullSource``.

An image reference on ``127.0.0.1:<registry port>`` (or ``localhost:<port>``) is looked up
over the registry's HTTP API, as a kubelet's container runtime would: the manifest (an
index picks linux/<this machine's arch>), then the config. What the image's config says
becomes what the simulated container does: its entrypoint and cmd, its exposed ports.
Its layers are unpacked once per image digest under ``sandbox/images/``; a container
that serves HTTP (it exposes a port) answers with the files of the image, from the folder
its command names (``httpd -h /app``) or its working directory.

The registry asks for a login (``registry_auth``): like a node's container runtime given
credentials for a private registry (containerd's ``registry.configs.<host>.auth``), the
add-on sends the sandbox's user and password, read from the 0600 file under
``$WORKSHOP_HOME``, on every request; pods need no ``imagePullSecrets`` here.

A managed cluster (``workshop.cloud``) has no registry of its own: its nodes trust the
workshop's registry as OVHcloud's nodes trust a Managed Private Registry's certificate,
each host given with its CA in ``config/certs.d/<host>/ca.crt`` (containerd's layout),
TLS checked against that CA for that host only. The nodes hold no login for it: a pull
sends the login of the pod's ``imagePullSecrets`` (a Secret of type
``kubernetes.io/dockerconfigjson``), and without one, or with a wrong one, fails as
containerd's does against a Managed Private Registry.

A tag or repository the registry does not have fails as containerd's pull does
(``...: not found``), which the pulls controller turns into ErrImagePull and
ImagePullBackOff; pushing the tag later lets the next try succeed.
"""

from __future__ import annotations

import io
import json
import logging
import platform
import posixpath
import shutil
import ssl
import tarfile
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workshop.sandbox import pki, registry_auth
from workshop.sandbox.addons.catalogue import Image, ImageRef, PullError, denied
from workshop.sandbox.layout import Layout
from workshop.sandbox.registry_auth import Credentials
from workshop.sandbox.state import State

ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
INDEXES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
TIMEOUT = 10.0
MEMORY = 4 * 2**20

log = logging.getLogger("image-pulls.registry")


def arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


@dataclass(frozen=True)
class Remote:
    """One pull's connection: the image, the CA its registry's certificate must chain to,
    the login sent (None: anonymous)."""

    ref: ImageRef
    context: ssl.SSLContext
    login: Credentials | None


class Unauthorized(Exception):
    """The registry answered 401: the login (or its absence) may not pull."""


def trusted(layout: Layout) -> dict[str, Path]:
    """The registries the nodes trust besides their own: host -> its CA file (certs.d)."""
    try:
        folders = sorted(layout.certs_d.iterdir())
    except OSError:
        return {}
    return {f.name: f / "ca.crt" for f in folders if (f / "ca.crt").is_file()}


class LocalRegistry:
    """The sandbox's registry, and those its nodes trust, as a pull source (callable:
    ``ImageRef``, logins -> ``Image | None``)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.images = layout.root / "images"
        self._contexts: dict[Path, ssl.SSLContext] = {}
        self._unpacking = threading.Lock()

    def hosts(self) -> set[str]:
        state = State.load(self.layout.state_file)
        if state is None or not state.ports.registry:
            return set()
        port = state.ports.registry
        return {f"127.0.0.1:{port}", f"localhost:{port}"}

    def __call__(self, ref: ImageRef, logins: Sequence[Credentials] = ()) -> Image | None:
        if ref.registry in self.hosts():  # our own: the runtime's login, not the pod's
            own = self._ssl(pki.Pki(self.layout.pki).ca_cert)
            try:
                return self._pull(Remote(ref, own, registry_auth.load(self.layout)))
            except Unauthorized:
                raise PullError(denied(ref)) from None
        ca = trusted(self.layout).get(ref.registry)
        if ca is None:
            return None
        context = self._ssl(ca)
        if not logins:
            try:
                return self._pull(Remote(ref, context, None))  # anonymous
            except Unauthorized:
                raise PullError(denied(ref)) from None
        for login in logins:  # the pod's logins for this host, in turn, as the kubelet does
            try:
                return self._pull(Remote(ref, context, login))
            except Unauthorized:
                continue
        raise PullError(refused(ref))

    def _pull(self, remote: Remote) -> Image:
        ref = remote.ref
        base = f"https://{ref.registry}/v2/{ref.repository}"
        wanted = ref.digest or ref.tag
        manifest, digest = self._manifest(f"{base}/manifests/{wanted}", remote)
        if manifest.get("mediaType") in INDEXES or "manifests" in manifest:
            chosen = self._platform(manifest, ref)
            manifest, digest = self._manifest(f"{base}/manifests/{chosen}", remote)
        config = json.loads(self._get(f"{base}/blobs/{manifest['config']['digest']}", remote)[0])
        layers = manifest.get("layers") or []
        rootfs = self._unpack(base, digest, layers, remote)
        return to_image(ref, config, layers, rootfs)

    # -- HTTP ------------------------------------------------------------------------------

    def _ssl(self, ca: Path) -> ssl.SSLContext:
        """Verify the registry's certificate against ``ca`` only (never switched off)."""
        if ca not in self._contexts:
            self._contexts[ca] = ssl.create_default_context(cafile=str(ca))
        return self._contexts[ca]

    def _get(self, url: str, remote: Remote, accept: str = "*/*") -> tuple[bytes, dict[str, str]]:
        ref = remote.ref
        headers = {"Accept": accept}
        if remote.login is not None:
            headers["Authorization"] = remote.login.basic()
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - https only
        try:
            with urllib.request.urlopen(  # noqa: S310 - an https URL built here
                request, context=remote.context, timeout=TIMEOUT
            ) as answer:
                return answer.read(), {k.lower(): v for k, v in answer.headers.items()}
        except urllib.error.HTTPError as e:
            if e.code == 404:
                raise PullError(not_found(ref)) from None
            if e.code == 401:
                raise Unauthorized(url) from None
            raise PullError(
                f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": '
                f"unexpected status from GET request to {url}: {e.code} {e.reason}"
            ) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise PullError(
                f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": '
                f'failed to resolve reference "{ref}": failed to do request: Head '
                f'"{url}": {reason}'
            ) from None

    def _manifest(self, url: str, remote: Remote) -> tuple[dict[str, Any], str]:
        body, headers = self._get(url, remote, ACCEPT)
        manifest: dict[str, Any] = json.loads(body)
        return manifest, headers.get("docker-content-digest", "")

    def _platform(self, index: dict[str, Any], ref: ImageRef) -> str:
        for entry in index.get("manifests", []):
            wanted = entry.get("platform") or {}
            if wanted.get("os", "linux") == "linux" and wanted.get("architecture") == arch():
                return str(entry["digest"])
        raise PullError(
            f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
            f"no match for platform in manifest: not found"
        )

    # -- the image's files -----------------------------------------------------------------

    def _unpack(self, base: str, digest: str, layers: list[dict[str, Any]], remote: Remote) -> Path:
        """The image's files, unpacked once per manifest digest."""
        folder = self.images / (digest.partition(":")[2] or "unknown") / "rootfs"
        with self._unpacking:
            if folder.is_dir():
                return folder
            staging = folder.with_name("rootfs.partial")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            for layer in layers:
                blob = self._get(f"{base}/blobs/{layer['digest']}", remote)[0]
                extract(blob, staging)
            staging.replace(folder)
        log.info("%s: unpacked %d layers into %s", remote.ref, len(layers), folder)
        return folder


def extract(blob: bytes, into: Path) -> None:
    """Unpack a layer's regular files and folders (no links, nothing outside ``into``)."""
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:*") as archive:
        for member in archive.getmembers():
            name = posixpath.normpath(member.name.lstrip("/"))
            if name.startswith("..") or name == ".":
                continue
            base = posixpath.basename(name)
            target = into / name
            if base.startswith(".wh."):  # a whiteout: the layer deletes a file
                gone = target.with_name(base.removeprefix(".wh."))
                if gone.is_dir():
                    shutil.rmtree(gone, ignore_errors=True)
                else:
                    gone.unlink(missing_ok=True)
                continue
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                target.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                if source is not None:
                    target.write_bytes(source.read())


def not_found(ref: ImageRef) -> str:
    """containerd's words for a tag or repository the registry does not have."""
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
        f'failed to resolve reference "{ref}": {ref}: not found'
    )


def refused(ref: ImageRef) -> str:
    """containerd's words when a Managed Private Registry (Harbor) refuses the login sent:
    the token service answers 401 (a wrong user or password)."""
    scope = f"repository%3A{ref.repository.replace('/', '%2F')}%3Apull"
    return (
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": failed to '
        f'resolve reference "{ref}": failed to authorize: failed to fetch oauth token: '
        f"unexpected status from GET request to https://{ref.registry}/service/token?"
        f"scope={scope}&service=harbor-registry: 401 Unauthorized"
    )


def to_image(
    ref: ImageRef, config: dict[str, Any], layers: list[dict[str, Any]], rootfs: Path
) -> Image:
    """What a container of this image does, from the image's config."""
    settings = config.get("config") or {}
    entrypoint = tuple(settings.get("Entrypoint") or ())
    cmd = tuple(settings.get("Cmd") or ())
    words = [*entrypoint, *cmd]
    ports = tuple(sorted(int(p.partition("/")[0]) for p in (settings.get("ExposedPorts") or {})))
    if not ports and "-p" in words[:-1]:  # busybox httpd -p 8080
        value = words[words.index("-p") + 1].rpartition(":")[2]
        ports = (int(value),) if value.isdigit() else ()
    workdir = settings.get("WorkingDir") or "/"
    webroot = words[words.index("-h") + 1] if "-h" in words[:-1] else workdir
    labels = settings.get("Labels") or {}
    size = sum(int(layer.get("size", 0)) for layer in layers)
    return Image(
        ref=ref,
        size_mb=max(size / 1e6, 0.001),
        memory=MEMORY,
        entrypoint=entrypoint,
        cmd=cmd,
        server=(words[0],) if ports and words else (),
        app="files" if ports else None,
        ports=ports,
        version=str(labels.get("org.opencontainers.image.version", ref.tag)),
        startup_seconds=0.2,
        source="registry",
        extra={"rootfs": str(rootfs), "webroot": webroot, "env": settings.get("Env") or []},
    )
