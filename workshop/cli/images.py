"""``workshop image`` and ``workshop registry``: build images, look inside, push them.

Where Docker or Podman answers, ``image build`` and ``image push`` use it; otherwise the
workshop's daemonless builder writes an OCI image layout and crane pushes it.
"""

from __future__ import annotations

import shutil
import tarfile
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from workshop.containers import base, builder, engine, oci, store
from workshop.tools import registry as registries

console = Console(stderr=True, highlight=False)


def _human(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size} B"


@click.group("image")
def image_group() -> None:
    """Container images: build from a Dockerfile, show what is inside, push to a registry."""


@image_group.command("build")
@click.argument("context", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-t", "--tag", "reference", required=True, help="Name and tag, e.g. hello-web:1.0.")
@click.option("-f", "--file", "dockerfile", type=click.Path(path_type=Path), default=None)
@click.option("--build-arg", "build_args", multiple=True, help="KEY=VALUE for an ARG.")
@click.option("--offline", is_flag=True, help="Use the daemonless builder even if Docker runs.")
def build(
    context: Path,
    reference: str,
    dockerfile: Path | None,
    build_args: tuple[str, ...],
    offline: bool,
) -> None:
    """Build the image of CONTEXT (its Dockerfile) as NAME:TAG."""
    output = store.local_path(reference)
    args = dict(a.split("=", 1) for a in build_args if "=" in a)
    found = None if offline or _from_workshop_base(context, dockerfile) else engine.find()
    if found is not None:
        console.print(f"building with {found.name} {found.version}")
        extra = ["-f", str(dockerfile)] if dockerfile else []
        extra += [x for k, v in args.items() for x in ("--build-arg", f"{k}={v}")]
        found.run("build", "-t", reference, *extra, str(context))
        _save(found, reference, output)
    else:
        name, tag = store.split(reference)
        result = builder.build(
            context, f"{name}:{tag}", output=output, dockerfile=dockerfile, build_args=args
        )
        console.print(f"building with {result.builder}")
        for number, step in enumerate(result.steps, 1):
            made = f"  -> layer {step.layer[:19]}" if step.layer else ""
            click.echo(f"#{number} {step.text}{made}")
    image = oci.read(output)
    click.echo(
        f"built {reference} {image.digest} ({_human(image.size)}, {len(image.layers)} layers)"
    )
    click.echo(f"OCI layout: {output}")


def _from_workshop_base(context: Path, dockerfile: Path | None) -> bool:
    """Whether the Dockerfile starts FROM the workshop's base, which only this builder has."""
    try:
        text = (dockerfile or context / "Dockerfile").read_text()
    except OSError:
        return False
    froms = [i["value"] for i in builder.parse(text) if i["instruction"] == "FROM"]
    return any(f.split()[0] in (base.NAME, f"{base.NAME}:{base.TAG}") for f in froms)


def _save(found: engine.Engine, reference: str, output: Path) -> None:
    """``docker save`` (an OCI layout inside, Docker >= 25 and Podman) into ``output``."""
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "image.tar"
        found.run("save", "-o", str(archive), reference)
        if output.exists():
            shutil.rmtree(output)
        output.mkdir(parents=True)
        with tarfile.open(archive) as saved:
            saved.extractall(output, filter="data")


@image_group.command("show")
@click.argument("reference")
def show(reference: str) -> None:
    """Show the layers and config of a built image (NAME:TAG)."""
    image = oci.read(store.local_path(reference))
    out = Console(highlight=False, emoji=False, markup=False)  # Dockerfile text as it is
    problems = oci.verify(image)
    verdict = "; ".join(problems) or "digests verify"
    out.print(f"{reference} {image.digest} — {verdict}")
    table = Table("#", "digest", "size", "made by")
    for number, layer in enumerate(image.layers, 1):
        table.add_row(
            str(number),
            layer.descriptor.digest[:19],
            _human(layer.descriptor.size),
            layer.created_by,
        )
    out.print(table)
    settings = image.settings
    for key in ("Entrypoint", "Cmd", "Env", "ExposedPorts", "User", "WorkingDir", "Labels"):
        if settings.get(key):
            out.print(f"{key}: {settings[key]}")


@image_group.command("push")
@click.argument("reference")
def push(reference: str) -> None:
    """Push a built image (NAME:TAG) to the registry (the sandbox's, or $WORKSHOP_REGISTRY).

    crane sends the image's OCI layout, however it was built (an engine's build is saved
    as one too)."""
    target = registries.find()
    name, tag = store.split(reference)
    layout = store.local_path(reference)
    oci.read(layout)  # a clear error if it was never built
    pushed = registries.push(target, layout, name, tag)
    click.echo(f"pushed {pushed}")


@click.group("registry")
def registry_group() -> None:
    """The image registry: the sandbox's (a stand-in for OVHcloud Managed Private Registry)."""


@registry_group.command("info")
def info() -> None:
    """Where the registry is, its login, and how crane, helm and kubectl use it."""
    target = registries.find()
    click.echo(f"registry: {target.host}")
    if target.ca is not None:
        click.echo(f"CA:       {target.ca} (the sandbox's; its certificate is signed by it)")
    if target.user and target.password_file is not None:
        click.echo(f"user:     {target.user}")
        click.echo(f"password: in {target.password_file} (mode 0600; never printed)")
        click.echo(f"logins:   {target.registry_config} (crane: DOCKER_CONFIG, helm)")
    if target.ca is not None or target.docker_config is not None:
        trust = {k: v for k, v in target.variables().items() if k != "HELM_REGISTRY_CONFIG"}
        prefix = " ".join(f"{k}={v}" for k, v in trust.items())
        click.echo(f"crane:    {prefix} crane catalog {target.host}")
        flags = " ".join(target.helm_flags())
        click.echo(f"helm:     helm push CHART.tgz oci://{target.host}/charts {flags}")
    if target.user and target.password_file is not None:
        click.echo(
            f"docker:   docker login {target.host} -u {target.user} --password-stdin "
            f"< {target.password_file}"
        )
    click.echo(f"kubectl:  kubectl create deployment NAME --image={target.host}/NAME:TAG")


@registry_group.command("ls")
@click.argument("repository", required=False)
def ls(repository: str | None) -> None:
    """List the repositories, or the tags of REPOSITORY."""
    target = registries.find()
    found = registries.tags(target, repository) if repository else registries.catalog(target)
    if not found:
        console.print("(none yet)" if not repository else f"no tags in {repository}")
    for item in found:
        click.echo(item)


COMMANDS = (image_group, registry_group)
