"""A class learner runs a notebook as written: lab 04's notebook, under nbval, with the
learner's kubeconfig only (``KUBECONFIG`` and ``WORKSHOP_CONTEXT`` as the class sheet says),
on the real sandbox. Every cell runs in the learner's namespace (``course.place``,
``-n {lab.namespace}``, ``$NS``); every check cell passes (or, for a step that changes the
cluster itself, is skipped), and the checks' LabProgress lands in the learner's home.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml
from click.testing import CliRunner

from tests.notebooks.test_notebooks import NOTEBOOKS, kernel_env, run_nbval, solved_copy
from workshop import course
from workshop.classroom import provision
from workshop.cli import cli
from workshop.cluster import Cluster
from workshop.course import reporting

pytestmark = pytest.mark.notebooks

CLASS = "nbk"
NOTEBOOK = NOTEBOOKS / "04-hello-world.ipynb"


@pytest.fixture(scope="module")
def admin(cluster: Cluster) -> Cluster:
    """The instructor: the session's sandbox, with its admin kubeconfig."""
    return cluster


@pytest.fixture(scope="module")
def seat(sandbox: Any, admin: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One learner's kubeconfig, from `workshop class create`; the class is deleted after."""
    out = tmp_path_factory.mktemp("class")
    result = CliRunner().invoke(
        cli,
        [
            "class", "create", CLASS, "--learners", "1", "--labs", "04", "--hours", "1",
            "--out", str(out), "--overcommit", "--kubeconfig", str(sandbox.kubeconfig),
        ],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    try:
        yield out / "learner-01.kubeconfig"
    finally:
        provision.delete(admin, CLASS)


@pytest.mark.timeout(900)
def test_a_learner_runs_the_hello_world_notebook_in_their_namespace(
    seat: Path, admin: Cluster, tmp_path: Path
) -> None:
    context = yaml.safe_load(seat.read_text())["current-context"]
    home = tmp_path / "learner-home"  # the learner's own machine: no sandbox of theirs
    home.mkdir()
    env = {**kernel_env(home), "KUBECONFIG": str(seat), "WORKSHOP_CONTEXT": context}
    with solved_copy(NOTEBOOK) as copy:  # the learner's own cells: the steps' solutions
        done = run_nbval(copy, home, env=env)
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-60:])
    assert done.returncode == 0, f"{NOTEBOOK.name} failed for the learner:\n{tail}"
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    skipped = sum(1 for c in cells if "nbval-skip" in c.metadata.get("tags", []))
    ran = sum(1 for c in cells if c.cell_type == "code") - skipped
    assert f"{ran} passed" in done.stdout, tail
    assert not (home / "sandbox").exists()  # it never started a sandbox of its own
    # each check cell reported, with the learner's rights, into the learner's home namespace
    learner_home = f"{CLASS}-learner-01"
    records = admin.api.list(reporting.API_VERSION, reporting.KIND, namespace=learner_home)
    states = {r["spec"]["step"]: r["spec"]["state"] for r in records}
    assert states and all(state == "passed" for state in states.values()), states
    assert set(states) == {step.id for step in course.find_lab("04").steps}, states
