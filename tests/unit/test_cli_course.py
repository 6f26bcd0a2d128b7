"""`workshop labs/check/hint/progress` through click's CliRunner, on a cluster held in memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from workshop.cli import cli
from workshop.cli.course import Seams
from workshop.course import ProgressStore, RecordedCluster
from workshop.errors import LabError

from .test_course_labs import GOOD, write_lab

WEB = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "lab-07"},
    "spec": {"replicas": 2},
}


def ready_pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "lab-07", "labels": {"app": "web"}},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }


class Connection:
    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.context = "recorded"
        self.api = RecordedCluster(objects)
        self.asked: list[tuple[str | None, Path | None]] = []

    def describe(self) -> str:
        return "a recorded cluster"


@pytest.fixture
def labs(tmp_path: Path) -> Path:
    write_lab(tmp_path, GOOD)
    return tmp_path / "labs"


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.json")


def invoke(seams: Seams, *args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), obj=seams, input=input)


def seams_for(
    labs: Path, store: ProgressStore, objects: list[dict[str, Any]]
) -> tuple[Seams, Connection]:
    connection = Connection(objects)

    def connect(context: str | None, *, kubeconfig: Path | None, say: Any) -> Connection:
        connection.asked.append((context, kubeconfig))
        return connection

    return Seams(connect=connect, progress=store, labs=labs), connection


def test_check_exits_1_and_says_what_is_wrong(labs: Path, store: ProgressStore) -> None:
    result = invoke(seams_for(labs, store, [WEB])[0], "check", "07")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "07-sample on a recorded cluster"
    assert lines[1:4] == [
        "✓ 1 first: First step",
        "    ✓ deployment web exists with spec.replicas = 2",
        "✗ 2 second: Second step",
    ]
    assert "    ✗ no pods with app=web in namespace lab-07 (expected 2 ready)" in lines
    assert "1/2 steps pass" in lines
    assert lines[-1] == (
        "stuck? `workshop hint 07 second` gives a hint; `workshop solve 07 second` fast-forwards"
    )
    assert store.step("recorded", "07-sample", "second").attempts == 1


def test_check_exits_0_when_all_pass_and_speaks_json(labs: Path, store: ProgressStore) -> None:
    seams, connection = seams_for(labs, store, [WEB, ready_pod("web-1"), ready_pod("web-2")])
    result = invoke(seams, "check", "sample", "--json", "--context", "prod")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["passed"] is True
    assert payload["lab"] == "07-sample"
    assert [s["step"] for s in payload["steps"]] == ["first", "second"]
    assert payload["steps"][1]["checks"] == [
        {
            "passed": True,
            "message": "2 pods with app=web are ready in namespace lab-07",
            "hint": None,
        }
    ]
    assert connection.asked == [("prod", None)]


def test_check_one_step_by_number(labs: Path, store: ProgressStore) -> None:
    result = invoke(seams_for(labs, store, [WEB])[0], "check", "07-sample", "1")
    assert result.exit_code == 0
    assert "second" not in result.output


def test_an_unknown_lab_or_step_fails_before_connecting(labs: Path, store: ProgressStore) -> None:
    seams, connection = seams_for(labs, store, [])
    result = invoke(seams, "check", "42")
    assert isinstance(result.exception, LabError)
    assert result.exception.message == "no lab '42'"
    result = invoke(seams, "check", "07", "nope")
    assert isinstance(result.exception, LabError)
    assert result.exception.message == "lab 07-sample has no step 'nope'"
    assert connection.asked == []


def test_hints_come_one_tier_at_a_time(labs: Path, store: ProgressStore) -> None:
    seams = Seams(progress=store, labs=labs)
    first = invoke(seams, "hint", "07", "first")
    assert first.output.splitlines() == [
        "first (First step), hint 1/2:",
        "A nudge",
        "run it again for the next hint",
    ]
    invoke(seams, "hint", "07", "first")
    last = invoke(seams, "hint", "07", "first")
    assert last.output.splitlines() == [
        "first (First step), solution:",
        "Solution (`workshop solve 07 first` applies it for you):",
        "  kubectl apply -n lab-07 -f labs/07-sample/manifests/web.yaml",
    ]
    # filed under the sandbox's context by default, under --context otherwise
    assert store.step("workshop-sandbox", "07-sample", "first").hint_tier == 3
    invoke(seams, "hint", "07", "first", "--context", "prod")
    assert store.step("prod", "07-sample", "first").hint_tier == 1


def test_labs_lists_progress(labs: Path, store: ProgressStore) -> None:
    store.record_check("workshop-sandbox", "07-sample", "first", passed=True, message="ok")
    result = CliRunner().invoke(
        cli, ["labs"], obj=Seams(progress=store, labs=labs), env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "progress on workshop-sandbox" in result.output
    row = next(line for line in result.output.splitlines() if "07-sample" in line)
    assert [cell.strip() for cell in row.strip("│ ").split("│")] == [
        "07-sample",
        "A lab",
        "5 min",
        "1/2",
        "lab-07",
    ]


def test_progress_export_and_import(labs: Path, store: ProgressStore, tmp_path: Path) -> None:
    store.record_check("ctx", "07-sample", "first", passed=True, message="ok")
    backup = tmp_path / "backup.json"
    result = invoke(Seams(progress=store), "progress", "export", str(backup))
    assert result.output.strip() == f"wrote 1 step records to {backup}"
    other = ProgressStore(tmp_path / "other.json")
    result = invoke(Seams(progress=other), "progress", "import", str(backup))
    assert result.output.strip() == f"merged 1 step records from {backup}"
    assert other.step("ctx", "07-sample", "first").passed


def test_reset_asks_first(labs: Path, store: ProgressStore) -> None:
    seams, connection = seams_for(labs, store, [])
    result = invoke(seams, "reset", "07", input="n\n")
    assert result.exit_code == 1
    assert "Delete namespace lab-07 and everything lab 07-sample created?" in result.output
    assert connection.asked == []


def test_the_real_command_prints_errors_without_a_traceback(labs: Path, tmp_path: Path) -> None:
    env = {**os.environ, "WORKSHOP_LABS": str(labs), "WORKSHOP_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "hint", "07", "third"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert (
        done.stderr == "error: lab 07-sample has no step 'third'\n  -> steps: 1:first, 2:second\n"
    )
    assert "Traceback" not in done.stderr
