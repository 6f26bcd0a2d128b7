"""The binary cache: ``cache_home()/bin/<group>-v<version>/<name>``, filled atomically.

Builds and downloads write into a staging folder inside ``bin/`` (same file system), then
rename it into place, so a reader sees a complete group folder or none. One lock file per
group and version (``cache_home()/locks/``) keeps two installs from building the same thing.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from workshop.binaries.catalogue import Binary, Group
from workshop.home import cache_home


def bin_home() -> Path:
    """``cache_home()/bin``: one folder per group and version."""
    return cache_home() / "bin"


def group_dir(group: Group, tag: str) -> Path:
    """``bin/<group>-<tag>``, e.g. ``bin/kubernetes-v1.37.2``."""
    return bin_home() / f"{group}-{tag}"


def cached_path(binary: Binary) -> Path:
    """Where the pinned version of ``binary`` lives in the cache (it may not exist)."""
    return group_dir(binary.group, binary.tag) / binary.name


def is_cached(binary: Binary) -> bool:
    """A cache hit: an executable file at the pinned path. No version call needed."""
    path = cached_path(binary)
    return path.is_file() and os.access(path, os.X_OK)


def log_path(group: Group, tag: str, action: str) -> Path:
    """``cache_home()/logs/<action>-<group>-<tag>.log`` (its folder is created)."""
    logs = cache_home() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"{action}-{group}-{tag}.log"


@contextlib.contextmanager
def group_lock(group: Group, tag: str, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold the exclusive lock of one group install; call ``on_wait`` if someone else has it."""
    locks = cache_home() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with (locks / f"{group}-{tag}.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def staging(group: Group, tag: str) -> Iterator[Path]:
    """A fresh staging folder in ``bin/``, removed on exit whatever happens.

    Put the finished binaries in ``<staging>/out`` and call ``commit``; anything else in
    the staging folder (archives, partial downloads) goes away with it.
    """
    home = bin_home()
    home.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".staging-{group}-{tag}-", dir=home))
    try:
        (folder / "out").mkdir()
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def commit(staged: Path, group: Group, tag: str) -> Path:
    """Move ``<staged>/out`` into ``bin/<group>-<tag>`` and return that folder.

    When the group folder does not exist yet it appears in one rename; otherwise each
    binary replaces its namesake in one rename (a download of one missing component).
    """
    out = staged / "out"
    final = group_dir(group, tag)
    for entry in out.iterdir():
        entry.chmod(0o755)
    try:
        out.rename(final)
        return final
    except OSError as e:
        if e.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.EISDIR):
            raise
    for entry in out.iterdir():
        entry.replace(final / entry.name)
    return final
