"""``workshop binaries``: see, install and locate the real tools (etcd, kube-*, kwok, kubectl).

Failures exit with ``sys.exit(1)``: ``workshop.cli.main`` runs click with
``standalone_mode=False``, where a ``click.exceptions.Exit`` code would be returned, not used.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import get_args

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from workshop.binaries import CATALOGUE, ProgressEvent, Via, find, install, status
from workshop.errors import BinaryError

_HEARTBEAT_SECONDS = 30.0


@click.group(name="binaries")
def group() -> None:
    """The real tools the sandbox runs: where they are, and how to get them."""


@group.command(name="status")
def status_command() -> None:
    """Show each binary: wanted and found version, where it comes from (exit 1 if missing)."""
    console = Console()
    table = Table(title="workshop binaries")
    for column in ("binary", "wanted", "found", "source"):
        table.add_column(column, no_wrap=True)
    table.add_column("path", overflow="fold")
    table.add_column("note", overflow="fold")
    rows = status()
    for row in rows:
        style = "red" if row.missing else "green"
        table.add_row(
            row.name,
            row.wanted,
            row.found or "-",
            f"[{style}]{row.source}[/{style}]",
            _short(row.path),
            row.note,
        )
    console.print(table)
    if any(row.missing for row in rows):
        console.print("Some binaries are missing: run `workshop binaries install`.")
        sys.exit(1)


@group.command(name="install")
@click.argument("names", nargs=-1, type=click.Choice(list(CATALOGUE)))
@click.option(
    "--via",
    type=click.Choice(get_args(Via)),
    default="auto",
    show_default=True,
    help="auto: build with Go when go >= 1.26 is on PATH, else download the release.",
)
def install_command(names: tuple[str, ...], via: Via) -> None:
    """Build or download the missing binaries (all of them when no NAMES are given)."""
    console = Console()
    display = _Display(console)
    try:
        with display.bar:
            paths = install(names or None, via=via, progress=display.on_event)
    except BinaryError as e:
        console.print(f"[red]error:[/red] {escape(str(e))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    for name, path in paths.items():
        console.print(f"{name}: {path}", highlight=False, soft_wrap=True)


@group.command(name="path")
@click.argument("name", type=click.Choice(list(CATALOGUE)))
def path_command(name: str) -> None:
    """Print the path of NAME (PATH or cache); exit 1 if it is not installed."""
    try:
        click.echo(str(find(name)))
    except BinaryError as e:
        click.secho(f"error: {e}", fg="red", err=True)
        sys.exit(1)


class _Display:
    """One progress row per group with its elapsed time; plain lines when not a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.bar = Progress(
            SpinnerColumn(finished_text="[green]✓[/green]"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.fields[detail]}", markup=True),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self.lines: dict[str, int] = {}
        self.last_heartbeat = time.monotonic()

    def on_event(self, event: ProgressEvent) -> None:
        if event.kind == "found":
            self.bar.console.print(f"[green]✓[/green] {escape(event.message)}", highlight=False)
            return
        task = self.tasks.get(event.group)
        if task is None:
            task = self.bar.add_task(escape(event.group), total=None, detail="")
            self.tasks[event.group] = task
            self.lines[event.group] = 0
        if event.kind == "line":
            self.lines[event.group] += 1
            count = self.lines[event.group]
            self.bar.update(task, detail=escape(f"#{count} {event.message[-70:]}"))
            self._heartbeat(event.group, count)
            return
        if event.kind == "done":
            self.bar.update(
                task, total=1, completed=1, description=escape(event.message), detail=""
            )
        else:
            self.bar.update(task, description=escape(event.message))
        if not self.console.is_terminal:
            self.console.print(escape(f"{event.group}: {event.message}"), highlight=False)

    def _heartbeat(self, group: str, count: int) -> None:
        """Without a live display (CI logs), print a line now and then to show go is busy."""
        now = time.monotonic()
        if self.console.is_terminal or now - self.last_heartbeat < _HEARTBEAT_SECONDS:
            return
        self.last_heartbeat = now
        task = self.bar.tasks[self.tasks[group]]
        elapsed = task.elapsed or 0.0
        self.console.print(
            f"{group}: still working, {count} lines, {elapsed:.0f}s", highlight=False
        )


def _short(path: Path | None) -> str:
    """A path with the home folder written ``~``, so the table stays readable."""
    if path is None:
        return "-"
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)
