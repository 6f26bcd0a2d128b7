"""Progress: recorded by check and hint, kept on disk, exported and merged back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workshop import course
from workshop.course import ProgressStore, RecordedCluster
from workshop.errors import WorkshopError

from .test_course_labs import GOOD, write_lab


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> ProgressStore:
    return ProgressStore(tmp_path / "home" / "progress.json", clock=clock)


def test_a_check_is_recorded_and_survives_a_new_store(store: ProgressStore, clock: Clock) -> None:
    store.record_check("sandbox", "04-hello-world", "scale", passed=False, message="3/5 ready")
    clock.tick()
    store.record_check("sandbox", "04-hello-world", "scale", passed=True, message="5/5 ready")
    clock.tick()
    store.record_check("sandbox", "04-hello-world", "scale", passed=False, message="4/5 ready")

    again = ProgressStore(store.path).step("sandbox", "04-hello-world", "scale")
    assert again.attempts == 3
    assert again.passed is False
    assert again.message == "4/5 ready"
    assert again.completed == "2026-03-01T09:01:00+00:00"  # first pass is kept
    assert again.updated == "2026-03-01T09:02:00+00:00"
    assert store.step("other-context", "04-hello-world", "scale").attempts == 0


def test_progress_is_filed_by_context(store: ProgressStore) -> None:
    store.record_check("sandbox", "00-welcome", "namespace", passed=True, message="ok")
    store.record_check("ovh-prod", "00-welcome", "namespace", passed=False, message="no")
    data = json.loads(store.path.read_text())
    assert data["format"] == "workshop-progress/1"
    assert set(data["contexts"]) == {"sandbox", "ovh-prod"}
    assert store.lab("sandbox", "00-welcome")["namespace"].passed
    assert not store.lab("ovh-prod", "00-welcome")["namespace"].passed


def test_export_then_import_into_another_home(
    store: ProgressStore, tmp_path: Path, clock: Clock
) -> None:
    store.record_check("sandbox", "04-hello-world", "deploy", passed=True, message="ok")
    store.record_hint("sandbox", "04-hello-world", "scale", 2)
    exported = tmp_path / "backup.json"
    assert store.export(exported) == 2

    elsewhere = ProgressStore(tmp_path / "other" / "progress.json", clock=clock)
    assert elsewhere.import_(exported) == 2
    assert elsewhere.step("sandbox", "04-hello-world", "deploy").completed
    assert elsewhere.step("sandbox", "04-hello-world", "scale").hint_tier == 2


def test_import_merges_the_newer_record_and_never_loses_a_completion(
    store: ProgressStore, tmp_path: Path, clock: Clock
) -> None:
    store.record_check("ctx", "lab", "step", passed=True, message="passed long ago")
    exported = tmp_path / "old.json"
    store.export(exported)

    other = ProgressStore(tmp_path / "other.json", clock=clock)
    clock.tick(60)
    other.record_check("ctx", "lab", "step", passed=False, message="broken since")
    other.record_hint("ctx", "lab", "step", 1)
    other.import_(exported)

    merged = other.step("ctx", "lab", "step")
    assert merged.message == "broken since"  # the newer record wins
    assert merged.passed is False
    assert merged.completed == "2026-03-01T09:00:00+00:00"  # the older completion stays
    assert merged.attempts == 1
    assert merged.hint_tier == 1


def test_importing_something_else_is_refused(store: ProgressStore, tmp_path: Path) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"format": "something/2"}))
    with pytest.raises(WorkshopError) as info:
        store.import_(bad)
    assert info.value.message.startswith(f"{bad} is not a workshop progress file (format: ")
    bad.write_text("{not json")
    with pytest.raises(WorkshopError, match="is not a workshop progress file"):
        store.import_(bad)
    assert not store.path.exists()  # nothing was written


def test_a_broken_progress_file_is_reported_not_overwritten(store: ProgressStore) -> None:
    store.path.parent.mkdir(parents=True)
    store.path.write_text("garbage")
    with pytest.raises(WorkshopError) as info:
        store.record_check("ctx", "lab", "step", passed=True, message="ok")
    assert "move a broken progress.json aside" in (info.value.hint or "")
    assert store.path.read_text() == "garbage"


def test_the_default_store_lives_in_the_workshop_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKSHOP_HOME", str(tmp_path / "wh"))
    assert ProgressStore().path == tmp_path / "wh" / "progress.json"


# -- hints ------------------------------------------------------------------------------------


def test_hints_go_tier_by_tier_and_end_with_the_solution(
    store: ProgressStore, tmp_path: Path
) -> None:
    lab = course.load_lab(write_lab(tmp_path, GOOD))
    step = lab.step("first")
    given = [course.next_hint(lab, step, context="ctx", progress=store) for _ in range(4)]
    assert [(h.tier, h.total, h.is_solution) for h in given] == [
        (1, 3, False),
        (2, 3, False),
        (3, 3, True),
        (3, 3, True),
    ]
    assert [h.text for h in given[:2]] == ["A nudge", "The command"]
    assert given[2].text == (
        "Solution (`workshop solve 07 first` applies it for you):\n"
        "  kubectl apply -n lab-07 -f labs/07-sample/manifests/web.yaml"
    )
    # the tier reached is remembered, per cluster context
    assert store.step("ctx", lab.id, "first").hint_tier == 3
    assert course.next_hint(lab, step, context="other", progress=store).tier == 1


# -- check records what it found --------------------------------------------------------------


class Connection:
    def __init__(self, api: RecordedCluster) -> None:
        self.context = "recorded"
        self.api = api


def test_check_runs_every_step_and_records_each(store: ProgressStore, tmp_path: Path) -> None:
    lab = course.load_lab(write_lab(tmp_path, GOOD))
    web = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "lab-07"},
        "spec": {"replicas": 2},
    }
    results = course.check(Connection(RecordedCluster([web])), lab, progress=store)
    assert [(r.step, r.passed) for r in results] == [("first", True), ("second", False)]
    assert results[1].message == "no pods with app=web in namespace lab-07 (expected 2 ready)"
    assert results[1].to_json()["checks"][0]["hint"] == (
        "`kubectl get pods -n lab-07 -l app=web` shows them"
    )
    records = store.lab("recorded", lab.id)
    assert records["first"].completed and records["first"].attempts == 1
    assert not records["second"].passed
    assert records["second"].message == results[1].message

    only = course.check(Connection(RecordedCluster([web])), lab, "2", progress=store)
    assert [r.step for r in only] == ["second"]
    assert store.step("recorded", lab.id, "second").attempts == 2
