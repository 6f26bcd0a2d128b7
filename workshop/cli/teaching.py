"""``workshop break | quiz``: a break-and-fix step's broken state, and a lab's quiz, from a
terminal. (``workshop progress`` shows the scores, with the steps done.)

``break`` works on any cluster, at any time (a fix step's breaking actions are
self-contained); ``workshop reset`` takes the broken state away with the rest of the lab.
``quiz`` asks the lab's questions with numbered choices; only the first answer to each is
graded. On a class learner's kubeconfig the score also goes to the class board.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from workshop.cli.course import _connect, _context_name, _lab, _store, cluster_options, err, out

if TYPE_CHECKING:
    from workshop import course
    from workshop.cluster import Seat


@click.command("break")
@click.argument("lab")
@click.argument("step")
@cluster_options
def break_(lab: str, step: str, context: str | None, kubeconfig: Path | None) -> None:
    """Break the cluster the way break-and-fix STEP starts: the repair is yours."""
    from workshop.course import break_step
    from workshop.course.breaking import fix_step

    found = _lab(lab)
    _kubeconfig_read(context, kubeconfig)  # a broken kubeconfig is said first
    chosen = fix_step(found, step)  # a step that is not a fix step fails before connecting
    connection = _connect(context, kubeconfig)
    done = break_step(connection, found, chosen.id, say=lambda m: err.print(f"[dim]{escape(m)}[/]"))
    for line in done:
        out.print(f"[yellow]![/] {escape(line)}")
    out.print(
        f"step {chosen.id} of lab {found.number} is broken: {escape(chosen.title)}.\n"
        f"find out why and repair it, then `workshop check {found.number} {chosen.id}`; "
        f"`workshop hint {found.number} {chosen.id}` helps, "
        f"`workshop reset {found.number}` takes the lab away"
    )


@click.command("quiz")
@click.argument("lab")
@click.argument("question", required=False)
@click.argument("choice", type=int, required=False)
@cluster_options
def quiz(
    lab: str,
    question: str | None,
    choice: int | None,
    context: str | None,
    kubeconfig: Path | None,
) -> None:
    """Answer LAB's quiz: each question in turn, or one QUESTION with its CHOICE (from 1).

    QUESTION may also be a step's prediction (its id, or the step's). Only your first
    answer to a question is graded; `workshop progress` shows the scores."""
    from workshop.errors import WorkshopError

    found = _lab(lab)
    name, seat = _kubeconfig_read(context, kubeconfig)
    if question is not None:
        if choice is None:
            raise click.UsageError(
                f"give the choice too: `workshop quiz {found.number} {question} N` (N from 1)"
            )
        _answer(found, question, choice - 1, name)
    else:
        questions = found.spec.quiz
        if not questions:
            raise WorkshopError(
                f"lab {found.number} has no quiz", hint="`workshop labs` lists the labs"
            )
        given = _store().answers(name, found.id)
        for number, asked in enumerate(questions, 1):
            out.print(f"\n[bold]Question {number} of {len(questions)}[/] ({asked.id})")
            out.print(escape(asked.question))
            for index, text in enumerate(asked.choices, 1):
                out.print(f"  {index}. {escape(text)}")
            if asked.id in given:
                out.print("[dim]answered before: your first answer is the one graded[/]")
            try:
                picked = click.prompt(
                    "your answer", type=click.IntRange(1, len(asked.choices)), err=True
                )
            except click.exceptions.Abort as e:  # end of input, or Ctrl-C
                raise WorkshopError(
                    f"the quiz stopped at question {number} of {len(questions)}, with no answer",
                    hint="the answers given are kept; answer one at a time with "
                    f"`workshop quiz {found.number} {asked.id} N`",
                ) from e
            _answer(found, asked.id, picked - 1, name)
    _score(found, name)
    if seat is not None:
        _to_the_class(found, name, context, kubeconfig)


def _kubeconfig_read(context: str | None, kubeconfig: Path | None) -> tuple[str, Seat | None]:
    """The context's name and a class learner's seat, read without connecting: a missing or
    broken kubeconfig is said before anything else."""
    from workshop.cluster import target

    return _context_name(context, kubeconfig), target(context, kubeconfig=kubeconfig).seat()


def _answer(lab: course.Lab, ident: str, choice: int, context: str) -> None:
    from workshop.course import answer

    given = answer(lab, ident, choice, context=context, progress=_store())
    right = given.question.answer
    if given.correct:
        out.print(f"[green]✓ right[/]: {escape(given.question.choices[right])}")
    else:
        out.print(
            f"[red]✗ not this one[/]; the answer is {right + 1}. "
            f"{escape(given.question.choices[right])}"
        )
    out.print(f"  [dim]{escape(given.question.explain)}[/]")
    if given.kind == "quiz" and given.graded != given.correct:
        out.print("  [dim]your first answer to this question is the one graded[/]")


def _score(lab: course.Lab, context: str) -> None:
    from workshop.course import score

    right, total = score(lab, context=context, progress=_store())
    if total:
        out.print(f"\nquiz of lab {lab.number}: {right}/{total} right the first time")


def _to_the_class(
    lab: course.Lab, context_name: str, context: str | None, kubeconfig: Path | None
) -> None:
    """A class learner's answers go to the class board (the only reason to connect)."""
    from workshop.course import place, reporting

    connection = _connect(context, kubeconfig)
    placed = place(connection, lab)
    problem = reporting.report_answers(connection, placed, _store().answers(context_name, lab.id))
    if problem:
        err.print(f"[yellow]your answers are saved here, not on the class board: {problem}[/]")


COMMANDS = [break_, quiz]
