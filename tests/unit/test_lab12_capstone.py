"""Lab 12, the capstone: the learner writes every step (no answer in the instructions or
the notebook), the instructor's answer lives in solution/ and solution.py, and the
notebook has the pieces every lab closes with (quiz, glossary, Next link, cleanup)."""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from workshop import course
from workshop.tools import helm

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "labs" / "12-capstone"
NOTEBOOK = ROOT / "notebooks" / "12-capstone.ipynb"
DIAGRAM = re.compile(r"!\[[^\]]+\]\((diagrams/12-[a-z0-9-]+\.svg)\)")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def lab() -> course.Lab:
    return course.find_lab("12-capstone")


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    node: nbformat.NotebookNode = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    return node


def solution_functions() -> set[str]:
    tree = ast.parse((LAB / "solution.py").read_text())
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_every_step_is_the_learners_to_write(lab: course.Lab) -> None:
    modes = [s.mode for s in lab.steps]
    assert set(modes) <= {"challenge", "fix"} and modes.count("fix") >= 1
    assert modes.count("challenge") >= 2
    assert all(s.minutes for s in lab.steps)
    assert sum(s.minutes or 0 for s in lab.steps) == lab.spec.duration
    assert 2 <= len(lab.spec.quiz) <= 3
    assert all(len(s.hints) >= 3 for s in lab.steps)


def test_instructions_and_hints_never_name_the_solution(lab: course.Lab) -> None:
    named = solution_functions() - {"cleanup"}
    for step in lab.steps:
        for text in (step.instructions, *step.hints):
            assert "solution/" not in text and "solution.py" not in text, step.id
            for name in named:
                assert not re.search(rf"\b{name}\b", text), (step.id, name)
        for action in step.solution:
            assert action.python and action.python.split(":")[1] in named


def test_the_notebook_has_no_answer_only_empty_challenge_cells(
    lab: course.Lab, notebook: nbformat.NotebookNode
) -> None:
    cells = notebook.cells
    challenges = [c for c in cells if "challenge" in c.metadata.get("tags", [])]
    assert [c.metadata["workshop"]["solve"] for c in challenges] == [s.id for s in lab.steps]
    for cell in challenges:
        assert cell.cell_type == "code"
        assert "nbval-ignore-output" in cell.metadata["tags"]
        lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
        assert lines and all(line.startswith("#") for line in lines), cell.source
        # the step's Check comes right after its empty cell
        following = cells[cells.index(cell) + 1]
        step = cell.metadata["workshop"]["solve"]
        assert f'widgets.CheckButton(cluster, lab, "{step}"' in following.source
    everything = "\n".join(c.source for c in cells)
    assert "course.solve" not in everything and "solution" not in everything
    for name in solution_functions():
        assert not re.search(rf"\b{name}\b", everything), name


def test_the_notebook_predicts_breaks_quizzes_and_closes_the_course(
    lab: course.Lab, notebook: nbformat.NotebookNode
) -> None:
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    for step in lab.steps:
        if step.predict is not None:
            assert f'widgets.Predict(cluster, lab, "{step.id}")' in code
        if step.mode == "fix":
            assert f'widgets.BreakIt(cluster, lab, "{step.id}")' in code
    assert "widgets.Quiz(cluster, lab)" in code
    assert "widgets.CleanupButton(cluster, lab)" in code
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    assert "[Glossary](glossary.md)" in markdown[0]
    assert "[Glossary](glossary.md)" in "\n".join(markdown[-3:])
    assert "**Next:** [Lab 00" in markdown[-1] and "(00-welcome.ipynb)" in markdown[-1]


def test_the_diagram_is_a_plain_svg_the_notebook_shows(notebook: nbformat.NotebookNode) -> None:
    shown = [
        m for c in notebook.cells if c.cell_type == "markdown" for m in DIAGRAM.findall(c.source)
    ]
    assert shown
    for name in shown:
        path = ROOT / "notebooks" / name
        text = path.read_text()
        root = ET.fromstring(text)  # noqa: S314 - a file of this repository
        assert root.tag == f"{SVG}svg" and root.get("viewBox")
        assert root.get("font-family") == "sans-serif"
        assert (root.findtext(f"{SVG}title") or "").strip()
        assert not re.search(r"<(script|image|foreignObject)\b|https?://(?!www\.w3\.org)", text)


def test_the_starting_files_leave_the_work_to_the_learner() -> None:
    main_tf = (LAB / "terraform" / "main.tf").read_text()
    assert "ovh_cloud_project_kube_nodepool" not in main_tf
    deployment = (LAB / "chart" / "templates" / "deployment.yaml").read_text()
    body = "\n".join(line for line in deployment.splitlines() if not line.startswith("#"))
    for field in ("securityContext", "readinessProbe", "livenessProbe", "resources", "volumes"):
        assert field not in body
    assert "imagePullSecrets" not in body


def test_the_instructors_pool_autoscales_and_terraform_leaves_its_size_alone() -> None:
    main_tf = (LAB / "solution" / "terraform" / "main.tf").read_text()
    pool = main_tf[main_tf.index('resource "ovh_cloud_project_kube_nodepool" "apps"') :]
    for line in ("autoscale     = true", "min_nodes     = 1", "max_nodes     = 3"):
        assert line in pool
    assert re.search(r"ignore_changes\s*=\s*\[desired_nodes\]", pool)


def test_the_instructors_chart_renders_what_the_restricted_profile_asks() -> None:
    # `make setup` builds helm: a missing binary is a failure of the setup, not a skip
    assert helm.cached() is not None, "needs the helm binary: run `make setup`"
    rendered = helm.template(
        LAB / "solution" / "chart",
        release="web",
        set_values={"image.repository": "registry.example/capstone-web"},
    )
    deployment = next(d for d in rendered if d["kind"] == "Deployment")
    spec = deployment["spec"]
    assert spec["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    pod = spec["template"]["spec"]
    assert pod["imagePullSecrets"] == [{"name": "registry"}]
    assert pod["securityContext"] == {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    (container,) = pod["containers"]
    assert container["name"] == "web"
    assert container["image"] == "registry.example/capstone-web:1.0"
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["readinessProbe"] and container["livenessProbe"]
    assert container["resources"]["limits"]["memory"]
    (volume,) = pod["volumes"]
    claim = volume["ephemeral"]["volumeClaimTemplate"]["spec"]
    assert claim["accessModes"] == ["ReadWriteOnce"]
    service = next(d for d in rendered if d["kind"] == "Service")
    assert service["spec"]["type"] == "LoadBalancer"


def test_the_solution_dockerfile_runs_as_a_numeric_non_root_user() -> None:
    dockerfile = (LAB / "solution" / "Dockerfile").read_text()
    user = re.search(r"^USER\s+(\S+)", dockerfile, re.M)
    assert user and user.group(1).isdigit() and int(user.group(1)) != 0
