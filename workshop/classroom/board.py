"""The class board: learners x lab steps, and each learner's quiz score and predictions per
lab, from the class's ``LabProgress`` objects.

``summarize`` is pure (objects and the time in, a ``Board`` out); ``LiveBoard`` keeps it up
to date from a watch (list once, then follow) and counts versions so a web page can wait
for the next one; ``render_html`` draws it for the notebook widget and the projector page
alike; ``serve`` puts that page on loopback.
"""

from __future__ import annotations

import csv
import html
import io
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workshop.course import reporting
from workshop.kubeapi import KubeApi, Object

STUCK_AFTER = 10 * 60.0  # seconds on a step without passing it
COLORS = {
    "done": "#2e9e4f",
    "skipped": "#9aa4ad",
    "working": "#f0b429",
    "stuck": "#d64545",
    "": "#eeeeee",
}


@dataclass(frozen=True)
class Failure:
    lab: str
    step: str
    failures: int  # failed checks, across the class
    failing_now: int  # learners whose last check of it failed
    messages: list[tuple[str, int]]  # the most common last messages, with their count


@dataclass(frozen=True)
class Scores:
    """One learner's answers to one lab: the quiz (right the first time) and predictions."""

    right: int
    answered: int
    total: int
    predicted: int
    predictions: int

    def text(self) -> str:
        quiz = f"quiz {self.right}/{self.total}" if self.total else ""
        if self.total and self.answered < self.total:
            quiz += f" ({self.total - self.answered} open)"
        told = f"predicted {self.predicted}/{self.predictions}" if self.predictions else ""
        return " · ".join(t for t in (quiz, told) if t) or "-"


def scores(spec: dict[str, Any]) -> Scores:
    quiz = spec.get("quiz") or {}
    told = spec.get("predictions") or {}
    return Scores(
        _int(quiz.get("right")),
        _int(quiz.get("answered")),
        _int(quiz.get("total")),
        _int(told.get("made")),
        _int(told.get("total")),
    )


def _int(value: Any) -> int:
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True)
class Board:
    name: str
    learners: list[str]
    columns: list[tuple[str, str]]  # (lab, step)
    cells: dict[tuple[str, str, str], str]  # (learner, lab, step) -> done|working|stuck|skipped
    failures: list[Failure]
    stuck_after: float
    updated: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    answers: dict[tuple[str, str], Scores] = field(default_factory=dict)  # (learner, lab)


def _seconds(text: str | None) -> float | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def state(spec: dict[str, Any], now: float, stuck_after: float) -> str:
    if spec.get("state") == "passed" or spec.get("passed"):
        return "done"
    if spec.get("state") == "skipped":
        return "skipped"
    started = _seconds(spec.get("started"))
    if started is not None and now - started > stuck_after:
        return "stuck"
    return "working"


def summarize(
    name: str,
    objects: list[Object],
    *,
    learners: list[str] = (),  # type: ignore[assignment]
    now: float | None = None,
    stuck_after: float = STUCK_AFTER,
    top: int = 5,
) -> Board:
    moment = time.time() if now is None else now
    cells: dict[tuple[str, str, str], str] = {}
    columns: set[tuple[str, str]] = set()
    everyone = set(learners)
    failed: Counter[tuple[str, str]] = Counter()
    failing: Counter[tuple[str, str]] = Counter()
    messages: dict[tuple[str, str], Counter[str]] = {}
    answers: dict[tuple[str, str], Scores] = {}
    for obj in objects:
        spec = obj.get("spec") or {}
        labels = (obj.get("metadata") or {}).get("labels") or {}
        learner = str(spec.get("learner") or labels.get(reporting.LEARNER_LABEL) or "?")
        everyone.add(learner)
        if reporting.is_answers(obj):
            answers[(learner, str(spec.get("lab", "?")))] = scores(spec)
            continue
        key = (str(spec.get("lab", "?")), str(spec.get("step", "?")))
        columns.add(key)
        everyone.add(learner)
        cell = state(spec, moment, stuck_after)
        cells[(learner, *key)] = cell
        failed[key] += int(spec.get("failures") or 0)
        if cell in ("working", "stuck"):
            failing[key] += 1
            messages.setdefault(key, Counter())[str(spec.get("message") or "")] += 1
    ranked = sorted(failed, key=lambda k: (-failed[k], k))
    failures = [
        Failure(k[0], k[1], failed[k], failing[k], messages.get(k, Counter()).most_common(3))
        for k in ranked[:top]
        if failed[k]
    ]
    return Board(
        name,
        sorted(everyone),
        sorted(columns),
        cells,
        failures,
        stuck_after,
        datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds"),
        dict(Counter(cells.values())),
        answers,
    )


