"""What a container does once it starts, read from its image and its command (pure).

Nothing runs: the sandbox reads the command the way a person would. The image's own
server (``nginx -g 'daemon off;'``) serves forever; ``sleep 3600`` runs an hour, then
ends; ``sh -c "echo hi; exit 1"`` prints a line and fails; a shell with no script ends at
once, as it does with no terminal. A command we cannot read runs forever in a pod that
restarts (a server, presumably) and finishes after a moment in a Job (a batch program).
A program that needs more memory than its limit is OOMKilled.
"""

from __future__ import annotations

import math
import posixpath
import re
import shlex
import time
from dataclasses import dataclass, replace
from typing import Any

from workshop.quantity import memory_bytes
from workshop.sandbox.addons.catalogue import Image

FOREVER = math.inf
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})
WRAPPERS = frozenset({"docker-entrypoint.sh", "entrypoint.sh", "tini", "dumb-init", "--", "exec"})
NO_OPS = frozenset({"cd", "export", "set", "mkdir", "touch", "ls", "cp", "mv", "rm", "chmod", ":"})
OOM_AFTER = 0.5  # seconds from start to the kernel's OOM kill


@dataclass(frozen=True)
class Program:
    """What one container does: serve, print, and maybe end."""

    serves: str | None = None
    """The simulated server that answers on ``ports`` (``nginx``, ``hello``, ``redis``...)."""
    ports: tuple[int, ...] = ()
    output: tuple[tuple[float, str], ...] = ()
    """Lines printed once, each at a number of seconds after the start."""
    repeat: tuple[tuple[float, str], ...] = ()
    every: float = 0.0
    """``repeat``'s lines are printed again every ``every`` seconds (a ``while true`` loop)."""
    exit_code: int | None = None
    """None: runs until it is stopped."""
    runs_for: float = FOREVER
    reason: str = ""
    """How the kubelet reports the end: Completed, Error or OOMKilled."""
    memory: int = 0
    options: tuple[tuple[str, str], ...] = ()
    """Server settings from the command line, e.g. http-echo's ``text``."""


def argv(container: dict[str, Any], image: Image) -> list[str]:
    """The command line, as Kubernetes builds it: ``command`` replaces the image's
    entrypoint, ``args`` its cmd."""
    command, args = container.get("command"), container.get("args")
    if command:
        return [*command, *(args or [])]
    return [*image.entrypoint, *(args if args is not None else image.cmd)]


def program(container: dict[str, Any], image: Image, *, restart_policy: str, pod: str) -> Program:
    """What ``container`` of pod ``pod`` does, given its image."""
    words = _unwrap(argv(container, image))
    env = {e["name"]: e.get("value", "") for e in container.get("env") or [] if "value" in e}
    env["HOSTNAME"] = pod
    found = _interpret(words, image, env)
    if found is None:
        found = (
            Program(memory=image.memory)
            if restart_policy == "Always"
            else Program(exit_code=0, runs_for=1.0, reason="Completed", memory=image.memory)
        )
    limit = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    if limit is not None and found.memory > memory_bytes(limit):
        return replace(
            found, exit_code=137, reason="OOMKilled", runs_for=min(found.runs_for, OOM_AFTER)
        )
    return found


def ready_after(container: dict[str, Any], image: Image) -> float:
    """Seconds from start until the readinessProbe first passes (0 without a probe).

    The first probe runs after ``initialDelaySeconds``, then every ``periodSeconds``; it
    passes once the program answers, ``startup_seconds`` after the start.
    """
    probe = container.get("readinessProbe")
    if not probe:
        return 0.0
    at = float(probe.get("initialDelaySeconds", 0))
    period = max(1.0, float(probe.get("periodSeconds", 10)))
    while at < image.startup_seconds:
        at += period
    return at


def _unwrap(words: list[str]) -> list[str]:
    """Drop the entrypoint wrappers that only hand over to the real command."""
    while words and posixpath.basename(words[0]) in WRAPPERS:
        words = words[1:]
    return words


def _interpret(words: list[str], image: Image, env: dict[str, str]) -> Program | None:
    if not words:
        return Program(exit_code=0, runs_for=0.0, reason="Completed")
    name = posixpath.basename(words[0])
    if words[0] in image.server or name in {posixpath.basename(s) for s in image.server}:
        return _server(words, image)
    if name in SHELLS:
        if "-c" not in words[:-1]:
            return Program(exit_code=0, runs_for=0.0, reason="Completed", memory=image.memory)
        return _script(words[words.index("-c") + 1], image, env)
    if name.startswith("python"):
        return _python(words, image)
    if name == "stress":
        return _stress(words)
    if name == "perl" and any("bpi(" in w for w in words):
        digits = int(re.search(r"bpi\((\d+)\)", " ".join(words)).group(1))  # type: ignore[union-attr]
        return _ended([(0.0, pi(digits))], 0, 1.0, image)
    return _script(shlex.join(words), image, env)


def _server(words: list[str], image: Image) -> Program:
    options: dict[str, str] = {}
    for word in words[1:]:
        key, _, value = word.lstrip("-").partition("=")
        if value:
            options[key] = value
    ports = image.ports
    if "listen" in options:  # http-echo -listen=:8080
        ports = (int(options["listen"].rpartition(":")[2]),)
    return Program(
        serves=image.app, ports=ports, memory=image.memory, options=tuple(sorted(options.items()))
    )


