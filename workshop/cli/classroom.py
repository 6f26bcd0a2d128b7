"""``workshop class``: create, inspect, follow and delete an instructor-led class.

Run with the instructor's kubeconfig (the sandbox by default, or ``--context``): the
class's namespaces, rights and quotas are created there, and each learner gets a
kubeconfig file with a time-limited token.
"""

from __future__ import annotations

import time
import webbrowser
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from workshop.cli.course import cluster_options
from workshop.errors import WorkshopError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _admin(context: str | None, kubeconfig: Path | None) -> Any:
    from workshop.cluster import connect

    cluster = connect(context, kubeconfig=kubeconfig, say=err.print)
    if cluster.seat is not None:
        raise WorkshopError(
            f"{cluster.context} is a learner's kubeconfig (class {cluster.seat.class_name})",
            hint="run `workshop class` with the instructor's (admin) kubeconfig",
        )
    return cluster


def _local_sandbox(admin: Any) -> tuple[Any, Any] | None:
    """This machine's sandbox and its status, when the class is on it (else None: a real
    cluster, where exec runs in the container on its node, or another machine's sandbox,
    whose own jail decides)."""
    if not admin.is_sandbox:
        return None
    from workshop.sandbox import Sandbox

    # the sandbox whose kubeconfig this is (<home>/kubeconfig), else this user's own
    homes = [p.parent for p in admin.kubeconfig_paths if (p.parent / "sandbox").is_dir()]
    for box in [*(Sandbox(home) for home in homes), Sandbox()]:
        status = box.status()
        if status.running and status.api_url == admin.server.rstrip("/"):
            return box, status
    return None


def _unjailed_exec(admin: Any) -> str | None:
    """Where exec runs, if the class is on this machine's sandbox and exec is not jailed."""
    local = _local_sandbox(admin)
    if local is None:
        return None
    status = local[1]
    return None if status.exec_jailed else status.exec_runs or "on this machine"


@click.group("class")
def group() -> None:
    """Instructor-led classes: isolated learners on one cluster, and a live board."""


@group.command()
@click.argument("name")
@click.option("--learners", type=click.IntRange(1, 999), default=None, help="How many learners.")
@click.option(
    "--roster",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A CSV file: one learner name per row (a `name` header is optional).",
)
@click.option("--labs", "lab_refs", default=None, help="Labs to prepare, e.g. 04,05 (default all).")
@click.option(
    "--hours",
    type=click.FloatRange(0.17, 24 * 7),
    default=8.0,
    show_default=True,
    help="How long the learners' tokens last (10 minutes at least).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the kubeconfigs and the sheet (default ./class-NAME).",
)
@click.option(
    "--server",
    default=None,
    help="API server URL the learners reach (default: the one in your kubeconfig).",
)
@click.option(
    "--overcommit",
    is_flag=True,
    help="Create the class even if the nodes cannot hold every learner at their quotas.",
)
@cluster_options
def create(
    name: str,
    learners: int | None,
    roster: Path | None,
    lab_refs: str | None,
    hours: float,
    out_dir: Path | None,
    server: str | None,
    overcommit: bool,
    context: str | None,
    kubeconfig: Path | None,
) -> None:
    """Create a class: per learner, namespaces, rights, quotas and a kubeconfig."""
    from workshop import classroom
    from workshop.classroom import roster as rosters
    from workshop.course import find_lab, list_labs

    classroom.check_class_name(name)
    if (learners is None) == (roster is None):
        raise click.UsageError("give --learners N or --roster FILE (one of them)")
    people = rosters.numbered(learners) if learners else rosters.from_csv(roster)  # type: ignore[arg-type]
    labs = [find_lab(r) for r in lab_refs.split(",")] if lab_refs else list_labs()
    namespaces = sorted({lab.base_namespace for lab in labs})
    rosters.check_fits(name, people, namespaces)
    admin = _admin(context, kubeconfig)
    unjailed = _unjailed_exec(admin)
    if unjailed:
        err.print(
            f"learners get no `kubectl exec`: in this sandbox it runs {unjailed}, so a "
            "learner's command could reach what this machine holds or serves (run the sandbox "
            "as root, "
            "with bubblewrap and nftables from `make setup`, to give it to them in a jail with a "
            "network of its own)"
        )
    plan = classroom.ClassPlan(
        name,
        people,
        namespaces,
        footprints={lab.base_namespace: lab.spec.footprint for lab in labs},
        token_seconds=int(hours * 3600),
        exec_allowed=not unjailed,
    )
    folder = out_dir or Path(f"class-{name}")
    started = time.monotonic()
    with err.status("creating the class") as spinner:
        created = classroom.create(
            admin,
            plan,
            folder,
            token_seconds=plan.token_seconds,
            server=server,
            say=spinner.update,
            overcommit=overcommit,
        )
    elapsed = time.monotonic() - started
    total = len(people) * (1 + len(namespaces))
    out.print(
        f"[green]class {name}[/]: {len(people)} learners, {total} namespaces, "
        f"in {elapsed:.1f}s on {admin.describe()}"
    )
    each = plan.learner_total()
    out.print(
        f"each learner: at most {each.pods} pods, {each.cpu} CPU and {each.memory} of "
        "requests over all their namespaces"
    )
    out.print(f"kubeconfigs (one per learner, mode 600): {folder}/*.kubeconfig")
    out.print(f"printable sheet: {created.sheets[0]} (and {created.sheets[1].name})")
    out.print(f"tokens expire at {created.seats[0].expires}")
    out.print(f"follow it: workshop class board {name}")


