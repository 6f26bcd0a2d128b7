"""A real container engine, when one is reachable: Docker or Podman.

``find()`` returns the engine whose CLI is on PATH *and* whose daemon (or Podman's own
runtime) answers ``info``; a CLI alone, with no engine behind it, does not count. The lab
then builds, runs and pushes with it; otherwise it uses the offline builder.
``WORKSHOP_ENGINE=none`` forces the offline path, ``=docker``/``=podman`` picks one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from workshop.containers.oci import ImageError

CANDIDATES = ("docker", "podman")
PROBE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Engine:
    name: str
    binary: Path
    version: str

    def run(self, *args: str, timeout: float = 600.0) -> str:
        """Run the engine's CLI; its output, or ``ImageError`` with what it said."""
        done = subprocess.run(
            [str(self.binary), *args], capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip()
            raise ImageError(f"`{self.name} {' '.join(args)}` failed: {said}")
        return done.stdout


def probe(name: str) -> Engine | None:
    """The engine ``name`` if its CLI is installed and its engine answers."""
    found = shutil.which(name)
    if found is None:
        return None
    try:
        done = subprocess.run(
            [found, "info", "--format", "{{json .ServerVersion}}" if name == "docker" else "json"],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    version = done.stdout.strip().strip('"') if name == "docker" else "podman"
    return Engine(name, Path(found), version)


def find() -> Engine | None:
    """The first engine that answers, or None (then the offline builder does the work)."""
    wanted = os.environ.get("WORKSHOP_ENGINE", "").strip().lower()
    if wanted == "none":
        return None
    for name in (wanted,) if wanted in CANDIDATES else CANDIDATES:
        engine = probe(name)
        if engine is not None:
            return engine
    return None
