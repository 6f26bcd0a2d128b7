"""What the emulated OVHcloud API's integration tests share: waits and kubectl."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

KUBECTL = str(Path(sys.executable).parent / "kubectl")


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
