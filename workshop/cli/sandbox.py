"""``workshop sandbox``: start, stop, inspect and reset the local cluster."""

from __future__ import annotations

import ipaddress
import socket
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from workshop.errors import SandboxError
from workshop.sandbox import COMPONENTS, PROFILES, Sandbox

console = Console(stderr=True, highlight=False)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def _size(n: int | None) -> str:
    return f"{n / 2**20:.0f} MiB" if n else "-"


@click.group("sandbox")
def group() -> None:
    """The local sandbox cluster (real Kubernetes, simulated nodes)."""


@group.command()
@click.option(
    "--nodes",
    type=click.IntRange(0, 100),
    default=None,
    help="Nodes of the default node pool (default 3; a pool holds at most 100).",
)
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default=None,
    help="Simulated delays: instant (tests) or lifelike (demos).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="kube-apiserver port.")
@click.option(
    "--address",
    default=None,
    help="Serve the API on this address of the machine (a classroom's LAN) instead of "
    "127.0.0.1: TLS, and a certificate or token on every request.",
)
def up(nodes: int | None, profile: str | None, port: int | None, address: str | None) -> None:
    """Start the sandbox if it is not running, and wait until it is Ready."""
    bind = check_address(address) if address else "127.0.0.1"
    sandbox = Sandbox(nodes=nodes, profile=profile, port=port, bind=bind)
    current = sandbox.status().api_url if sandbox.is_running() else None
    if current and not current.startswith(f"https://{bind}:"):
        raise SandboxError(
            f"the sandbox already runs at {current}",
            hint="`workshop sandbox down` first, then `up` again with the address you want",
        )
    started = time.monotonic()
    with console.status("starting the sandbox") as spinner:
        fresh = sandbox.up(progress=lambda msg: spinner.update(msg))
    elapsed = time.monotonic() - started
    if fresh:
        console.print(f"[green]sandbox ready[/] in {elapsed:.1f}s (context {sandbox.context})")
    else:
        console.print(f"sandbox already running (context {sandbox.context})")
    for notice in sandbox.notices:
        console.print(f"[yellow]note:[/] {notice}")
    if address:
        console.print(exposure_warning(sandbox.status().api_url or _url(bind, port)))
    click.echo(f"export KUBECONFIG={sandbox.kubeconfig}")


def _url(address: str, port: int | None) -> str:
    return f"https://{address}:{port or 'PORT'}"


