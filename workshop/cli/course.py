"""``workshop labs | check | hint | solve | reset | progress``: the labs from a terminal
(``break`` and ``quiz`` are in ``teaching``).

LAB is ``04``, ``04-hello-world`` or ``hello-world``; STEP is a step id or its number.
Without ``--context``, commands use ``$WORKSHOP_CONTEXT``, else the local sandbox (started
if needed). Tests pass a ``Seams`` object (``CliRunner.invoke(..., obj=Seams(...))``) to
swap the cluster, the progress file and the labs folder.

``workshop.course`` and the Kubernetes client load only when one of these commands runs,
so ``workshop sandbox ...`` starts as fast as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from workshop import course

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class Seams:
    """What tests may replace: how to connect, where progress lives, where the labs are."""

    connect: Callable[..., Any] | None = None  # default: workshop.cluster.connect
    progress: course.ProgressStore | None = None
    labs: Path | None = None


def _seams() -> Seams:
    return click.get_current_context().find_object(Seams) or Seams()


def _store() -> course.ProgressStore:
    from workshop.course import ProgressStore

    return _seams().progress or ProgressStore()


def _lab(ref: str) -> course.Lab:
    from workshop.course import find_lab

    return find_lab(ref, _seams().labs)


def _connect(context: str | None, kubeconfig: Path | None) -> Any:
    from workshop.cluster import connect

    chosen = _seams().connect or connect
    return chosen(context, kubeconfig=kubeconfig, say=lambda m: err.print(escape(m)))


def _context_name(context: str | None, kubeconfig: Path | None) -> str:
    """The context progress is filed under, without connecting to anything."""
    from workshop.cluster import target

    return target(context, kubeconfig=kubeconfig).context_name()


def cluster_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--kubeconfig",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).",
    )(command)
    return click.option(
        "--context",
        default=None,
        help="Kubeconfig context (default: $WORKSHOP_CONTEXT, else the local sandbox).",
    )(command)


@click.command("labs")
@cluster_options
def labs(context: str | None, kubeconfig: Path | None) -> None:
    """List the labs and your progress in each."""
    from workshop.cluster import target
    from workshop.course import list_labs

    name = _context_name(context, kubeconfig)
    seat = target(context, kubeconfig=kubeconfig).seat()
    store = _store()
    table = Table("lab", "title", "time", "done", "namespace", title=f"progress on {name}")
    for lab in list_labs(_seams().labs):
        lab = lab.within(seat.prefix) if seat else lab  # a class learner's namespaces
        records = store.lab(name, lab.id)
        done = sum(1 for s in lab.steps if (r := records.get(s.id)) and r.completed)
        mark = "[green]" if done == len(lab.steps) else ""
        table.add_row(
            lab.id,
            lab.title,
            f"{lab.spec.duration} min",
            f"{mark}{done}/{len(lab.steps)}",
            lab.namespace,
        )
    out.print(table)


@click.command("check")
@click.argument("lab")
@click.argument("step", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@cluster_options
@click.pass_context
def check(
    ctx: click.Context,
    lab: str,
    step: str | None,
    as_json: bool,
    context: str | None,
    kubeconfig: Path | None,
) -> None:
    """Check a lab's steps (or one STEP) on the cluster; exit 0 when all pass."""
    from workshop.course import check as check_lab

    found = _lab(lab)
    if step is not None:
        found.step(step)  # an unknown step fails before connecting
    connection = _connect(context, kubeconfig)
    # filed after they are shown: a learner sees the results even where they cannot be saved
    results = check_lab(connection, found, step, record=False)
    # skipped: not a class learner's; undone: changed on purpose by a later step, done
    passed = all(r.passed or r.skipped or r.undone_by for r in results)
    if as_json:
        payload = {
            "lab": found.id,
            "context": connection.context,
            "passed": passed,
            "steps": [r.to_json() for r in results],
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        _print_results(found, connection, results)
    _record(connection, results)
    ctx.exit(0 if passed else 1)


def _record(connection: Any, results: list[course.StepResult]) -> None:
    """File the results; where they cannot be saved, say so (``HomeError``, exit 1)."""
    from workshop.course import record_result
    from workshop.errors import HomeError

    store = _store()
    try:
        for result in results:
            record_result(connection, result, progress=store)
    except HomeError as e:
        raise HomeError(
            f"the results above were not saved: {e.message}", path=e.path, hint=e.hint
        ) from e


def _print_results(lab: course.Lab, connection: Any, results: list[course.StepResult]) -> None:
    describe = getattr(connection, "describe", lambda: connection.context)
    out.print(f"[bold]{escape(lab.id)}[/] on {escape(describe())}")
    numbers = {s.id: i for i, s in enumerate(lab.steps, 1)}
    for result in results:
        mark = "[green]✓[/]" if result.passed else "[red]✗[/]"
        if result.skipped:
            out.print(f"[dim]-[/] {numbers[result.step]} {result.step}: {escape(result.title)}")
            out.print(f"    [dim]{escape(result.skipped)}[/]")
            continue
        if result.undone_by:
            later = numbers[result.undone_by]
            out.print(f"[cyan]↺[/] {numbers[result.step]} {result.step}: {escape(result.title)}")
            out.print(
                f"    [dim]done before, then changed on purpose by step {later} "
                f"{escape(result.undone_by)}, which is done ({escape(result.message)})[/]"
            )
            continue
        out.print(f"{mark} {numbers[result.step]} {result.step}: {escape(result.title)}")
        shown: set[str] = set()
        for one in result.results:
            if one.message in shown:  # several checks of a missing object say the same
                continue
            shown.add(one.message)
            sign = "[green]✓[/]" if one.passed else "[red]✗[/]"
            out.print(f"    {sign} {escape(one.message)}")
            if not one.passed and one.hint:
                out.print(f"      [dim]hint: {escape(one.hint)}[/]")
    good = sum(r.passed for r in results)
    undone = sum(bool(r.undone_by) for r in results)
    colour = "green" if good + undone == len(results) else "yellow"
    also = f", {undone} undone on purpose by a later step" if undone else ""
    out.print(f"[{colour}]{good}/{len(results)} steps pass{also}[/]")
    failing = next((r for r in results if not (r.passed or r.skipped or r.undone_by)), None)
    if failing is not None:
        out.print(
            f"stuck? `workshop hint {lab.number} {failing.step}` gives a hint; "
            f"`workshop solve {lab.number} {failing.step}` fast-forwards"
        )


@click.command("hint")
@click.argument("lab")
@click.argument("step")
@cluster_options
def hint(lab: str, step: str, context: str | None, kubeconfig: Path | None) -> None:
    """Reveal the next hint for STEP (the last one is the solution)."""
    from workshop.cluster import target
    from workshop.course import next_hint
    from workshop.errors import HomeError

    found = _lab(lab)
    seat = target(context, kubeconfig=kubeconfig).seat()
    found = found.within(seat.prefix) if seat else found  # a class learner's namespaces
    chosen = found.step(step)
    name, store = _context_name(context, kubeconfig), _store()
    given = next_hint(found, chosen, context=name, progress=store, record=False)
    label = "solution" if given.is_solution else f"hint {given.tier}/{given.total - 1}"
    out.print(f"[bold]{escape(chosen.id)}[/] ({escape(chosen.title)}), {label}:")
    out.print(escape(given.text))
    try:
        store.record_hint(name, found.id, chosen.id, given.tier)
    except HomeError as e:
        raise HomeError(
            f"this hint was shown but not saved (the next one comes only once it is): {e.message}",
            path=e.path,
            hint=e.hint,
        ) from e
    if not given.is_solution:
        out.print("[dim]run it again for the next hint[/]")


@click.command("solve")
@click.argument("lab")
@click.argument("step", required=False)
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Seconds per step.")
@cluster_options
def solve(
    lab: str, step: str | None, timeout: float, context: str | None, kubeconfig: Path | None
) -> None:
    """Fast-forward: apply the solutions up to STEP (every step when omitted)."""
    from workshop.course import solve as solve_lab

    found = _lab(lab)
    if step is not None:
        found.step(step)
    connection = _connect(context, kubeconfig)
    done = solve_lab(
        connection,
        found,
        step,
        timeout=timeout,
        say=lambda m: err.print(f"[dim]{escape(m)}[/]"),
        progress=_store(),
    )
    for solved in done:
        what = f"solved in {solved.seconds:.1f}s" if solved.applied else "already done"
        out.print(f"[green]✓[/] {solved.step}: {what}")


@click.command("reset")
@click.argument("lab")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--timeout", type=float, default=180.0, show_default=True, help="Seconds to wait.")
@cluster_options
def reset(
    lab: str, yes: bool, timeout: float, context: str | None, kubeconfig: Path | None
) -> None:
    """Remove what LAB created (its namespace and its cleanup list)."""
    from workshop.course import reset as reset_lab

    found = _lab(lab)
    if not yes:
        click.confirm(
            f"Delete namespace {found.namespace} and everything lab {found.id} created?",
            abort=True,
        )
    connection = _connect(context, kubeconfig)
    removed = reset_lab(
        connection, found, timeout=timeout, say=lambda m: err.print(f"[dim]{escape(m)}[/]")
    )
    for line in removed:
        out.print(f"[green]✓[/] {escape(line)}")
    if not removed:
        out.print(f"nothing to remove: lab {found.id} left nothing on this cluster")


@click.group("progress", invoke_without_command=True)
@cluster_options
@click.pass_context
def progress(ctx: click.Context, context: str | None, kubeconfig: Path | None) -> None:
    """Your progress per lab: steps done, quiz score, predictions made; or save or restore it
    (e.g. to move to another machine)."""
    if ctx.invoked_subcommand is not None:
        return
    from workshop.cluster import target
    from workshop.course import list_labs, predictions, score

    name = _context_name(context, kubeconfig)
    seat = target(context, kubeconfig=kubeconfig).seat()
    store = _store()
    table = Table("lab", "steps done", "quiz", "predictions", title=f"progress on {name}")
    for lab in list_labs(_seams().labs):
        lab = lab.within(seat.prefix) if seat else lab
        records = store.lab(name, lab.id)
        done = sum(1 for s in lab.steps if (r := records.get(s.id)) and r.completed)
        right, total = score(lab, context=name, progress=store)
        answered = sum(1 for q in lab.spec.quiz if q.id in store.answers(name, lab.id))
        made, asked = predictions(lab, context=name, progress=store)
        quiz = f"{right}/{total} right" if answered else ("not taken" if total else "-")
        if answered and answered < total:
            quiz += f" ({total - answered} to answer)"
        table.add_row(
            lab.id,
            f"{done}/{len(lab.steps)}",
            quiz,
            f"{made}/{asked} made" if asked else "-",
        )
    out.print(table)
    out.print("[dim]quiz: first answers right, out of the questions (`workshop quiz LAB`)[/]")


@progress.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export(file: Path) -> None:
    """Write your progress to FILE (JSON)."""
    count = _store().export(file)
    out.print(f"wrote {count} step records to {escape(str(file))}")


@progress.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def import_(file: Path) -> None:
    """Merge FILE (from `workshop progress export`) into your progress."""
    count = _store().import_(file)
    out.print(f"merged {count} step records from {escape(str(file))}")


COMMANDS = [labs, check, hint, solve, reset, progress]
