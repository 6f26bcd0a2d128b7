"""What the emulated OVHcloud API's integration tests share: a home with its emulator,
waits and kubectl."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

KUBECTL = str(Path(sys.executable).parent / "kubectl")
OVH_KEYS = ("ENDPOINT", "APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY")


@contextlib.contextmanager
def cloud_home(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """A workshop home of its own, and none of the caller's OVHcloud settings."""
    from workshop.tools import mks

    home = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WORKSHOP_HOME", str(home))
        for key in OVH_KEYS:
            mp.delenv(f"OVH_{key}", raising=False)
        mp.delenv(mks.PROJECT_ENV, raising=False)
        yield home


@contextlib.contextmanager
def emulator_in(home: Path) -> Iterator[Any]:
    """The emulated API in ``home``, delays off, with credentials; stopped at the end."""
    from workshop.cloud import Emulator

    em = Emulator(home, profile="instant")
    em.up()
    em.credentials()
    try:
        yield em
    finally:
        em.down()


def wait_for(what: str, check: Callable[[], Any], *, timeout: float) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def kubectl(kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """kubectl on a managed cluster's kubeconfig; the result, whatever it was."""
    return subprocess.run(
        [KUBECTL, f"--kubeconfig={kubeconfig}", "--request-timeout=20s", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
        check=False,
    )
