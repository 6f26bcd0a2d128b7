"""`workshop break | quiz | progress` through click's CliRunner, on a lab written to the course
rules (``test_course_teaching``) and a cluster held in memory; a class learner's answers
as the ``LabProgress`` that reaches the class board."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from workshop import course
from workshop.cli import cli
from workshop.cli.course import Seams
from workshop.cluster import Seat
from workshop.course import ProgressStore, RecordedCluster, reporting

from .test_course_teaching import write_course

LAB = "05-teaching"


class Api(RecordedCluster):
    """A recorded cluster that also takes applies (what breaking actions and reports do)."""

    def __init__(self, objects: list[dict[str, Any]] | None = None) -> None:
        super().__init__(objects or [])
        self.applied: list[dict[str, Any]] = []

    def apply(self, obj: dict[str, Any], *, namespace: str | None = None) -> dict[str, Any]:
        obj = {**obj, "metadata": {**obj["metadata"]}}
        if namespace and obj["kind"] != "Namespace":
            obj["metadata"].setdefault("namespace", namespace)
        self.applied.append(obj)
        self.add(obj)
        return obj


class Connection:
    def __init__(self, seat: Seat | None = None) -> None:
        self.context = "recorded"
        self.api = Api()
        self.seat = seat
        self.connected = 0

    def describe(self) -> str:
        return "a recorded cluster"


@pytest.fixture
def labs(tmp_path: Path) -> Path:
    write_course(tmp_path)
    return tmp_path / "labs"


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.json")


def seams(labs: Path, store: ProgressStore, connection: Connection | None = None) -> Seams:
    def connect(context: str | None, *, kubeconfig: Path | None, say: Any) -> Connection:
        assert connection is not None, "this command must not connect"
        connection.connected += 1
        return connection

    return Seams(connect=connect, progress=store, labs=labs)


def invoke(seams: Seams, *args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(cli, [*args, "--context", "recorded"], obj=seams, input=input)


# -- workshop quiz -------------------------------------------------------------------------


def test_quiz_asks_each_question_with_numbered_choices_and_grades_it(
    labs: Path, store: ProgressStore
) -> None:
    result = invoke(seams(labs, store), "quiz", "05", input="2\n2\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Question 1 of 2 (what-selects)" in out and "  2. Its selector" in out
    assert "✓ right: Its selector" in out
    assert "✗ not this one; the answer is 1. EndpointSlices" in out
    assert "The EndpointSlice controller lists them." in out  # why, once answered
    assert "quiz of lab 05: 1/2 right the first time" in out
    given = store.answers("recorded", LAB)
    assert (given["what-selects"].first, given["what-selects"].correct) == (1, True)
    assert (given["endpoints"].first, given["endpoints"].correct) == (1, False)


def test_only_the_first_answer_is_graded(labs: Path, store: ProgressStore) -> None:
    invoke(seams(labs, store), "quiz", "05", "endpoints", "2")
    again = invoke(seams(labs, store), "quiz", "05", "endpoints", "1")
    assert again.exit_code == 0, again.output
    assert "✓ right" in again.output
    assert "your first answer to this question is the one graded" in again.output
    assert course.score(course.find_lab("05", labs), context="recorded", progress=store) == (0, 2)


def test_quiz_answers_a_prediction_by_its_id_or_its_steps(labs: Path, store: ProgressStore) -> None:
    by_step = invoke(seams(labs, store), "quiz", "05", "scale", "1")
    assert by_step.exit_code == 0, by_step.output
    assert "✓ right: It sends to all three" in by_step.output
    assert "more-pods" in store.answers("recorded", LAB)


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["quiz", "05", "endpoints"], 2, "give the choice too: `workshop quiz 05 endpoints N`"),
        (["quiz", "05", "endpoints", "3"], 1, "question endpoints has choices 1 to 2; 3 is not"),
        (["quiz", "05", "nope", "1"], 1, "lab 05 has no question 'nope'"),
    ],
)
def test_a_wrong_answer_command_is_one_sentence(
    labs: Path, store: ProgressStore, args: list[str], code: int, said: str
) -> None:
    from workshop.cli import run

    with CliRunner().isolation() as (_, stderr, _):
        ran = run([*args, "--context", "recorded"], obj=seams(labs, store))
        err = stderr.getvalue().decode()
    assert ran == code
    assert said in err and "Traceback" not in err


def test_a_quiz_without_answers_stops_with_one_sentence(labs: Path, store: ProgressStore) -> None:
    from workshop.cli import run

    with CliRunner().isolation(input="2\n") as (_, stderr, _):
        ran = run(["quiz", "05", "--context", "recorded"], obj=seams(labs, store))
        err = stderr.getvalue().decode()
    assert ran == 1
    assert "error: the quiz stopped at question 2 of 2, with no answer" in err
    assert "what-selects" in store.answers("recorded", LAB)  # the answer given is kept


# -- workshop progress ---------------------------------------------------------------------


def test_progress_shows_steps_quiz_and_predictions_per_lab(
    labs: Path, store: ProgressStore
) -> None:
    before = invoke(seams(labs, store), "progress")
    assert before.exit_code == 0, before.output
    row = next(line for line in before.output.splitlines() if LAB in line)
    assert "0/4" in row and "not taken" in row and "0/1 made" in row
    invoke(seams(labs, store), "quiz", "05", "what-selects", "2")
    invoke(seams(labs, store), "quiz", "05", "more-pods", "2")
    store.record_check("recorded", LAB, "deploy", passed=True, message="ok")
    after = invoke(seams(labs, store), "progress")
    row = next(line for line in after.output.splitlines() if LAB in line)
    assert "1/4" in row and "1/2 right (1 to answer)" in row and "1/1 made" in row


def test_progress_export_still_works_under_the_group(
    labs: Path, store: ProgressStore, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["progress", "export", str(tmp_path / "out.json")], obj=seams(labs, store)
    )
    assert result.exit_code == 0, result.output
    assert "progress on" not in result.output  # the table is for `workshop progress` alone


# -- workshop break ------------------------------------------------------------------------


def test_break_runs_the_fix_steps_breaking_actions_and_says_what_next(
    labs: Path, store: ProgressStore
) -> None:
    connection = Connection()
    result = invoke(seams(labs, store, connection), "break", "05", "fix-selector")
    assert result.exit_code == 0, result.output
    assert "applied manifests/front-broken.yaml: service/front" in result.stdout
    assert "step fix-selector of lab 05 is broken: Repair the Service." in result.stdout
    assert "`workshop check 05 fix-selector`" in result.stdout
    kinds = [(o["kind"], o["metadata"]["name"]) for o in connection.api.applied]
    assert kinds == [("Namespace", "lab-05"), ("Service", "front")]


def test_break_refuses_a_step_that_is_not_a_fix_step_before_connecting(
    labs: Path, store: ProgressStore
) -> None:
    from workshop.cli import run

    with CliRunner().isolation() as (_, stderr, _):
        ran = run(["break", "05", "expose", "--context", "recorded"], obj=seams(labs, store))
        err = stderr.getvalue().decode()
    assert ran == 1
    assert err.startswith("error: step expose of lab 05 is not a break-and-fix step")
    assert "the ones to break: fix-selector" in err


# -- answers reach the class ----------------------------------------------------------------


SEAT = Seat("k8s101", "alice", "k8s101-alice-", "k8s101-alice")


def test_a_learners_answers_go_to_the_class_as_one_labprogress_per_lab(
    labs: Path, store: ProgressStore
) -> None:
    alice = Connection(SEAT)
    lab = course.find_lab("05", labs)
    course.answer(lab, "what-selects", 1, cluster=alice, progress=store)
    course.answer(lab, "more-pods", 1, cluster=alice, progress=store)
    course.answer(lab, "what-selects", 0, cluster=alice, progress=store)  # not graded
    last = alice.api.applied[-1]
    assert last["metadata"]["name"] == "answers.05-teaching"
    assert last["metadata"]["namespace"] == "k8s101-alice"
    assert last["metadata"]["labels"] == {
        reporting.CLASS_LABEL: "k8s101",
        reporting.LEARNER_LABEL: "alice",
        reporting.LAB_LABEL: LAB,
    }
    spec = last["spec"]
    assert spec["learner"] == "alice" and spec["lab"] == LAB
    assert spec["quiz"] == {"right": 1, "answered": 1, "total": 2}
    assert spec["predictions"] == {"made": 1, "right": 0, "total": 1}
    assert reporting.is_answers(last)
    assert store.answers("recorded", LAB)["what-selects"].correct  # filed under its context


def test_answers_without_a_class_stay_in_the_progress_file(
    labs: Path, store: ProgressStore
) -> None:
    alone = Connection()
    course.answer(course.find_lab("05", labs), "endpoints", 0, cluster=alone, progress=store)
    assert alone.api.applied == []
    assert store.answers("recorded", LAB)["endpoints"].correct


def test_a_learners_terminal_quiz_reaches_the_class(labs: Path, tmp_path: Path) -> None:
    store = ProgressStore(tmp_path / "progress.json")
    from workshop.cluster import SEAT_EXTENSION

    kubeconfig = tmp_path / "alice.kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: k8s101-alice\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
        "contexts:\n- name: k8s101-alice\n  context:\n    cluster: c\n    user: u\n"
        f"    extensions:\n    - name: {SEAT_EXTENSION}\n      extension: {{class: k8s101, "
        "learner: alice, namespacePrefix: k8s101-alice-, home: k8s101-alice}\n"
    )
    alice = Connection(SEAT)
    result = CliRunner().invoke(
        cli,
        ["quiz", "05", "endpoints", "1", "--kubeconfig", str(kubeconfig)],
        obj=seams(labs, store, alice),
    )
    assert result.exit_code == 0, result.output
    assert alice.connected == 1
    assert alice.api.applied[-1]["spec"]["quiz"]["right"] == 1
