"""``kubectl exec`` in a jail: kwok inside bubblewrap (pure but for ``bwrap()``).

kwok answers ``kubectl exec`` by running the command as a local process of its own, on the
machine that runs the sandbox. A sandbox run as root already runs those commands as
``nobody`` (kwokconfig); this module also starts kwok in new PID, IPC and UTS namespaces
with a filesystem of its own, so what a learner's command sees is:
- only kwok and the learner's own commands as processes (no ``ps`` of the machine: no
  command line of JupyterLab with its token, no sandbox process to kill);
- the system's programs and ``/etc`` read-only, a private ``/tmp`` of limited size (where
  ``exec`` runs: HOME and TMPDIR), and of the workshop only the files kwok reads, which
  root alone may open (its kubeconfig and key, 0600) or whose folder only root may enter
  (the pods' logs);
- nothing of the home folders, the workshop's checkout, the sandbox's other files.

The network is the jail's own (``jailnet.py``): a loopback where kube-apiserver is
reached through a relay, and nothing of the machine's loopback (etcd, the load balancers,
the registry). The supervisor makes it, so it is not bwrap's ``--unshare-net``: it outlives
a kwok that crashed, with its relays and its firewall rule.

Run as an ordinary user, kwok cannot switch to another user for ``exec``: a jail would still
hold kwok's own credentials, readable by the same user, so none is made (the class refuses
``exec`` to learners there; ``workshop class create`` says so).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

# The system folders a command needs (merged /usr on Debian: /bin and friends are links).
SYSTEM = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
TMP_BYTES = 256 * 1024 * 1024  # the jail's /tmp, where exec runs: memory, so bounded
PROCESSES = 256  # processes of the exec user at once (a fork bomb stops there)


@functools.cache
def bwrap() -> str | None:
    """bubblewrap's path, when it is there and makes namespaces here as root (else None)."""
    if os.geteuid() != 0:
        return None
    found = shutil.which("bwrap")
    if found is None:
        return None
    try:  # some containers forbid new namespaces even to root
        trial = subprocess.run(
            [found, "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/", "--", "true"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if trial.returncode == 0 else None


def system_binds(root: Path = Path("/")) -> list[str]:
    """``/usr`` and ``/etc`` read-only, and the top-level system folders as the host has them."""
    argv = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in SYSTEM:
        host = root / name
        if host.is_symlink():
            argv += ["--symlink", str(host.readlink()), f"/{name}"]
        elif host.is_dir():
            argv += ["--ro-bind", f"/{name}", f"/{name}"]
    return argv


def prefix(
    program: str, *, read: Iterable[Path], exec_dir: Path, root: Path = Path("/")
) -> tuple[str, ...]:
    """The command line that starts kwok in its jail (kwok's own argv follows it).

    ``read`` are the files and folders kwok reads (bound read-only at their own paths);
    ``exec_dir`` is created empty in the jail's ``/tmp``, writable by all and sticky.
    """
    argv = [
        program,
        "--die-with-parent",  # the supervisor stops kwok by stopping bwrap
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "kwok",
        *system_binds(root),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(TMP_BYTES),
        "--tmpfs",
        "/tmp",  # noqa: S108 - the jail's own, empty, not the machine's
        "--perms",
        "1777",
        "--dir",
        str(exec_dir),
    ]
    for path in sorted({Path(p) for p in read}):
        argv += ["--ro-bind", str(path), str(path)]
    return (*argv, "--chdir", "/", "--")


def limits() -> tuple[str, ...]:
    """Run kwok through ``prlimit``: root is exempt, the exec user is not."""
    return ("/usr/bin/prlimit", f"--nproc={PROCESSES}:{PROCESSES}")


def unwrap(argv: list[str]) -> list[str]:
    """The jailed command of a bwrap command line (the command line itself otherwise)."""
    if argv and Path(argv[0]).name == "bwrap" and "--" in argv:
        argv = argv[argv.index("--") + 1 :]
        if argv and Path(argv[0]).name == "prlimit":
            argv = argv[1:]
            while argv and argv[0].startswith("--"):  # prlimit's own options
                argv = argv[1:]
    return argv
