"""Progress through the labs, kept as JSON under the workshop home (``progress.json``).

Filed by cluster context, lab and step, so it survives kernel and sandbox restarts and a
learner can switch between the sandbox and a real cluster. ``export`` writes the same
format to a file; ``import_`` merges one in (for each step the newer record wins, and a step
once completed stays completed).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workshop.errors import WorkshopError
from workshop.home import workshop_home
from workshop.writes import writing

FORMAT: Final = "workshop-progress/1"


class StepProgress(BaseModel):
    """Where a learner stands on one step of one lab, on one cluster."""

    model_config = ConfigDict(extra="forbid")

    passed: bool = False  # the last check passed
    completed: str | None = None  # when the checks first passed (ISO 8601, UTC)
    solved: bool = False  # `workshop solve` applied the solution
    attempts: int = Field(default=0, ge=0)  # checks run
    hint_tier: int = Field(default=0, ge=0)  # hint tiers revealed
    message: str = ""  # what the last check said
    updated: str = ""  # when this record last changed (ISO 8601, UTC)


Labs = dict[str, dict[str, StepProgress]]  # lab id -> step id -> progress


class Answer(BaseModel):
    """A learner's answer to a quiz question or a step's prediction, on one cluster.

    The first answer is the one graded (``correct``): trying every choice until one turns
    green does not raise a score. ``choice`` is the latest."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["quiz", "predict"]
    first: int = Field(ge=0)  # the first choice made (counted from 0)
    correct: bool  # whether that first choice was right
    choice: int = Field(ge=0)  # the latest choice
    answered: str = ""  # when first answered (ISO 8601, UTC)
    updated: str = ""


Answers = dict[str, dict[str, Answer]]  # lab id -> question id -> answer


class ProgressFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["workshop-progress/1"] = FORMAT
    contexts: dict[str, Labs] = {}
    answers: dict[str, Answers] = {}  # context -> lab -> question -> answer


def _now() -> datetime:
    return datetime.now(UTC)


class ProgressStore:
    """Reads and updates ``progress.json``; every change is written at once, atomically."""

    def __init__(self, path: Path | None = None, *, clock: Callable[[], datetime] = _now) -> None:
        self.path = path or workshop_home() / "progress.json"
        self._clock = clock

    def step(self, context: str, lab: str, step: str) -> StepProgress:
        return self.lab(context, lab).get(step) or StepProgress()

    def lab(self, context: str, lab: str) -> dict[str, StepProgress]:
        return self._read().contexts.get(context, {}).get(lab, {})

    def record_check(
        self, context: str, lab: str, step: str, *, passed: bool, message: str, solved: bool = False
    ) -> StepProgress:
        """Count one check of ``step`` and keep its outcome."""
        with self._update(context, lab, step) as record:
            record.attempts += 1
            record.passed = passed
            record.message = message
            record.solved = record.solved or solved
            if passed and not record.completed:
                record.completed = record.updated
        return record

    def record_hint(self, context: str, lab: str, step: str, tier: int) -> StepProgress:
        with self._update(context, lab, step) as record:
            record.hint_tier = max(record.hint_tier, tier)
        return record

    def answers(self, context: str, lab: str) -> dict[str, Answer]:
        """Question id -> the answer given, for the quiz and the predictions of a lab."""
        return self._read().answers.get(context, {}).get(lab, {})

    def record_answer(
        self,
        context: str,
        lab: str,
        question: str,
        *,
        kind: Literal["quiz", "predict"],
        choice: int,
        correct: bool,
    ) -> Answer:
        """Keep an answer; only the first one is graded."""
        now = self._clock().isoformat(timespec="seconds")
        with self._locked():
            data = self._read()
            given = data.answers.setdefault(context, {}).setdefault(lab, {})
            answer = given.get(question)
            if answer is None:
                answer = Answer(
                    kind=kind, first=choice, correct=correct, choice=choice, answered=now
                )
            answer.choice = choice
            answer.updated = now
            given[question] = answer
            with writing(self.path, anywhere=True):
                _write(self.path, data)
        return answer

    def export(self, file: Path) -> int:
        """Write every record to ``file``; the number of steps written."""
        data = self._read()
        try:
            _write(Path(file), data)
        except OSError as e:  # a file outside the workshop home
            raise WorkshopError(
                f"cannot write {file}: {(e.strerror or str(e)).lower()}",
                hint="choose a file in a folder you can write to",
            ) from e
        return _count(data)

    def import_(self, file: Path) -> int:
        """Merge ``file`` (an export) into this store; the number of steps it held."""
        incoming = _load(Path(file))
        with self._locked():
            data = self._read()
            for context, labs in incoming.contexts.items():
                for lab, steps in labs.items():
                    mine = data.contexts.setdefault(context, {}).setdefault(lab, {})
                    for step, theirs in steps.items():
                        mine[step] = _merge(mine.get(step), theirs)
            for context, labs_answers in incoming.answers.items():
                for lab, given in labs_answers.items():
                    kept = data.answers.setdefault(context, {}).setdefault(lab, {})
                    for question, their in given.items():
                        kept[question] = _merge_answer(kept.get(question), their)
            with writing(self.path, anywhere=True):
                _write(self.path, data)
        return _count(incoming)

    @contextlib.contextmanager
    def _update(self, context: str, lab: str, step: str) -> Iterator[StepProgress]:
        with self._locked():
            data = self._read()
            steps = data.contexts.setdefault(context, {}).setdefault(lab, {})
            record = steps.setdefault(step, StepProgress())
            record.updated = self._clock().isoformat(timespec="seconds")
            yield record
            with writing(self.path, anywhere=True):
                _write(self.path, data)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        # A notebook kernel and a terminal may record at the same time.
        lock_path = self.path.with_name(self.path.name + ".lock")
        with writing(lock_path, anywhere=True):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = lock_path.open("a")
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> ProgressFile:
        if not self.path.exists():
            return ProgressFile()
        return _load(self.path)


