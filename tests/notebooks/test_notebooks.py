"""Every notebook runs, in order, with nbval against a fresh sandbox; every check passes.

Each notebook runs in a ``pytest --nbval-lax`` of its own (a subprocess), so its kernel
gets a clean environment: ``WORKSHOP_HOME`` is this test's fresh sandbox, the kernel's
``connect()`` finds it, and ``WORKSHOP_STRICT_CHECKS=1`` makes a failing check cell fail.
The OVHcloud notebooks start the emulated API in the same home on first use.

A learner's own cells (tag ``challenge``, metadata ``workshop.solve``: the step they stand
for) hold only comments: the notebook that runs is a copy where each says
``course.solve(cluster, lab, "<step>", only=True)`` instead, so the cells after it run on
the solved state, as they will after the learner's own answer. The copy sits next to the
notebook (its ``../labs/...`` paths stay true), under a hidden name no glob of the
notebooks matches, and is deleted when the run ends, whatever the outcome.

The notebooks are dealt round-robin into a few classes: under ``pytest -n`` (``make test``)
each class runs on one worker, with the sandbox of that worker, side by side with the others.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
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
    from workshop.cloud import Emulator
    from workshop.sandbox import Sandbox

    home = tmp_path_factory.mktemp("notebook-home")
    box = Sandbox(home, nodes=3, profile="instant")
    box.up()
    try:
        yield home
    finally:
        # the OVHcloud notebooks start the emulated API in this home (`ovh.client()`)
        Emulator(home).down()
        box.down()


def kernel_env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KUBECONFIG", "WORKSHOP_CONTEXT") and not k.startswith("OVH_")
    }
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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    names = getattr(metafunc.cls, "names", None)
    if names is not None and "name" in metafunc.fixturenames:
        metafunc.parametrize("name", names)


class Notebooks:
    """The notebooks of one shard (``names``), in order."""

    names: list[str]

    @pytest.mark.timeout(900)
    def test_notebook_runs_and_its_checks_pass(self, name: str, notebook_home: Path) -> None:
        notebook_runs_and_its_checks_pass(name, notebook_home)


class TestNotebooksShard0(Notebooks):
    names = ORDER[0::3]


class TestNotebooksShard1(Notebooks):
    names = ORDER[1::3]


class TestNotebooksShard2(Notebooks):
    names = ORDER[2::3]


def test_every_notebook_is_in_one_shard() -> None:
    shards = (TestNotebooksShard0, TestNotebooksShard1, TestNotebooksShard2)
    dealt = [name for shard in shards for name in shard.names]
    assert sorted(dealt) == ORDER and len(dealt) == len(set(dealt))


def with_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with each challenge cell replaced by its step's solution alone."""
    solved = nbformat.from_dict(nb)  # a deep copy
    for cell in solved.cells:
        if "challenge" not in cell.metadata.get("tags", []):
            continue
        step = (cell.metadata.get("workshop") or {}).get("solve")
        assert step, f"a challenge cell without workshop.solve: {cell.source[:60]!r}"
        cell.source = f'course.solve(cluster, lab, "{step}", only=True)'
    return solved


@contextlib.contextmanager
def solved_copy(notebook: Path) -> Iterator[Path]:
    """A copy of ``notebook`` beside it with its challenge cells solved; deleted after."""
    copy = notebook.with_name(f".ci-{uuid.uuid4().hex[:8]}-{notebook.name}")
    nbformat.write(with_solutions(nbformat.read(notebook, as_version=4)), copy)
    try:
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def notebook_runs_and_its_checks_pass(name: str, notebook_home: Path) -> None:
    started = time.monotonic()
    with solved_copy(NOTEBOOKS / name) as copy:
        done = run_nbval(copy, notebook_home)
    elapsed = time.monotonic() - started
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-60:])
    assert done.returncode == 0, f"{name} failed under nbval after {elapsed:.0f}s:\n{tail}"
    cells = nbformat.read(NOTEBOOKS / name, as_version=4).cells
    skipped = sum(1 for c in cells if "nbval-skip" in c.metadata.get("tags", []))
    ran = sum(1 for c in cells if c.cell_type == "code") - skipped
    assert f"{ran} passed" in done.stdout, tail