def _python(words: list[str], image: Image) -> Program | None:
    if len(words) == 1:  # the REPL, with no terminal: ends at once
        return Program(exit_code=0, runs_for=0.0, reason="Completed", memory=image.memory)
    if words[1:3] == ["-m", "http.server"]:
        port = int(words[3]) if len(words) > 3 and words[3].isdigit() else 8000
        return Program(serves="directory", ports=(port,), memory=image.memory)
    if words[1] == "-c" and len(words) > 2:
        printed = re.findall(r"print\(\s*['\"](.*?)['\"]\s*\)", words[2])
        if printed or "exit(" in words[2]:
            code = re.search(r"exit\((\d+)\)", words[2])
            return _ended([(0.0, p) for p in printed], int(code.group(1)) if code else 0, 0, image)
    return None


def _stress(words: list[str]) -> Program:
    """polinux/stress, as in the Kubernetes docs' memory limit exercise."""
    flags = dict(zip(words[1::2], words[2::2], strict=False))
    if "--vm-bytes" not in flags:
        return Program(exit_code=1, runs_for=0.0, reason="Error", output=((0.0, USAGE),))
    workers = int(flags.get("--vm", "1"))
    memory = workers * memory_bytes(flags["--vm-bytes"].replace("M", "Mi").replace("G", "Gi"))
    line = f"stress: info: [1] dispatching hogs: 0 cpu, 0 io, {workers} vm, 0 hdd"
    seconds = float(flags.get("--timeout", "0").rstrip("s")) or FOREVER
    return Program(
        output=((0.0, line),),
        memory=memory,
        exit_code=None if seconds == FOREVER else 0,
        runs_for=seconds,
        reason="" if seconds == FOREVER else "Completed",
    )


USAGE = "`stress' imposes certain types of compute stress on your system"


def _ended(output: list[tuple[float, str]], code: int, after: float, image: Image) -> Program:
    return Program(
        output=tuple(output),
        exit_code=code,
        runs_for=after,
        reason="Completed" if code == 0 else "Error",
        memory=image.memory,
    )


_LOOP = re.compile(
    r"^(?P<before>.*?)\bwhile\s+(?:true|:|\[\s*1\s*\])\s*;?\s*do\b(?P<body>.*?)\bdone\b", re.S
)


def _script(script: str, image: Image, env: dict[str, str]) -> Program | None:
    """A shell script of simple statements: echo, sleep, exit, true/false, endless loops."""
    loop = _LOOP.match(script.strip())
    before = loop.group("before") if loop else script
    once = _statements(before, env)
    if once is None:
        return None
    output, clock, code = once
    if loop is None:
        if clock == FOREVER:
            return Program(output=tuple(output), memory=image.memory)
        return _ended(output, code if code is not None else 0, clock, image)
    body = _statements(loop.group("body"), env)
    if body is None:
        return None
    lines, period, _ = body
    return Program(
        output=tuple(output),
        repeat=tuple((clock + at, line) for at, line in lines),
        every=period if period not in (0, FOREVER) else 1.0,
        memory=image.memory,
    )


def _statements(
    text: str, env: dict[str, str]
) -> tuple[list[tuple[float, str]], float, int | None] | None:
    """Printed lines with their times, total run time, and exit code (None: still going)."""
    output: list[tuple[float, str]] = []
    clock, status = 0.0, 0
    for statement in re.split(r";|&&|\n", text):
        try:
            words = [_expand(w, env) for w in shlex.split(statement)]
        except ValueError:
            return None
        if not words:
            continue
        name, rest = posixpath.basename(words[0]), words[1:]
        if name == "exec" and rest:
            name, rest = posixpath.basename(rest[0]), rest[1:]
        if name in ("echo", "printf"):
            text_out = " ".join(w for w in rest if w not in ("-n", "-e"))
            output += [(clock, line) for line in text_out.replace("\\n", "\n").splitlines()]
            status = 0
        elif name == "sleep":
            seconds = _seconds(rest[0] if rest else "0")
            if seconds is None:
                return None
            clock += seconds
            if clock == FOREVER:
                return output, FOREVER, None
        elif name == "tail" and "-f" in rest:
            return output, FOREVER, None
        elif name == "exit":
            return output, clock, int(rest[0]) if rest and rest[0].isdigit() else status
        elif name in ("true", *NO_OPS):
            status = 0
        elif name == "false":
            status = 1
        elif name in ("date", "hostname", "env", "printenv"):
            shown = {"date": _date(), "hostname": env["HOSTNAME"]}.get(name)
            lines = [shown] if shown else [f"{k}={v}" for k, v in sorted(env.items())]
            output += [(clock, line) for line in lines]
            status = 0
        else:
            return None
    return output, clock, status


def _seconds(text: str) -> float | None:
    if text in ("infinity", "inf"):
        return FOREVER
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", text)
    if not match:
        return None
    return float(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def _expand(word: str, env: dict[str, str]) -> str:
    word = re.sub(r"\$\(date\)|`date`", _date(), word)
    word = re.sub(r"\$\(hostname\)|`hostname`", env["HOSTNAME"], word)
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), ""), word)


def _date() -> str:
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime())


def pi(digits: int) -> str:
    """``digits`` decimals of pi (Machin's formula), as ``perl -Mbignum=bpi`` prints them."""
    digits = min(digits, 10_000)
    scale = 10 ** (digits + 10)

    def arctan_inverse(x: int) -> int:
        total, term, n, sign = 0, scale // x, 1, 1
        while term:
            total += sign * (term // n)
            term //= x * x
            n += 2
            sign = -sign
        return total

    value = 4 * (4 * arctan_inverse(5) - arctan_inverse(239))
    text = str(value // 10**10)
    return f"{text[0]}.{text[1:digits]}"
