"""The ``workshop`` command: one group, one module per sub-command family.

Errors a learner can act on (``WorkshopError``) are printed as a message and a next step,
with exit code 1, never as a traceback.
"""

from __future__ import annotations

import sys

import click

from workshop.cli import binaries, cloud, course, images, sandbox
from workshop.errors import WorkshopError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="k8s-workshop", prog_name="workshop")
def cli() -> None:
    """A hands-on Kubernetes workshop: real Kubernetes in a local sandbox."""


cli.add_command(binaries.group)
cli.add_command(sandbox.group)
cli.add_command(cloud.group)
for command in course.COMMANDS:
    cli.add_command(command)
for command in images.COMMANDS:
    cli.add_command(command)


def main() -> None:
    """Run the CLI, turning workshop errors into a readable message and exit code."""
    try:
        # standalone_mode=False returns ctx.exit()'s code instead of exiting: pass it on.
        sys.exit(cli.main(standalone_mode=False) or 0)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except WorkshopError as e:
        click.secho(f"error: {e}", fg="red", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
