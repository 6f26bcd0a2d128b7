"""The sandbox's supervisor: a small daemon that runs the components and restarts them.

``workshop sandbox up`` writes the plan (``run/plan.json``: each component's argv and
environment) and starts ``python -m workshop.sandbox.supervisor <home>`` in its own
session. The supervisor starts etcd and kube-apiserver; once the API answers it applies the
sandbox's own objects (CRDs, RBAC, StorageClasses: ``run/bootstrap.json``), then starts the
controller-manager, the scheduler, kwok and the add-on controllers. A component that dies
is restarted with a growing back-off, like a kubelet restarts a container; its log keeps
every run. The children die with the supervisor (PR_SET_PDEATHSIG), so a killed
supervisor never leaves a half cluster behind, and etcd's data on disk keeps every
object for the next ``up``.
Where kwok is jailed, the supervisor first makes the jail's network, loads its firewall
rule and starts the relays that cross it (``jailnet.py``, ``relays.py``); each kwok starts
inside that network, and the add-ons get a descriptor of it.
SIGTERM stops the components in reverse order, etcd last.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from workshop.sandbox import api as sandbox_api
from workshop.sandbox import bootstrap, jailnet, netns, relays
from workshop.sandbox.layout import Layout

POLL = 0.1
FAST_EXIT = 10.0  # a run shorter than this counts as a crash at start
MAX_BACKOFF = 30.0
STOP_GRACE = 10.0
LOG_ROTATE_BYTES = 20 * 1024 * 1024


# The open-file limit the supervisor was given: the relays raise their own, the children
# get this one back (a learner's exec gets no more files for it).
_FILES = resource.getrlimit(resource.RLIMIT_NOFILE)


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this child when the supervisor dies (runs in the child)."""
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_NOFILE, _FILES)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _in_network(jail: int) -> Callable[[], None]:
    """Run in a child of kwok's jail before its program: die with us, enter the jail's network."""

    def prepare() -> None:
        _die_with_parent()
        netns.enter(jail)

    return prepare


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    needs_api: bool
    netns: str = ""
    """``enter``: runs in kwok's jail network; ``pass``: is given a descriptor of it."""
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restarts: int = 0
    fast_exits: int = 0
    next_start: float = 0.0
    last_exit: int | None = None
    state: str = "waiting"
    log: IO[bytes] | None = field(default=None, repr=False)