def render_html(board: Board) -> str:
    """One self-contained fragment: the grid, the legend and the most failed checks."""
    esc = html.escape
    labs: list[tuple[str, int]] = []
    for lab, _ in board.columns:
        if labs and labs[-1][0] == lab:
            labs[-1] = (lab, labs[-1][1] + 1)
        else:
            labs.append((lab, 1))
    head1 = "".join(f'<th colspan="{n}">{esc(lab)}</th>' for lab, n in labs)
    head2 = "".join(f"<th>{esc(step)}</th>" for _, step in board.columns)
    rows = []
    for learner in board.learners:
        tds = "".join(
            f'<td title="{esc(cell or "not started")}" '
            f'style="background:{COLORS[cell]}">{_mark(cell)}</td>'
            for cell in (board.cells.get((learner, *c), "") for c in board.columns)
        )
        rows.append(f"<tr><th>{esc(learner)}</th>{tds}</tr>")
    legend = " ".join(
        f'<span style="background:{COLORS[k]};padding:0 .5em">{label}</span>'
        for k, label in (
            ("done", "done"),
            ("working", "in progress"),
            ("stuck", f"stuck &gt; {board.stuck_after / 60:.0f} min"),
            ("skipped", "skipped"),
        )
    )
    fails = "".join(
        f"<li><b>{esc(f.lab)} / {esc(f.step)}</b>: {f.failures} failed checks, "
        f"{f.failing_now} learners failing now"
        + "".join(f"<br><code>{esc(m)}</code> &times;{n}" for m, n in f.messages if m)
        + "</li>"
        for f in board.failures
    )
    return (
        f'<div class="workshop-board"><h3>Class {esc(board.name)}: {len(board.learners)} '
        f"learners &middot; {board.updated}</h3><p>{legend}</p>"
        '<table style="border-collapse:collapse;font-size:12px" border="1">'
        f"<tr><th></th>{head1}</tr><tr><th>learner</th>{head2}</tr>{''.join(rows)}</table>"
        f"<h4>Checks failed most often</h4><ol>{fails or '<li>none yet</li>'}</ol>"
        f"{_answers_html(board)}</div>"
    )


def _answers_html(board: Board) -> str:
    """Learners x labs: the quiz score (first answers) and the predictions made."""
    if not board.answers:
        return ""
    esc = html.escape
    labs = sorted({lab for _, lab in board.answers})
    head = "".join(f"<th>{esc(lab)}</th>" for lab in labs)
    rows = []
    for learner in board.learners:
        got = [board.answers.get((learner, lab)) for lab in labs]
        tds = "".join(f"<td>{esc(s.text()) if s else ''}</td>" for s in got)
        rows.append(f"<tr><th>{esc(learner)}</th>{tds}</tr>")
    return (
        "<h4>Quiz (right the first time) and predictions made</h4>"
        '<table class="workshop-answers" style="border-collapse:collapse;font-size:12px" '
        f'border="1"><tr><th>learner</th>{head}</tr>{"".join(rows)}</table>'
    )


def _mark(cell: str) -> str:
    return {"done": "&#10003;", "stuck": "!", "working": "&hellip;", "skipped": "-"}.get(cell, "")


def to_csv(objects: list[Object]) -> str:
    """The class's progress: one row per learner and lab step."""
    out = io.StringIO()
    columns = [
        "learner",
        "lab",
        "step",
        "state",
        "attempts",
        "failures",
        "started",
        "updated",
        "completed",
        "message",
        "quiz_right",
        "quiz_total",
        "predictions_made",
        "predictions_total",
    ]
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    rows = []
    for obj in objects:
        spec = dict(obj.get("spec") or {})
        spec.setdefault(
            "learner",
            ((obj.get("metadata") or {}).get("labels") or {}).get(reporting.LEARNER_LABEL),
        )
        if reporting.is_answers(obj):  # a row of its own per lab, with no step
            got = scores(spec)
            spec = {
                "learner": spec["learner"],
                "lab": spec.get("lab", ""),
                "updated": spec.get("updated", ""),
                "quiz_right": got.right,
                "quiz_total": got.total,
                "predictions_made": got.predicted,
                "predictions_total": got.predictions,
            }
        rows.append(spec)
    for spec in sorted(
        rows, key=lambda s: (str(s.get("learner")), s.get("lab", ""), s.get("step", ""))
    ):
        writer.writerow(spec)
    return out.getvalue()


class LiveBoard:
    """The board of one class, kept current by a watch on its LabProgress objects."""

    def __init__(
        self,
        api: KubeApi,
        name: str,
        *,
        stuck_after: float = STUCK_AFTER,
        on_change: Callable[[Board], None] | None = None,
    ) -> None:
        self.api = api
        self.name = name
        self.stuck_after = stuck_after
        self.on_change = on_change
        self.version = 0
        self.changed_at: dict[str, float] = {}  # object name/namespace -> when we saw it
        self._learners = self._list_learners()
        self._cond = threading.Condition()
        self._seen: dict[tuple[str, str], str] = {}
        # imported here: the widgets package imports this module for its ClassBoard
        from workshop.widgets.watching import Watcher

        self.watcher = Watcher(
            api,
            reporting.API_VERSION,
            reporting.KIND,
            label_selector=f"{reporting.CLASS_LABEL}={name}",
            on_change=self._changed,
        )

    def _list_learners(self) -> list[str]:
        found = self.api.list(
            "v1", "Namespace", label_selector=f"{reporting.CLASS_LABEL}={self.name}"
        )
        return sorted({n["metadata"]["labels"].get(reporting.LEARNER_LABEL, "?") for n in found})

    def start(self) -> LiveBoard:
        self.watcher.start()
        return self

    def stop(self) -> None:
        self.watcher.stop()
        with self._cond:
            self._cond.notify_all()

    def _changed(self) -> None:
        now = time.monotonic()
        for obj in self.watcher.objects:
            meta = obj.get("metadata") or {}
            key = (str(meta.get("namespace")), str(meta.get("name")))
            version = str(meta.get("resourceVersion"))
            if self._seen.get(key) != version:
                self._seen[key] = version
                self.changed_at["/".join(key)] = now
        with self._cond:
            self.version += 1
            self._cond.notify_all()
        if self.on_change:
            self.on_change(self.board())

    def board(self) -> Board:
        return summarize(
            self.name, self.watcher.objects, learners=self._learners, stuck_after=self.stuck_after
        )

    def wait(self, after: int, timeout: float) -> int:
        """Block until the version passes ``after`` (or ``timeout``); the version then."""
        with self._cond:
            self._cond.wait_for(lambda: self.version > after, timeout=timeout)
            return self.version
