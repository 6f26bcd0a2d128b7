"""The workshop's base image, ``workshop/base``: a few files and, where Debian's
``busybox-static`` is installed, one static busybox binary (a shell, ``httpd``, ``ls``...).

It is made from files, not pulled: the offline builder has no registry of base images to
start from. The same machine gives the same layer, byte for byte (fixed times and owners),
so the same Dockerfile gives the same image digest.
"""

from __future__ import annotations

import io
import platform
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAME = "workshop/base"
TAG = "1.0"
BUSYBOX_PATHS = (Path("/bin/busybox"), Path("/usr/bin/busybox"))
APPLETS = ("sh", "ls", "cat", "echo", "env", "httpd", "wget", "sleep", "id", "pwd", "mkdir")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

USERS = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "app:x:1000:1000:app:/home/app:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
)
GROUP = "root:x:0:\napp:x:1000:\nnogroup:x:65534:\n"
OS_RELEASE = 'NAME="workshop base"\nID=workshop\nPRETTY_NAME="workshop base {tag}"\n'


@dataclass(frozen=True)
class BaseImage:
    """A base to build on: its layers (uncompressed tars), their history, its settings."""

    name: str
    layers: tuple[tuple[bytes, str], ...]  # (tar, created_by)
    settings: dict[str, Any] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)


def architecture() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def find_busybox() -> Path | None:
    """Debian's busybox-static binary (a dynamically linked busybox would not run alone)."""
    for candidate in BUSYBOX_PATHS:
        try:
            head = candidate.read_bytes()[:4096]
        except OSError:
            continue
        if head.startswith(b"\x7fELF") and b"/ld-linux" not in head and b"ld-musl" not in head:
            return candidate
    return None


def entry(
    name: str, *, kind: bytes = tarfile.REGTYPE, mode: int = 0o644, size: int = 0
) -> tarfile.TarInfo:
    """A tar entry with fixed owner and time, so layers are reproducible."""
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.size = kind, mode, size
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = 0
    return info


def _tar(items: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for info, data in items:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def _file(name: str, text: str | bytes, mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    data = text.encode() if isinstance(text, str) else text
    return entry(name, mode=mode, size=len(data)), data


def _dir(name: str, mode: int = 0o755, owner: int = 0) -> tuple[tarfile.TarInfo, None]:
    info = entry(name, kind=tarfile.DIRTYPE, mode=mode)
    info.uid = info.gid = owner
    return info, None


def workshop_base() -> BaseImage:
    """``workshop/base:1.0``: a root filesystem skeleton, users root/app/nobody, busybox."""
    items: list[tuple[tarfile.TarInfo, bytes | None]] = [
        _dir(d) for d in ("bin", "etc", "home", "root", "usr", "usr/bin", "usr/local", "var")
    ]
    items += [_dir("home/app", owner=1000), _dir("tmp", 0o1777), _dir("var/www")]
    items += [
        _file("etc/passwd", USERS),
        _file("etc/group", GROUP),
        _file("etc/os-release", OS_RELEASE.format(tag=TAG)),
        _file("etc/hostname", "localhost\n"),
    ]
    busybox = find_busybox()
    settings: dict[str, Any] = {"Env": [f"PATH={PATH}"]}
    created = "files: / (etc/passwd, etc/group, etc/os-release, folders)"
    if busybox is not None:
        items.append(_file("bin/busybox", busybox.read_bytes(), 0o755))
        for applet in APPLETS:
            link = entry(f"bin/{applet}", kind=tarfile.SYMTYPE, mode=0o777)
            link.linkname = "busybox"
            items.append((link, None))
        settings["Cmd"] = ["sh"]
        created += f"; {busybox} from Debian's busybox-static"
    layers = ((_tar(items), created),)
    users = {"root": 0, "app": 1000, "nobody": 65534}
    groups = {"root": 0, "app": 1000, "nogroup": 65534}
    return BaseImage(f"{NAME}:{TAG}", layers, settings, users, groups)
