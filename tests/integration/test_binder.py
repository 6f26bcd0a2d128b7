"""Binder's start script, run here as repo2docker runs it: in a fresh workshop home it brings
the sandbox up and hands the command it wraps a KUBECONFIG that reaches the cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import kubectl_binary

ROOT = Path(__file__).resolve().parents[2]
START = ROOT / "binder" / "start"
PRINT_KUBECONFIG = [sys.executable, "-c", "import os; print(os.environ.get('KUBECONFIG', ''))"]

pytestmark = pytest.mark.integration


def environment(home: Path, path: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "WORKSHOP_CONTEXT")}
    env.update(WORKSHOP_HOME=str(home), PATH=path, NO_PROXY="127.0.0.1,localhost")
    return env


def test_start_brings_the_sandbox_up_and_exports_kubeconfig(tmp_path: Path) -> None:
    home = tmp_path / "home"
    venv_bin = str(Path(sys.executable).parent)
    env = environment(home, os.pathsep.join([venv_bin, os.environ.get("PATH", "")]))
    try:
        done = subprocess.run(
            [str(START), *PRINT_KUBECONFIG],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        kubeconfig = done.stdout.strip()
        assert kubeconfig == str(home / "kubeconfig")
        nodes = subprocess.run(
            [kubectl_binary(), "get", "nodes", "-o", "json"],
            env={**env, "KUBECONFIG": kubeconfig},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert len(json.loads(nodes.stdout)["items"]) == 3
        assert "sandbox up, export KUBECONFIG=" in (home / "binder-start.log").read_text()
    finally:
        subprocess.run(
            [sys.executable, "-m", "workshop.cli", "sandbox", "down"],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )


def test_jupyterlab_starts_even_when_the_sandbox_cannot(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = subprocess.run(
        [str(START), *PRINT_KUBECONFIG],
        env=environment(home, "/usr/bin:/bin"),  # no `workshop` command at all
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == ""
    assert f"the sandbox did not start; see {home / 'binder-start.log'}" in done.stderr
