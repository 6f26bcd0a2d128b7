"""BreakIt and CleanupButton against the real sandbox, on a small lab written in tmp_path.

BreakIt breaks the cluster as soon as it is made (Run All sets up the exercise) and again
on request; CleanupButton removes nothing until the learner says yes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Kubectl
from tests.unit.test_widgets_questions import write_lab
from workshop import course
from workshop.cluster import Cluster
from workshop.course import Lab
from workshop.errors import StepError
from workshop.widgets import BreakIt, CleanupButton

pytestmark = pytest.mark.integration


@pytest.fixture
def lab(tmp_path: Path, kubectl: Kubectl) -> Iterator[Lab]:
    namespace = f"t-{uuid.uuid4().hex[:6]}"
    yield write_lab(tmp_path, namespace)
    kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=false")


def colour(kubectl: Kubectl, namespace: str) -> str:
    return kubectl(
        "get", "configmap", "colour", "-n", namespace, "-o", "jsonpath={.data.colour}"
    ).strip()


def test_break_it_breaks_when_made_and_again_after_a_repair(
    cluster: Cluster, kubectl: Kubectl, lab: Lab
) -> None:
    widget = BreakIt(cluster, lab, "fix-colour", strict=True)
    assert widget.error is None and widget.breaks == 1
    assert colour(kubectl, lab.namespace) == "red"
    assert not course.check(cluster, lab, "fix-colour", record=False)[0].passed
    assert f"created namespace {lab.namespace}" in widget.done
    assert any("breaks/red.yaml" in line for line in widget.done)
    assert "The cluster is broken:" in widget.report.value
    assert widget.command.command == "workshop break 97 fix-colour"
    course.solve(cluster, lab, "fix-colour", only=True)
    assert colour(kubectl, lab.namespace) == "blue"
    widget.again()
    assert widget.breaks == 2 and "broken (again)" in widget.report.value
    assert colour(kubectl, lab.namespace) == "red"


def test_break_it_fails_in_one_red_sentence_and_raises_only_when_strict(
    cluster: Cluster, lab: Lab
) -> None:
    widget = BreakIt(cluster, lab, "make", strict=False)  # not a fix step
    assert isinstance(widget.error, StepError)
    assert "step make of lab 97 is not a break-and-fix step" in widget.report.value
    assert "the ones to break: fix-colour" in widget.report.value
    assert "Traceback" not in widget.report.value and widget.report.value.count("<div") == 1
    with pytest.raises(StepError):
        BreakIt(cluster, lab, "make", strict=True)


def test_cleanup_asks_first_and_removes_only_on_yes(
    cluster: Cluster, kubectl: Kubectl, lab: Lab
) -> None:
    course.solve(cluster, lab, "make", only=True)
    widget = CleanupButton(cluster, lab)  # running the cell removes nothing
    assert widget.button.description == "Clean up lab 97…"
    assert widget.command.command == "workshop reset 97"
    assert not widget.asking
    widget.click()
    assert widget.asking
    assert f"Remove namespace {lab.namespace} and everything" in widget.question.value
    widget.cancel()
    assert not widget.asking and widget.removed is None
    assert colour(kubectl, lab.namespace) == "blue"
    widget.click()
    removed = widget.confirm()
    assert removed == [f"removed namespace {lab.namespace}"]
    assert not widget.asking and widget.error is None
    assert f"removed namespace {lab.namespace}" in widget.report.value
    gone = kubectl.run("get", "namespace", lab.namespace, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr
