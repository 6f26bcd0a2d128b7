"""Running the ``workshop`` command itself in a child process (to start a daemon on demand).

Labs and tools start the sandbox or the emulated OVHcloud API through the CLI, never by
importing their internals: the kubeconfig (or the API endpoint) stays the boundary.
"""

from __future__ import annotations

import subprocess
import sys


def run(*args: str, timeout: float) -> str | None:
    """Run ``workshop ARGS``; None when it succeeded, else the last lines it printed.

    Raises ``subprocess.TimeoutExpired`` when it takes longer than ``timeout`` seconds.
    """
    command = [sys.executable, "-m", "workshop.cli", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode == 0:
        return None
    return "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