class Supervisor:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        plan = json.loads((layout.run / "plan.json").read_text())
        host = plan.get("apiserverHost", "127.0.0.1")  # another address with `up --address`
        self.api = sandbox_api.load(host, plan["apiserverPort"], layout.pki)
        self.children = [
            Child(c["name"], c["argv"], c["env"], c["needs_api"], c.get("netns", ""))
            for c in plan["components"]
        ]
        self.crossing = jailnet.Crossing.from_plan(plan.get("jailNetwork"))
        self.jail: int | None = None  # kwok's network, once made
        self.isolation: str | None = "not made yet"
        """Why ``exec`` reaches more than the API relay in the jail (None: it does not)."""
        bootstrap_file = layout.run / "bootstrap.json"
        self.manifests: list[dict[str, Any]] = (
            json.loads(bootstrap_file.read_text()) if bootstrap_file.exists() else []
        )
        self.started = time.time()
        self.stopping = False
        self.api_ready = False
        self.bootstrapped = not self.manifests
        self.bootstrap_error: str | None = None

    # -- processes ---------------------------------------------------------------------

    def _open_log(self, child: Child) -> IO[bytes]:
        path = self.layout.log_file(child.name)
        if path.exists() and path.stat().st_size > LOG_ROTATE_BYTES:
            path.replace(path.with_suffix(".log.1"))
        log = path.open("ab")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        log.write(f"--- workshop: starting {child.name} at {stamp} ---\n".encode())
        log.flush()
        return log

    def open_jail_network(self) -> None:
        """Make kwok's network, load its rule, start the relays; raises OSError."""
        assert self.crossing is not None
        self.jail = netns.create()
        self.isolation = self.isolate(self.jail, self.crossing)
        if self.isolation:
            print(f"workshop: exec is jailed without network isolation: {self.isolation}")
        relays.Relays(self.crossing, self.jail, lambda line: print(line, flush=True)).start()

    @staticmethod
    def isolate(jail: int, crossing: jailnet.Crossing) -> str | None:
        """Load the jail's firewall rule into its own network; why not, if it fails."""
        if crossing.nft is None:
            return "nft does not work here (`make setup` installs nftables)"
        try:
            loaded = subprocess.run(
                [crossing.nft, "-f", "-"],
                input=jailnet.rules(crossing.api_port).encode(),
                capture_output=True,
                timeout=10,
                check=False,
                preexec_fn=lambda: netns.enter(jail),  # the jail's network, never the machine's
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"nft failed: {e}"
        if loaded.returncode != 0:
            said = loaded.stderr.decode(errors="replace").strip().splitlines()
            return f"nft failed: {said[0] if said else loaded.returncode}"
        return None

    def start(self, child: Child) -> None:
        if child.name == "kwok" and child.restarts:
            self.release_leases()
        if child.log:
            child.log.close()
        child.log = self._open_log(child)
        env, prepare = child.env, _die_with_parent
        keep: tuple[int, ...] = ()
        jail = self.jail
        if jail is not None and child.netns == "enter":
            prepare = _in_network(jail)
        elif jail is not None and child.netns == "pass":
            env, keep = {**env, netns.FD_VARIABLE: str(jail)}, (jail,)
        child.process = subprocess.Popen(
            child.argv,
            stdin=subprocess.DEVNULL,
            stdout=child.log,
            stderr=subprocess.STDOUT,
            # the plan's environment and nothing else (components.py says what is in it),
            # but for the number of the descriptor of kwok's network given to the add-ons
            env=env,
            pass_fds=keep,
            preexec_fn=prepare,
        )
        child.started = time.monotonic()
        child.state = "running"

    def reap(self, child: Child, now: float) -> None:
        """Handle a child that exited: schedule its restart with back-off."""
        assert child.process is not None
        child.last_exit = child.process.returncode
        ran = now - child.started
        child.process = None
        child.fast_exits = child.fast_exits + 1 if ran < FAST_EXIT else 0
        backoff = min(MAX_BACKOFF, 0.5 * 2 ** max(0, child.fast_exits - 1))
        child.next_start = now + backoff
        child.restarts += 1
        child.state = "crashlooping" if child.fast_exits >= 3 else "restarting"
        if child.log:
            child.log.write(
                f"--- workshop: {child.name} exited with {child.last_exit} after {ran:.1f}s; "
                f"restarting in {backoff:.1f}s ---\n".encode()
            )
            child.log.flush()

    def stop_all(self) -> None:
        for child in reversed(self.children):
            if child.process and child.process.poll() is None:
                child.process.terminate()
                try:
                    child.process.wait(STOP_GRACE)
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait()
            child.state = "stopped"
            if child.log:
                child.log.close()
                child.log = None

    # -- status ----------------------------------------------------------------------------

    def write_status(self) -> None:
        status: dict[str, Any] = {
            "pid": os.getpid(),
            "startedAt": self.started,
            "apiReady": self.api_ready,
            "bootstrapError": self.bootstrap_error,
            "jailNetwork": (
                {"isolated": self.isolation is None, "problem": self.isolation}
                if self.crossing
                else None
            ),
            "components": {
                c.name: {
                    "pid": c.process.pid if c.process else None,
                    "state": c.state,
                    "restarts": c.restarts,
                    "lastExit": c.last_exit,
                    "binary": c.argv[0],
                }
                for c in self.children
            },
        }
        tmp = self.layout.status_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(status, indent=1))
        tmp.replace(self.layout.status_file)

    def bootstrap(self) -> None:
        """Apply the sandbox's own objects; on failure, say why and try again later."""
        # stdout is the supervisor's log file
        try:
            done = bootstrap.apply(self.api, self.manifests)
            bootstrap.wait_established(self.api, self.manifests)
            done += bootstrap.release_node_leases(self.api)
        except (OSError, TimeoutError, http.client.HTTPException, sandbox_api.ApiError) as e:
            self.bootstrap_error = str(e)
            print(f"workshop: applying the sandbox's objects failed, retrying: {e}", flush=True)
            return
        self.bootstrap_error = None
        self.bootstrapped = True
        for line in done:
            print(f"workshop: {line}", flush=True)

    def release_leases(self) -> None:
        """Before a restarted kwok runs, free the nodes its dead predecessor held, so it
        drives their pods now rather than when the leases expire (40 s)."""
        try:
            done = bootstrap.release_node_leases(self.api)
        except (OSError, TimeoutError, http.client.HTTPException, sandbox_api.ApiError) as e:
            print(f"workshop: could not release the dead kwok's node leases: {e}", flush=True)
            return
        for line in done:
            print(f"workshop: {line}", flush=True)

    # -- main loop -------------------------------------------------------------------------

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        if self.crossing is not None:
            try:
                self.open_jail_network()
            except OSError as e:
                # no kwok without its jail's network: `up` shows this line and stops
                print(f"workshop: kwok's jail network could not be made: {e}", flush=True)
                return
        last_status = ""
        last_probe = 0.0
        last_bootstrap = 0.0
        while not self.stopping:
            now = time.monotonic()
            if not self.api_ready and now - last_probe > 0.2:
                last_probe = now
                self.api_ready = self.api.ready()
            if self.api_ready and not self.bootstrapped and now - last_bootstrap > 2:
                last_bootstrap = now
                self.bootstrap()
            for child in self.children:
                if child.process is not None:
                    if child.process.poll() is not None:
                        self.reap(child, now)
                elif now >= child.next_start and (
                    (self.api_ready and self.bootstrapped) or not child.needs_api
                ):
                    self.start(child)
            snapshot = repr(
                [(c.state, c.restarts, c.process and c.process.pid) for c in self.children]
            )
            snapshot += f"{self.api_ready}{self.bootstrap_error}"
            if snapshot != last_status:
                self.write_status()
                last_status = snapshot
            time.sleep(POLL)
        self.stop_all()
        self.write_status()

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True


def main(argv: list[str]) -> int:
    layout = Layout(Path(argv[0]))
    # Detach: the process that started us returns at once and is not left with a child
    # to reap; this copy lives on, adopted by init.
    if os.fork() > 0:
        os._exit(0)
    layout.supervisor_pid.write_text(str(os.getpid()))
    try:
        Supervisor(layout).run()
    finally:
        with contextlib.suppress(FileNotFoundError):
            layout.supervisor_pid.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