@group.command()
@click.argument("name")
@click.option("--no-wait", is_flag=True, help="Return once deletion has started.")
@click.confirmation_option(prompt="Delete the class, every learner's namespace and work?")
@cluster_options
def delete(name: str, no_wait: bool, context: str | None, kubeconfig: Path | None) -> None:
    """Remove everything the class created (namespaces, roles; its tokens stop working)."""
    from workshop import classroom

    admin = _admin(context, kubeconfig)
    with err.status(f"deleting class {name}") as spinner:
        count = classroom.delete(admin, name, wait=not no_wait, say=spinner.update)
    if not count:
        out.print(f"no class {name} here")
        return
    out.print(f"class {name} deleted: {count} namespaces")
    local = _local_sandbox(admin)
    ended = local[0].end_exec() if local is not None else 0
    if ended:
        # one exec user for every learner of the sandbox: every class's commands end
        out.print(f"ended {ended} processes `kubectl exec` had left running in the sandbox")


@group.command()
@click.argument("name")
@cluster_options
def status(name: str, context: str | None, kubeconfig: Path | None) -> None:
    """What exists of the class: per learner, namespaces, pods, steps done, token expiry."""
    from workshop import classroom

    found = classroom.status(_admin(context, kubeconfig), name)
    if not found:
        out.print(f"no class {name} here (`workshop class create {name} --learners N`)")
        raise SystemExit(3)
    table = Table(
        "learner",
        "namespaces",
        "pods (quota)",
        "steps done",
        "failing",
        "token expires",
        title=f"class {name}",
    )
    for s in found:
        table.add_row(
            s.learner,
            str(s.namespaces),
            f"{s.pods}/{s.pods_allowed}",
            str(s.steps_done),
            str(s.steps_failing),
            s.token_expires or "-",
        )
    out.print(table)


@group.command()
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@cluster_options
def export(name: str, file: Path, context: str | None, kubeconfig: Path | None) -> None:
    """Write the class's progress to a CSV file (one row per learner and lab step)."""
    from workshop.classroom.board import to_csv
    from workshop.classroom.provision import progress

    rows = progress(_admin(context, kubeconfig), name)
    file.write_text(to_csv(rows))
    out.print(f"{len(rows)} learner steps written to {file}")


@group.command()
@click.argument("name")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Loopback port (0: any).")
@click.option(
    "--stuck-minutes",
    type=click.FloatRange(0.1),
    default=10.0,
    show_default=True,
    help="A step not passed after this long shows as stuck.",
)
@click.option("--open/--no-open", "open_browser", default=True, help="Open it in a browser.")
@cluster_options
def board(
    name: str,
    port: int,
    stuck_minutes: float,
    open_browser: bool,
    context: str | None,
    kubeconfig: Path | None,
) -> None:
    """A live board for a projector: learners x lab steps, and the checks failed most."""
    try:
        from workshop.classroom.board import LiveBoard
        from workshop.classroom.web import serve
    except ModuleNotFoundError as e:
        raise WorkshopError(
            f"the board needs the notebook extras ({e.name} is missing)",
            hint="pip install 'k8s-workshop[lab]' (make setup installs them)",
        ) from e
    admin = _admin(context, kubeconfig)
    live = LiveBoard(admin.api, name, stuck_after=stuck_minutes * 60).start()
    server = serve(live, port=port)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    out.print(f"class board: {url}   (Ctrl-C stops it)")
    if open_browser:
        webbrowser.open(url)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
        live.stop()
