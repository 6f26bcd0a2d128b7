"""Images and where they come from: reference parsing, the catalogue, pluggable pull sources.

A pull asks each *source* in turn for an image reference; the first that knows it wins.
The catalogue (``images.yaml``) is one source; a local OCI registry can be another: any
``PullSource`` function fits, so adding one is a line in ``default_sources``. A source is
also handed the logins the pod's image pull secrets hold for the image's registry (the
kubelet's keyring lookup), to send them as the container runtime would; the catalogue's
public images need none. An image no source knows fails as the real kubelet's pull would,
with the runtime's own wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

from workshop.quantity import memory_bytes
from workshop.sandbox.registry_auth import Credentials

DOCKER_HUB = "docker.io"
# OS and build suffixes that version tags carry on every registry (1.27-alpine, 8.4-debian-12-r3)
COMMON_SUFFIXES = frozenset(
    {"alpine", "slim", "bookworm", "bullseye", "trixie", "debian", "jammy", "noble", "focal"}
)


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference: ``nginx`` is ``docker.io/library/nginx:latest``."""

    registry: str
    repository: str
    tag: str
    digest: str | None = None

    def __str__(self) -> str:
        at = f"@{self.digest}" if self.digest else ""
        return f"{self.registry}/{self.repository}:{self.tag}{at}"


def parse(reference: str) -> ImageRef:
    """Parse an image reference the way container runtimes normalise it."""
    rest, _, digest = reference.partition("@")
    first, slash, remainder = rest.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, remainder
    else:
        registry, path = DOCKER_HUB, rest
    name, _, tag = path.rpartition(":") if ":" in path else (path, "", "")
    if registry == DOCKER_HUB and "/" not in name:
        name = f"library/{name}"
    return ImageRef(registry, name.lower(), tag or "latest", digest or None)


@dataclass(frozen=True)
class Image:
    """What a pulled image is: its size and config, and what its program does (catalogue data)."""

    ref: ImageRef
    size_mb: float = 10.0
    memory: int = 4 * 2**20
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    server: tuple[str, ...] = ()
    app: str | None = None
    ports: tuple[int, ...] = ()
    data: str | None = None
    version: str = ""
    startup: tuple[str, ...] = ()
    init: tuple[str, ...] = ()
    startup_existing: tuple[str, ...] = ()
    creates: tuple[str, ...] = ()
    startup_seconds: float = 1.0
    source: str = "catalogue"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


class PullError(Exception):
    """The image does not pull; ``str()`` is the runtime's message, as the kubelet shows it."""


PullSource = Callable[[ImageRef, Sequence[Credentials]], Image | None]
"""``source(ref, logins)``: the image, or None when the source does not have it; ``logins``
are those of the pod's pull secrets for ``ref``'s registry, in the order to try them."""
Keyring = Callable[[ImageRef], Sequence[Credentials]]
"""The logins for an image's registry (``pullsecrets.Keyring.lookup``)."""


@cache
def _entries() -> dict[ImageRef, dict[str, Any]]:
    text = resources.files("workshop.sandbox.addons").joinpath("images.yaml").read_text()
    found: dict[ImageRef, dict[str, Any]] = {}
    for name, entry in yaml.safe_load(text).items():
        for alias in [name, *entry.get("aliases", [])]:
            ref = parse(alias)
            found[ImageRef(ref.registry, ref.repository, "")] = entry
    return found


def tag_exists(tag: str, variants: Iterable[str]) -> bool:
    """Whether a tag is ``latest``, a named variant, or a version with known suffixes."""
    names = set(variants)
    if tag == "latest" or tag in names:
        return True
    match = re.fullmatch(r"v?\d+(?:\.\d+){0,3}((?:-[a-z0-9.]+)*)", tag)
    if not match:
        return False
    suffixes = [s for s in match.group(1).split("-") if s]
    return all(
        s in names or s in COMMON_SUFFIXES or re.fullmatch(r"r?\d+(\.\d+)*", s) for s in suffixes
    )


def from_catalogue(ref: ImageRef, logins: Sequence[Credentials] = ()) -> Image | None:
    """The catalogue's image for ``ref``, if its name and tag are known (public: no login)."""
    del logins
    entry = _entries().get(ImageRef(ref.registry, ref.repository, ""))
    if entry is None or not (ref.digest or tag_exists(ref.tag, entry.get("tags", []))):
        return None
    return Image(
        ref=ref,
        size_mb=float(entry.get("size_mb", 10)),
        memory=memory_bytes(str(entry.get("memory", "4Mi"))),
        entrypoint=tuple(entry.get("entrypoint", ())),
        cmd=tuple(entry.get("cmd", ())),
        server=tuple(entry.get("server", ())),
        app=entry.get("app"),
        ports=tuple(entry.get("ports", ())),
        data=entry.get("data"),
        version=str(entry.get("version", "")),
        startup=tuple(entry.get("startup", ())),
        init=tuple(entry.get("init", ())),
        startup_existing=tuple(entry.get("startup_existing", ())),
        creates=tuple(entry.get("creates", ())),
        startup_seconds=float(entry.get("startup_seconds", 1)),
    )


def default_sources() -> list[PullSource]:
    """Where images come from, in order. A local registry adds its lookup here."""
    return [from_catalogue]


def no_logins(ref: ImageRef) -> Sequence[Credentials]:
    del ref
    return ()


def pull(reference: str, sources: Iterable[PullSource], *, keyring: Keyring = no_logins) -> Image:
    """The image ``reference`` names, from the first source that has it; else PullError."""
    ref = parse(reference)
    logins = keyring(ref)
    for source in sources:
        image = source(ref, logins)
        if image is not None:
            return image
    raise PullError(failure_message(reference, ref))


def failure_message(reference: str, ref: ImageRef) -> str:
    """containerd's words for an image that is not there (a known name: not found; else denied)."""
    unpack = f'failed to pull and unpack image "{ref}": failed to resolve reference "{ref}"'
    if _entries().get(ImageRef(ref.registry, ref.repository, "")) is not None:
        return f"rpc error: code = NotFound desc = {unpack}: {ref}: not found"
    return denied(ref)


def denied(ref: ImageRef) -> str:
    """containerd's words when the registry refuses to say whether the repository exists
    (it does not, or the pull has no login that may read it), as Docker Hub and Harbor
    (OVHcloud's Managed Private Registry) answer an anonymous pull."""
    return (
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": failed to '
        f'resolve reference "{ref}": pull access denied, repository does not exist or may '
        "require authorization: server message: insufficient_scope: authorization failed"
    )