def _load(path: Path) -> ProgressFile:
    try:
        return ProgressFile.model_validate(json.loads(path.read_text()))
    except OSError as e:
        raise WorkshopError(f"cannot read {path}: {e.strerror}") from e
    except (ValueError, ValidationError) as e:
        first = e.errors()[0] if isinstance(e, ValidationError) else None
        where = ".".join(str(p) for p in first["loc"]) + ": " if first else ""
        problem = first["msg"] if first else str(e)
        raise WorkshopError(
            f"{path} is not a workshop progress file ({where}{problem})",
            hint="`workshop progress export FILE` writes one; move a broken "
            "progress.json aside and the workshop starts a new one",
        ) from e


def _write(path: Path, data: ProgressFile) -> None:
    """Write atomically (callers turn an ``OSError`` into a sentence)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data.model_dump(), indent=1, sort_keys=True) + "\n")
        tmp.replace(path)
    except OSError as e:
        with contextlib.suppress(OSError):  # a full disk keeps no half-written file
            tmp.unlink()
        if e.filename == str(tmp):
            e.filename = str(path)  # the learner knows progress.json, not its draft
        raise


def _merge(mine: StepProgress | None, theirs: StepProgress) -> StepProgress:
    if mine is None:
        return theirs.model_copy()
    newer = theirs if theirs.updated > mine.updated else mine
    firsts = [c for c in (mine.completed, theirs.completed) if c]
    return newer.model_copy(
        update={
            "completed": min(firsts) if firsts else None,
            "solved": mine.solved or theirs.solved,
            "attempts": max(mine.attempts, theirs.attempts),
            "hint_tier": max(mine.hint_tier, theirs.hint_tier),
        }
    )


def _merge_answer(mine: Answer | None, theirs: Answer) -> Answer:
    if mine is None:
        return theirs.model_copy()
    first = theirs if theirs.answered < mine.answered else mine  # the first one stays graded
    latest = theirs if theirs.updated > mine.updated else mine
    return first.model_copy(update={"choice": latest.choice, "updated": latest.updated})


def _count(data: ProgressFile) -> int:
    return sum(len(steps) for labs in data.contexts.values() for steps in labs.values())
