"""Every notebook runs, in order, with nbval against a fresh sandbox; every check passes.

Each notebook runs in a ``pytest --nbval-lax`` of its own (a subprocess), so its kernel
gets a clean environment: ``WORKSHOP_HOME`` is this test's fresh sandbox, the kernel's
``connect()`` finds it, and ``WORKSHOP_STRICT_CHECKS=1`` makes a failing check cell fail.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
INI = Path(__file__).with_name("nbval.ini")
ORDER = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))

pytestmark = pytest.mark.notebooks


@pytest.fixture(scope="module")
def notebook_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from workshop.sandbox import Sandbox

    home = tmp_path_factory.mktemp("notebook-home")
    box = Sandbox(home, nodes=3, profile="instant")
    box.up()
    try:
        yield home
    finally:
        box.down()


def kernel_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "WORKSHOP_CONTEXT")}
    env.update(
        WORKSHOP_HOME=str(home),
        WORKSHOP_STRICT_CHECKS="1",
        JUPYTER_PLATFORM_DIRS="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def run_nbval(
    notebook: Path, home: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(INI),
            "--rootdir",
            str(NOTEBOOKS),
            str(notebook),
        ],
        cwd=NOTEBOOKS,
        env=kernel_env(home) if env is None else env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_every_lab_has_its_notebook() -> None:
    labs = sorted(p.name for p in (ROOT / "labs").iterdir() if p.is_dir())
    assert [name.removesuffix(".ipynb") for name in ORDER] == labs


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", ORDER)
def test_notebook_runs_and_its_checks_pass(name: str, notebook_home: Path) -> None:
    started = time.monotonic()
    done = run_nbval(NOTEBOOKS / name, notebook_home)
    elapsed = time.monotonic() - started
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-60:])
    assert done.returncode == 0, f"{name} failed under nbval after {elapsed:.0f}s:\n{tail}"
    cells = nbformat.read(NOTEBOOKS / name, as_version=4).cells
    skipped = sum(1 for c in cells if "nbval-skip" in c.metadata.get("tags", []))
    ran = sum(1 for c in cells if c.cell_type == "code") - skipped
    assert f"{ran} passed" in done.stdout, tail
