"""The ``workshop`` command: one group, one module per sub-command family.

Errors a learner can act on (``WorkshopError``) are printed as a message and a next step,
with exit code 1, never as a traceback. So is a file under ``$WORKSHOP_HOME`` that cannot
be written (a read-only or full disk). Any other ``OSError`` that reaches this far is said
in one sentence too, as unexpected; ``WORKSHOP_DEBUG=1`` shows its traceback (and lets
every error out with its traceback). Other exceptions are bugs: their traceback is kept.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from workshop import writes
from workshop.cli import binaries, classroom, cloud, course, images, sandbox, teaching
from workshop.errors import WorkshopError

DEBUG_VARIABLE = "WORKSHOP_DEBUG"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="k8s-workshop", prog_name="workshop")
def cli() -> None:
    """A hands-on Kubernetes workshop: real Kubernetes in a local sandbox."""


cli.add_command(binaries.group)
cli.add_command(sandbox.group)
cli.add_command(cloud.group)
cli.add_command(classroom.group)
for command in course.COMMANDS:
    cli.add_command(command)
for command in images.COMMANDS:
    cli.add_command(command)
for command in teaching.COMMANDS:
    cli.add_command(command)


def main() -> None:
    """Run the CLI, turning workshop errors into a readable message and exit code."""
    sys.exit(run(sys.argv[1:]))


def run(args: Sequence[str], *, obj: object = None) -> int:
    """Run ``workshop ARGS``; the exit code. Errors are printed, not raised.

    ``obj`` is the click context's object (tests pass ``course.Seams``)."""
    debug = bool(os.environ.get(DEBUG_VARIABLE))
    try:
        # standalone_mode=False returns ctx.exit()'s code instead of exiting: pass it on.
        code = cli.main(list(args), prog_name="workshop", standalone_mode=False, obj=obj)
        return code if isinstance(code, int) else 0
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except click.exceptions.Exit as e:
        return e.exit_code
    except SystemExit as e:  # `raise SystemExit(3)`: a status that says "stopped"
        if e.code is None or isinstance(e.code, int):
            return e.code or 0
        click.echo(str(e.code), err=True)
        return 1
    except WorkshopError as e:
        if debug:
            raise
        click.secho(f"error: {e}", fg="red", err=True)
        return e.exit_code
    except OSError as e:
        if debug:
            raise
        if writes.is_under_home(e):
            click.secho(f"error: {writes.home_error(e)}", fg="red", err=True)
            return 1
        click.secho(
            f"error: unexpected: {e}\n  -> {DEBUG_VARIABLE}=1 shows where it happened; "
            "please report it with that output",
            fg="red",
            err=True,
        )
        return 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        return 130
