"""OCI image layouts on disk: write blobs, read an image back, verify every digest (pure I/O).

An *image layout* (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
is a folder with ``oci-layout``, ``index.json`` and ``blobs/sha256/<hex>``: the index
names a manifest, the manifest names a config and the layers, each by the sha256 of its
bytes. That is what ``crane push`` sends to a registry and what ``docker load`` reads.
Layers are tar archives, gzip-compressed here; the config's ``rootfs.diff_ids`` are the
digests of the same tars uncompressed.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workshop.errors import WorkshopError

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
EPOCH = 0  # every file of a layer gets this mtime: the same inputs give the same digests


class ImageError(WorkshopError):
    """An image that cannot be built, read or verified."""


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Descriptor:
    """What a manifest says about one blob: its media type, digest and size."""

    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.annotations:
            found["annotations"] = dict(self.annotations)
        return found

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Descriptor:
        return cls(
            data["mediaType"], data["digest"], int(data["size"]), dict(data.get("annotations", {}))
        )


@dataclass(frozen=True)
class Layer:
    """One layer: its compressed blob, the digest of the uncompressed tar, what made it."""

    descriptor: Descriptor
    diff_id: str
    created_by: str = ""


@dataclass(frozen=True)
class Image:
    """An image read from a layout: manifest, config, layers (with the history that made them)."""

    layout: Path
    manifest_descriptor: Descriptor
    manifest: dict[str, Any]
    config: dict[str, Any]
    layers: tuple[Layer, ...]

    @property
    def digest(self) -> str:
        return self.manifest_descriptor.digest

    @property
    def name(self) -> str:
        return self.manifest_descriptor.annotations.get(REF_NAME, "")

    @property
    def size(self) -> int:
        """What a pull downloads: config plus compressed layers."""
        return int(self.manifest["config"]["size"]) + sum(
            layer.descriptor.size for layer in self.layers
        )

    @property
    def settings(self) -> dict[str, Any]:
        """The config's ``config`` part: Entrypoint, Cmd, Env, ExposedPorts, WorkingDir..."""
        found: dict[str, Any] = self.config.get("config") or {}
        return found

    def blob(self, digest: str) -> bytes:
        return blob_path(self.layout, digest).read_bytes()

    def files(self, layer: Layer) -> list[tarfile.TarInfo]:
        """The entries of one layer's tar."""
        with tarfile.open(fileobj=io.BytesIO(self.blob(layer.descriptor.digest)), mode="r:*") as t:
            return t.getmembers()


def blob_path(layout: Path, digest: str) -> Path:
    algorithm, _, hexdigest = digest.partition(":")
    return layout / "blobs" / algorithm / hexdigest


class LayoutWriter:
    """Writes blobs into a new layout folder, then its ``index.json``."""

    def __init__(self, layout: Path) -> None:
        self.layout = layout
        (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))

    def blob(self, data: bytes, media_type: str) -> Descriptor:
        descriptor = Descriptor(media_type, digest_of(data), len(data))
        target = blob_path(self.layout, descriptor.digest)
        if not target.exists():
            target.write_bytes(data)
        return descriptor

    def json_blob(self, value: dict[str, Any], media_type: str) -> Descriptor:
        return self.blob(canonical(value), media_type)

    def layer(self, tar_bytes: bytes) -> tuple[Descriptor, str]:
        """Store a layer gzip-compressed; return its descriptor and its diff_id."""
        compressed = gzip.compress(tar_bytes, compresslevel=6, mtime=EPOCH)
        return self.blob(compressed, LAYER), digest_of(tar_bytes)

    def index(self, manifest: Descriptor, name: str) -> None:
        named = Descriptor(manifest.media_type, manifest.digest, manifest.size, {REF_NAME: name})
        index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": [named.to_json()]}
        (self.layout / "index.json").write_text(json.dumps(index, indent=2))


def canonical(value: dict[str, Any]) -> bytes:
    """JSON as the blob stores it: sorted keys, no spaces (the digest is of these bytes)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def read(layout: Path | str, name: str | None = None) -> Image:
    """The image of a layout (the one named ``name`` when the index holds several)."""
    folder = Path(layout)
    try:
        index = json.loads((folder / "index.json").read_text())
    except (OSError, ValueError) as e:
        raise ImageError(
            f"{folder} is not an OCI image layout (no readable index.json)",
            hint="build one with `workshop image build`, or `crane pull --format=oci`",
        ) from e
    entries = [Descriptor.from_json(m) for m in index.get("manifests", [])]
    if name is not None:
        entries = [e for e in entries if e.annotations.get(REF_NAME) == name] or entries
    if not entries:
        raise ImageError(f"{folder}/index.json names no image")
    chosen = entries[0]
    if chosen.media_type == INDEX:  # a layout that wraps an index (crane pull --format=oci)
        inner = json.loads(blob_path(folder, chosen.digest).read_text())
        chosen = Descriptor.from_json(inner["manifests"][0])
    manifest = json.loads(blob_path(folder, chosen.digest).read_bytes())
    config = json.loads(blob_path(folder, manifest["config"]["digest"]).read_bytes())
    history = [h for h in config.get("history", []) if not h.get("empty_layer")]
    diff_ids = config.get("rootfs", {}).get("diff_ids", [])
    layers = tuple(
        Layer(
            Descriptor.from_json(d),
            diff_ids[i] if i < len(diff_ids) else "",
            history[i].get("created_by", "") if i < len(history) else "",
        )
        for i, d in enumerate(manifest.get("layers", []))
    )
    return Image(folder, chosen, manifest, config, layers)


def verify(image: Image) -> list[str]:
    """Every problem with the image's digests and sizes (an empty list: all verify)."""
    problems: list[str] = []

    def check(descriptor: Descriptor, what: str) -> bytes | None:
        path = blob_path(image.layout, descriptor.digest)
        if not path.exists():
            problems.append(f"{what}: blob {descriptor.digest} is missing")
            return None
        data = path.read_bytes()
        if digest_of(data) != descriptor.digest:
            problems.append(f"{what}: content does not match {descriptor.digest}")
        if len(data) != descriptor.size:
            problems.append(f"{what}: {len(data)} bytes, the manifest says {descriptor.size}")
        return data

    check(image.manifest_descriptor, "manifest")
    check(Descriptor.from_json(image.manifest["config"]), "config")
    for number, layer in enumerate(image.layers, 1):
        data = check(layer.descriptor, f"layer {number}")
        if data is not None and layer.diff_id:
            try:
                raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            except (OSError, EOFError, zlib.error) as e:
                problems.append(f"layer {number}: does not decompress ({e})")
                continue
            if digest_of(raw) != layer.diff_id:
                problems.append(f"layer {number}: uncompressed tar does not match its diff_id")
    return problems