def check_address(address: str) -> str:
    """One address of this machine: not every interface, and one a socket can bind."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError as e:
        raise SandboxError(
            f"--address {address!r} is not an IP address",
            hint="give this machine's address on the classroom network (`ip -brief addr`)",
        ) from e
    if ip.is_unspecified:
        raise SandboxError(
            f"--address {address} would listen on every interface",
            hint="give the one address learners reach (`ip -brief addr` lists them)",
        )
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, 0))
        except OSError as e:
            raise SandboxError(
                f"this machine has no address {address} ({e.strerror})",
                hint="`ip -brief addr` lists this machine's addresses",
            ) from e
    return str(ip)


def exposure_warning(api_url: str) -> str:
    """What becomes reachable from the network, said before anyone connects."""
    return "\n".join(
        [
            f"[yellow]warning:[/] the Kubernetes API now listens on {api_url}, reachable "
            "from the network:",
            "  - TLS with the sandbox's own CA; anonymous requests are refused: every request "
            "needs a client certificate or a token (`workshop class create` hands out tokens)",
            f"  - {Sandbox().kubeconfig} holds the admin certificate: never hand it out",
            "  - whoever holds a token may do what its role allows, e.g. a learner's pods, logs, "
            "port-forwards, and `kubectl exec`, which runs the command ON THIS MACHINE in a "
            "scratch folder (kwok simulates containers; as `nobody` only when the sandbox runs "
            "as root)",
            "  - LoadBalancer Services listen on this address too: the pages of every app "
            "exposed that way are reachable from the network (learners open them)",
            "  - everything else stays on 127.0.0.1: etcd, kwok",
            "  - `workshop sandbox down` closes it; `up` without --address serves loopback only",
        ]
    )


@group.command()
def down() -> None:
    """Stop every process of the sandbox (its objects are kept)."""
    sandbox = Sandbox()
    if sandbox.down():
        console.print("sandbox stopped; `workshop sandbox up` brings it back with every object")
    else:
        console.print("sandbox was not running")


@group.command()
@click.confirmation_option(prompt="Delete every object in the sandbox and start an empty cluster?")
def reset() -> None:
    """Start again from a fresh, empty cluster."""
    sandbox = Sandbox()
    with console.status("resetting the sandbox") as spinner:
        sandbox.reset(progress=lambda msg: spinner.update(msg))
    console.print("[green]fresh sandbox ready[/]")
    click.echo(f"export KUBECONFIG={sandbox.kubeconfig}")


@group.command()
def status() -> None:
    """Show the API URL, processes, versions, nodes and uptime."""
    st = Sandbox().status()
    out = Console(highlight=False)
    out.print(f"sandbox:    {'[green]running[/]' if st.running else '[yellow]stopped[/]'}")
    out.print(f"home:       {st.home}")
    out.print(f"kubeconfig: {st.kubeconfig}")
    if st.api_url:
        out.print(f"API:        {st.api_url}")
    registry = Sandbox().registry_host()
    if registry:
        out.print(f"registry:   https://{registry} (images and Helm charts)")
    if st.etcd_url:
        out.print(f"etcd:       {st.etcd_url} (TLS, client certificates of etcd's CA only)")
        etcd = Sandbox().etcd()
        if etcd:
            out.print(f"            etcd client certificate: {etcd.cert}", soft_wrap=True)
    if st.exec_runs:
        out.print(f"exec:       {st.exec_runs}")
    if st.profile:
        out.print(f"profile:    {st.profile}")
    if not st.running:
        if st.leftovers:
            out.print(
                f"[yellow]stopped abruptly:[/] {len(st.leftovers)} of its processes are left "
                f"({', '.join(map(str, st.leftovers))}); `workshop sandbox up` ends them and "
                "starts it again, with every object"
            )
        raise SystemExit(3)
    if st.version:
        out.print(f"version:    {st.version}")
    else:
        out.print(
            "version:    - (kube-apiserver does not answer right now; the supervisor restarts "
            "what stopped, see the table)"
        )
    if st.nodes is not None:
        out.print(f"nodes:      {st.ready_nodes}/{st.nodes} Ready")
    if st.uptime is not None:
        out.print(f"uptime:     {_duration(st.uptime)}")
    table = Table("component", "state", "pid", "restarts", "memory (RSS)")
    total = 0
    for c in st.components:
        total += c.rss_bytes or 0
        table.add_row(c.name, c.state, str(c.pid or "-"), str(c.restarts), _size(c.rss_bytes))
    table.add_row("total", "", "", "", _size(total))
    out.print(table)


@group.command()
def urls() -> None:
    """List the LoadBalancer Services and where their load balancers listen."""
    found = Sandbox().urls()
    if not found:
        console.print(
            "no LoadBalancer Service yet; try: kubectl expose deployment hello "
            "--type=LoadBalancer --port=80"
        )
        return
    table = Table("namespace", "service", "url")
    for namespace, name, addresses in found:
        table.add_row(namespace, name, " ".join(addresses) or "(pending)")
    Console(highlight=False).print(table)


@group.command()
@click.argument("component", required=False, type=click.Choice([*COMPONENTS, "supervisor"]))
@click.option("-n", "--lines", default=40, show_default=True, help="Lines to show per component.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines.")
def logs(component: str | None, lines: int, follow: bool) -> None:
    """Show a component's log (all components when none is named)."""
    sandbox = Sandbox()
    names = [component] if component else [*COMPONENTS, "supervisor"]
    paths = [(name, sandbox.log_file(name)) for name in names]
    for name, path in paths:
        if not path.exists():
            continue
        if len(paths) > 1:
            click.secho(f"==> {name} <==", bold=True)
        for line in path.read_text(errors="replace").splitlines()[-lines:]:
            click.echo(line)
    if follow:
        _follow([p for _, p in paths])


def _follow(paths: list[Path]) -> None:
    offsets = {p: p.stat().st_size if p.exists() else 0 for p in paths}
    try:
        while True:
            for path in paths:
                if not path.exists():
                    continue
                size = path.stat().st_size
                if size < offsets[path]:
                    offsets[path] = 0
                if size > offsets[path]:
                    with path.open("rb") as f:
                        f.seek(offsets[path])
                        chunk = f.read()
                    offsets[path] = size
                    click.echo(chunk.decode(errors="replace"), nl=False)
            time.sleep(0.3)
    except KeyboardInterrupt:
        return
