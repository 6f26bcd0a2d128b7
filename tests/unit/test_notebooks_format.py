"""The notebooks follow DESIGN's "Writing a lab": outputs cleared, the first code cell says
which cluster, a check cell for every step of the lab, recap and cleanup (a button), no
secrets. The teaching rules (challenge cells, links, diagrams, quiz) are in
``test_course_teaching``."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from workshop import course

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
CHECK = re.compile(r'CheckButton\(cluster, lab, "([a-z0-9-]+)"')
SECRET = re.compile(r"(token|password|secret|application_secret|consumer_key)\s*[=:]\s*\S", re.I)


def load(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_is_one_notebook_per_lab() -> None:
    assert [p.stem for p in NOTEBOOKS] == [lab.id for lab in course.list_labs()]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_with_outputs_cleared(path: Path) -> None:
    nb = load(path)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in code_cells(nb):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_opens_with_the_goal_the_time_and_the_cluster(path: Path) -> None:
    nb = load(path)
    lab = course.find_lab(path.stem)
    intro = nb.cells[0].source
    assert intro.startswith(f"# Lab {lab.number}")
    assert f"About {lab.spec.duration} minutes" in intro and "cluster" in intro
    first = code_cells(nb)[0].source
    assert "cluster = connect()" in first and "cluster.describe()" in first
    # placed: a class learner's cells work in their own namespaces (course.place)
    assert f'lab = course.place(cluster, course.find_lab("{lab.id}"))' in first
    assert "widgets.use(cluster, lab)" in first  # `!kubectl` drives it; $NS for %%bash cells


class Anything:
    """Stands for any notebook variable (``{pods[0]}``, ``{CHART}``) when a line is expanded."""

    def __getattr__(self, name: str) -> Anything:
        return self

    def __getitem__(self, key: object) -> Anything:
        return self

    def __str__(self) -> str:
        return "x"


def expand(line: str, lab: course.Lab) -> str:
    """``line`` as IPython expands it, any other variable standing for anything."""
    from IPython.utils.text import DollarFormatter

    variables: dict[str, object] = {"lab": lab}
    while True:
        try:
            return DollarFormatter().vformat(line, args=[], kwargs=variables)
        except NameError as e:
            if e.name in variables:
                raise
            variables[str(e.name)] = Anything()


def shell_lines(cell: nbformat.NotebookNode) -> list[str]:
    """The lines IPython hands to a shell: ``!`` lines (and their continuations)."""
    found, going_on = [], False
    for line in cell.source.splitlines():
        stripped = line.strip()
        if going_on or stripped.startswith("!") or re.match(r"^\w+ = !", stripped):
            found.append(line)
            going_on = line.rstrip().endswith("\\")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_cells_work_in_the_placed_labs_namespace_never_a_hard_coded_one(path: Path) -> None:
    """`-n lab-04` would miss a class learner's `t10-alice-lab-04`: `!` lines say
    `-n {lab.namespace}` (IPython expands it) and `%%bash` cells `-n $NS` (widgets.use)."""
    lab = course.find_lab(path.stem).within("k8s101-alice-")
    hard_coded = re.compile(
        rf"(?:-n|--namespace)[ =]{lab.base_namespace}\b|[:/]{lab.base_namespace}[:/]"
    )
    for cell in code_cells(load(path))[1:]:
        for line in cell.source.splitlines():
            if not line.lstrip().startswith("#"):
                assert not hard_coded.search(line), line
        for line in shell_lines(cell):  # IPython leaves a line unexpanded if any {} fails
            expanded = expand(line, lab)
            assert "{lab." not in expanded, line
            if "-n " in line and "{lab.namespace}" in line:
                assert "-n k8s101-alice-" in expanded, line


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_step_has_its_check_cell_in_order(path: Path) -> None:
    nb = load(path)
    lab = course.find_lab(path.stem)
    checked = [m for c in code_cells(nb) for m in CHECK.findall(c.source)]
    steps = [s.id for s in lab.steps]
    assert list(dict.fromkeys(checked)) == steps  # each step, in order (a step may check twice)
    for cell in code_cells(nb):
        if CHECK.search(cell.source):  # nbval runs every check cell: no step goes untested
            assert "nbval-skip" not in cell.metadata.get("tags", []), cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_closes_with_recap_reading_and_cleanup(path: Path) -> None:
    nb = load(path)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Recap" in text and "## Read next" in text and "## Cleanup" in text
    # cleanup asks first: a button, never a cell that Run All runs (test_course_teaching)
    assert any("widgets.CleanupButton(cluster, lab)" in c.source for c in code_cells(nb))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_volatile_cells_are_marked_and_nothing_secret_is_written(path: Path) -> None:
    for cell in code_cells(load(path)):
        tags = cell.metadata.get("tags", [])
        if "widgets." in cell.source or "!kubectl" in cell.source or "%%bash" in cell.source:
            assert "nbval-ignore-output" in tags, cell.source[:60]
        assert not SECRET.search(cell.source), cell.source[:60]
