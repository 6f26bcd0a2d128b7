"""``workshop cloud``: the emulated OVHcloud API (start, stop, status, keys, audit logs)."""

from __future__ import annotations

import sys
import time

import click
from rich.console import Console
from rich.table import Table

from workshop.cloud import PROFILES, Emulator, audit
from workshop.home import workshop_home

console = Console(stderr=True, highlight=False)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@click.group("cloud")
def group() -> None:
    """The emulated OVHcloud API: Managed Kubernetes clusters that are real sandboxes."""


@group.command()
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="API port.")
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default=None,
    help="Delays: instant (tests) or lifelike (a cluster takes a minute to install).",
)
@click.option(
    "--credentials/--no-credentials",
    default=True,
    show_default=True,
    help="Create keys in ovh.conf if there are none.",
)
def up(port: int | None, profile: str | None, credentials: bool) -> None:
    """Start the emulated API in the background (keys go to $WORKSHOP_HOME/ovh.conf)."""
    emulator = Emulator(port=port, profile=profile)
    started = time.monotonic()
    with console.status("starting the emulated OVHcloud API"):
        fresh = emulator.up()
    if fresh:
        console.print(f"[green]emulated OVHcloud API ready[/] in {time.monotonic() - started:.1f}s")
    else:
        console.print("emulated OVHcloud API already running")
    if credentials and not emulator.has_credentials():
        emulator.credentials()
        console.print(f"new keys written to {emulator.ovh_conf} (they are never printed)")
    console.print("from Python: [bold]workshop.tools.ovh.client()[/]")
    click.echo(emulator.url)


@group.command()
def down() -> None:
    """Stop the emulated API and every cluster's processes (everything is kept)."""
    if Emulator().down():
        console.print(
            "emulated OVHcloud API stopped; `workshop cloud up` brings every cluster back"
        )
    else:
        console.print("emulated OVHcloud API was not running")


@group.command()
def status() -> None:
    """Show the endpoint, the keys (masked) and the clusters."""
    st = Emulator().status()
    out = Console(highlight=False)
    out.print(
        f"emulated OVHcloud API: {'[green]running[/]' if st.running else '[yellow]stopped[/]'}"
    )
    if st.url:
        out.print(f"endpoint:  {st.url}")
    out.print(f"ovh.conf:  {st.ovh_conf}{'' if st.keys else ' (no keys yet)'}")
    if st.keys:
        out.print(
            "keys:      application {application_key}, secret {application_secret}, "
            "consumer {consumer_key}".format(**st.keys)
        )
    if st.profile:
        out.print(f"profile:   {st.profile}")
    if st.uptime is not None:
        out.print(f"uptime:    {_duration(st.uptime)}")
    if st.clusters:
        table = Table(
            "name", "id", "region", "status", "version", "pools", "nodes", "endpoint", "processes"
        )
        for c in st.clusters:
            table.add_row(
                c.name,
                c.id,
                c.region,
                c.status,
                c.version,
                str(c.pools),
                str(c.nodes),
                c.url,
                "running" if c.running else "stopped",
            )
        out.print(table)
    for c in st.clusters:
        if c.message:
            out.print(f"[red]{c.name} is in ERROR:[/] {c.message}")
        for pool, reason in sorted(c.pool_errors.items()):
            out.print(
                f"[red]node pool {pool} of {c.name} is in ERROR:[/] {reason} "
                "(a new PUT of the pool tries again)"
            )
    if not st.running:
        raise SystemExit(3)


@group.command()
@click.option("--read-only", is_flag=True, help="Only GET calls (access rule GET /*).")
@click.option(
    "--validity",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Seconds the consumer key stays valid (0: unlimited).",
)
def credentials(read_only: bool, validity: int) -> None:
    """Create an application and a validated consumer key, as on the real service."""
    emulator = Emulator()
    rules = [{"method": "GET", "path": "/*"}] if read_only else None
    path = emulator.credentials(rules=rules, validity=validity)
    console.print(f"new keys written to {path} (readable by you only)")


@group.command("audit")
@click.argument("cluster")
@click.option("--verb", help="create, update, patch, delete, get, list, ...")
@click.option("--resource", help="deployments, pods, pods/exec, ...")
@click.option("--name", help="The object's name.")
@click.option("-n", "--namespace", help="The object's namespace.")
@click.option("--user", help="Who made the call (kubernetes-admin, a ServiceAccount, ...).")
@click.option("--system", is_flag=True, help="Also show the calls of the cluster's own components.")
def audit_command(
    cluster: str,
    verb: str | None,
    resource: str | None,
    name: str | None,
    namespace: str | None,
    user: str | None,
    system: bool,
) -> None:
    """Read a managed cluster's control plane audit log: who did what, when, from where."""
    found = audit.events(
        workshop_home(),
        cluster,
        verb=verb,
        resource=resource,
        name=name,
        namespace=namespace,
        user=user,
        system=system,
    )
    table = Table("time", "user", "verb", "resource", "object", "code", "from", "client")
    for e in found:
        table.add_row(
            e.time,
            e.user,
            e.verb,
            e.resource,
            e.target,
            str(e.code or ""),
            ", ".join(e.source_ips),
            e.user_agent.split(" ")[0],
        )
    # a notebook's `!workshop cloud audit` is no terminal: rich would squeeze the table
    # into 80 columns and cut the user names, the very thing the learner looks for
    width = None if sys.stdout.isatty() else 200
    Console(highlight=False, width=width).print(table)
    console.print(f"{len(found)} events")
