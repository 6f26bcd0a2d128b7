"""Asking a binary for its version, and reading the answer.

A probe runs the binary's version command once per file (path, size, mtime): the sandbox
asks ``find`` for every component at start-up, and a version call costs a process.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

_SEMVER = re.compile(r"\bv?(\d+)\.(\d+)\.(\d+)")
_PROBE_TIMEOUT = 20.0


def first_semver(text: str) -> str | None:
    """The first ``X.Y.Z`` in ``text``, without a ``v``.

    Fits ``Kubernetes v1.37.2``, ``etcd Version: 3.7.3`` and ``kwok version v0.8.0 go1.26.8``.
    """
    match = _SEMVER.search(text)
    return ".".join(match.groups()) if match else None


def kubectl_client_version(text: str) -> str | None:
    """The client version from ``kubectl version --client -o json``."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    client = document.get("clientVersion") if isinstance(document, dict) else None
    git_version = client.get("gitVersion") if isinstance(client, dict) else None
    return first_semver(git_version) if isinstance(git_version, str) else None


def series(version: str) -> str:
    """``major.minor`` of a version: ``1.37.2`` -> ``1.37``."""
    return ".".join(version.split(".")[:2])


@dataclass(frozen=True)
class Probe:
    """What a version command answered: a version, or why there is none."""

    version: str | None
    error: str | None = None


_probes: dict[tuple[str, int, int, tuple[str, ...]], Probe] = {}


def probe_version(
    path: Path, args: Sequence[str], parse: Callable[[str], str | None], *, memo: bool = True
) -> Probe:
    """Run ``path args...`` and parse its output; remember the answer per file version."""
    try:
        stat = path.stat()
    except OSError as e:
        return Probe(None, f"cannot read {path}: {e.strerror}")
    key = (str(path), stat.st_size, stat.st_mtime_ns, tuple(args))
    if memo and key in _probes:
        return _probes[key]
    probe = _run_probe(path, args, parse)
    if memo:
        _probes[key] = probe
    return probe


def _run_probe(path: Path, args: Sequence[str], parse: Callable[[str], str | None]) -> Probe:
    command = [str(path), *args]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=_PROBE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return Probe(None, f"`{' '.join(command)}` did not answer in {_PROBE_TIMEOUT:.0f}s")
    except OSError as e:
        return Probe(None, f"cannot run {path}: {e.strerror}")
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
        return Probe(None, f"`{' '.join(command)}` exited {done.returncode}: {tail[0]}".rstrip())
    version = parse(done.stdout) or parse(done.stderr)
    if version is None:
        first = (done.stdout or done.stderr).strip().splitlines()[:1] or ["nothing"]
        return Probe(None, f"unreadable version output: {first[0]!r}")
    return Probe(version)
