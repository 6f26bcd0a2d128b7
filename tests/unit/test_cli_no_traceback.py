"""No traceback reaches a learner: every ``workshop`` command, with bad arguments and in bad states.

The commands are enumerated from the click group itself, so a new command is covered as soon
as it exists (a new required argument needs a sample in ``SAMPLES``: the test says so). Each
run goes through ``workshop.cli.run``, the function the ``workshop`` command runs, with its
output captured as a terminal shows it; the cases issue 16 saw also run as real ``workshop``
processes. Every run must end with exit code 0, or with one ``error:`` sentence (click's
``Error:`` for usage) and a non-zero code; never a traceback, never the last-resort
"unexpected" sentence (that one is for bugs, not for states a learner can be in).

No sandbox starts here: ``WORKSHOP_CACHE`` is an empty folder and ``PATH`` holds no
kube-apiserver, etcd or kwok, so a command that starts the sandbox on demand stops at
"binaries missing" in a second. What needs a running sandbox is for the integration tests.

A read-only ``WORKSHOP_HOME`` is a home under a regular *file*: these tests run as root (CI,
this machine), and root writes through ``chmod 0555``; a read-only bind mount, a full tmpfs or
``unshare`` need privileges. Under a file every mkdir and open fails (ENOTDIR) for any user,
through the same ``writes.writing`` path as EROFS and ENOSPC (their sentences are tested below).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from workshop import writes
from workshop.cli import cli, run
from workshop.cli.course import Seams
from workshop.course import ProgressStore
from workshop.errors import HomeError

from .test_cli_course import WEB, Connection, ready_pod
from .test_course_labs import GOOD, write_lab

SANDBOX_BINARIES = ("kube-apiserver", "etcd", "kwok")


def commands() -> list[tuple[str, ...]]:
    """Every leaf command of the group, and every group that runs on its own (``workshop
    progress``), as the words a learner types."""
    found: list[tuple[str, ...]] = []

    def walk(command: click.Command, words: tuple[str, ...]) -> None:
        if isinstance(command, click.Group):
            if command.invoke_without_command and words:
                found.append(words)
            for name, sub in sorted(command.commands.items()):
                walk(sub, (*words, name))
        else:
            found.append(words)

    walk(cli, ())
    return found


def command(words: tuple[str, ...]) -> click.Command:
    found: click.Command = cli
    for word in words:
        assert isinstance(found, click.Group)
        found = found.commands[word]
    return found


COMMANDS = commands()
# Commands not run in the states below, with why; they still get the bad-argument runs.
NOT_IN_STATES = {
    ("binaries", "install"): "builds every binary from source with Go: minutes, no learner state",
}


# Options a command needs besides its required parameters (one of two, checked in the body).
OPTIONS: dict[tuple[str, ...], list[str]] = {("class", "create"): ["--learners", "2"]}


@dataclass
class State:
    """A bad state: the environment the commands run in, and extra words for some commands."""

    env: dict[str, str | None]
    more: Callable[[tuple[str, ...]], list[str]] = lambda words: []


@dataclass
class Ran:
    code: int
    out: str
    err: str


def samples(tmp: Path) -> dict[str, str]:
    """A plausible value for each required argument or option, by parameter name."""
    context = tmp / "image-context"
    context.mkdir(exist_ok=True)
    export = tmp / "export.json"
    export.write_text(json.dumps({"format": "workshop-progress/1", "contexts": {}}))
    return {
        "lab": "01",
        "step": "1",
        "name": "k8s101",
        "file": str(export),
        "cluster": "my-cluster",
        "reference": "hello-web:1.0",
        "context": str(context),
    }


def argv(words: tuple[str, ...], tmp: Path, state: State | None = None) -> list[str]:
    """The words, a sample for each required parameter, and ``--yes`` where asked."""
    values = samples(tmp)
    args = list(words)
    for param in command(words).params:
        if not param.required:
            if isinstance(param, click.Option) and param.name == "yes":
                args.append("--yes")
            continue
        assert param.name in values, f"`workshop {' '.join(words)}`: add a sample for {param.name}"
        if isinstance(param, click.Option):
            args += [param.opts[0], values[param.name]]
        else:
            args.append(values[param.name])
    return args + OPTIONS.get(words, []) + (state.more(words) if state else [])


def no_sandbox_path() -> str:
    """``PATH`` without any folder that holds a sandbox binary: nothing can start one."""
    folders = [Path(sys.executable).parent, *map(Path, os.environ["PATH"].split(os.pathsep))]
    kept = [
        str(f)
        for f in dict.fromkeys(folders)
        if not any(shutil.which(b, path=str(f)) for b in SANDBOX_BINARIES)
    ]
    return os.pathsep.join(kept)


def base_env(tmp: Path) -> dict[str, str | None]:
    (tmp / "empty-cache").mkdir(exist_ok=True)
    return {
        "WORKSHOP_HOME": str(tmp / "home"),
        "WORKSHOP_CACHE": str(tmp / "empty-cache"),
        "PATH": no_sandbox_path(),
        "KUBECONFIG": str(tmp / "no-such-kubeconfig"),
        "HOME": str(tmp),
        "WORKSHOP_CONTEXT": None,
        "WORKSHOP_REGISTRY": None,
        "WORKSHOP_LABS": None,
        "WORKSHOP_DEBUG": None,
        "DOCKER_HOST": None,
        "WORKSHOP_ENGINE": "none",
    }


def dead_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def kubeconfig_at(server: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "sandbox", "cluster": {"server": server}}],
            "users": [{"name": "admin", "user": {"token": "t"}}],
            "contexts": [
                {"name": "workshop-sandbox", "context": {"cluster": "sandbox", "user": "admin"}}
            ],
            "current-context": "workshop-sandbox",
        }
    )


BROKEN_KUBECONFIGS = {
    "garbage-yaml": b"clusters: [\n  : : {oops\n",
    "binary": bytes(range(128, 256)) * 4,
    "a-list": b"- 1\n- 2\n",
    "clusters-3": b"{clusters: 3}\n",
}


def run_in_process(args: list[str], env: dict[str, str | None], obj: object = None) -> Ran:
    with CliRunner().isolation(env=env) as (stdout, stderr, _):
        code = run(args, obj=obj)
        return Ran(code, stdout.getvalue().decode(), stderr.getvalue().decode())


def run_workshop(args: list[str], env: dict[str, str | None]) -> Ran:
    """The ``workshop`` command in its own process, as a learner runs it."""
    full = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    binary = Path(sys.executable).parent / "workshop"
    head = [str(binary)] if binary.exists() else [sys.executable, "-m", "workshop.cli"]
    done = subprocess.run(
        [*head, *args], env=full, capture_output=True, text=True, timeout=120, check=False
    )
    return Ran(done.returncode, done.stdout, done.stderr)


PYTHON_ERROR = re.compile(r"^\s*([A-Z]\w*(Error|Exception|Exit|Interrupt))\b.*:", re.M)
STACK_FRAME = re.compile(r'^\s*File ".*", line \d+', re.M)


def assert_clear(ran: Ran, args: list[str]) -> None:
    """Exit 0, or one sentence and a non-zero code; never a traceback."""
    said = f"`workshop {' '.join(args)}` -> {ran.code}\nstdout:\n{ran.out}\nstderr:\n{ran.err}"
    both = ran.out + ran.err
    assert "Traceback" not in both, said
    assert not STACK_FRAME.search(both), said
    assert not PYTHON_ERROR.search(both), said
    assert "error: unexpected:" not in ran.err, said  # the last resort is for bugs
    if ran.code == 0:
        return
    if args[-1] == "status" and ran.out:  # a status report: its exit code says the state
        return
    errors = [line for line in ran.err.splitlines() if re.match(r"(error|Error): \S", line)]
    assert len(errors) == 1, said


def must_fail(ran: Ran, args: list[str]) -> None:
    assert_clear(ran, args)
    assert ran.code != 0, f"`workshop {' '.join(args)}` succeeded:\n{ran.out}{ran.err}"


# -- bad arguments -------------------------------------------------------------------------


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_an_unknown_option_is_one_usage_error(words: tuple[str, ...], tmp_path: Path) -> None:
    args = [*argv(words, tmp_path), "--no-such-option"]
    ran = run_in_process(args, base_env(tmp_path))
    must_fail(ran, args)
    assert ran.code == 2
    assert "No such option '--no-such-option'" in ran.err


REQUIRED = [w for w in COMMANDS if any(p.required for p in command(w).params)]


@pytest.mark.parametrize("words", REQUIRED, ids=" ".join)
def test_a_missing_argument_is_one_usage_error(words: tuple[str, ...], tmp_path: Path) -> None:
    args = list(words)
    ran = run_in_process(args, base_env(tmp_path))
    must_fail(ran, args)
    assert ran.code == 2
    assert "Missing" in ran.err


def test_every_command_is_driven() -> None:
    assert len(COMMANDS) >= 30  # the group as it is today; new ones join by themselves
    assert set(NOT_IN_STATES) <= set(COMMANDS)


# -- bad states ----------------------------------------------------------------------------


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def stopped_sandbox(tmp: Path) -> State:
    """The sandbox ran once and is stopped: its kubeconfig names a port nothing answers."""
    (tmp / "home").mkdir()
    (tmp / "home" / "kubeconfig").write_text(kubeconfig_at(f"https://127.0.0.1:{dead_port()}"))
    return State(base_env(tmp))


def read_only_home(tmp: Path) -> State:
    (tmp / "a-file").write_text("not a folder\n")
    return State({**base_env(tmp), "WORKSHOP_HOME": str(tmp / "a-file" / "home")})


def dead_emulator(tmp: Path) -> State:
    """The emulated OVHcloud API's files say it runs, at a pid and a port that are gone."""
    cloud = tmp / "home" / "cloud"
    cloud.mkdir(parents=True)
    gone = subprocess.Popen([sys.executable, "-c", ""])
    gone.wait()
    (cloud / "pid").write_text(f"{gone.pid}\n")
    (cloud / "config.json").write_text(json.dumps({"port": dead_port(), "profile": "instant"}))
    return State(base_env(tmp))


STATES: dict[str, tuple[Callable[[Path], State], set[tuple[str, ...]]]] = {
    # state -> (how to make it, the commands that must fail in it)
    "stopped-sandbox": (
        stopped_sandbox,
        {
            ("check",),
            ("solve",),
            ("reset",),
            *(("class", c) for c in ("board", "create", "delete", "export", "status")),
            ("sandbox", "up"),
            ("sandbox", "reset"),
            ("sandbox", "status"),
            ("registry", "info"),
            ("registry", "ls"),
            ("image", "push"),
        },
    ),
    "read-only-home": (
        read_only_home,
        {
            ("sandbox", "up"),
            ("sandbox", "down"),
            ("sandbox", "reset"),
            ("sandbox", "status"),
            ("cloud", "up"),
            ("cloud", "down"),
            ("cloud", "credentials"),
            ("check",),
            ("hint",),
            ("solve",),
            ("reset",),
            ("progress", "import"),
            *(("class", c) for c in ("board", "create", "delete", "export", "status")),
        },
    ),
}
STATE_RUNS = [
    (state, words)
    for state in STATES
    for words in COMMANDS
    if words not in NOT_IN_STATES
    # cloud up in a writable home starts the emulator: the far side is not what is tested
    and not (words == ("cloud", "up") and state != "read-only-home")
]


@pytest.mark.parametrize(
    ("state", "words"), STATE_RUNS, ids=[f"{s}: {' '.join(w)}" for s, w in STATE_RUNS]
)
def test_every_command_in_a_bad_state_says_one_sentence(
    state: str, words: tuple[str, ...], tmp_path: Path
) -> None:
    make, failing = STATES[state]
    chosen = make(tmp_path)
    args = argv(words, tmp_path, chosen)
    ran = run_in_process(args, chosen.env)
    (must_fail if words in failing else assert_clear)(ran, args)


CLOUD = [w for w in COMMANDS if w[0] == "cloud" and w != ("cloud", "up")]


@pytest.mark.parametrize("words", CLOUD, ids=" ".join)
def test_cloud_commands_with_a_dead_emulator(words: tuple[str, ...], tmp_path: Path) -> None:
    chosen = dead_emulator(tmp_path)
    args = argv(words, tmp_path, chosen)
    ran = run_in_process(args, chosen.env)
    if words in {("cloud", "credentials"), ("cloud", "audit"), ("cloud", "status")}:
        must_fail(ran, args)
    else:
        assert_clear(ran, args)


def test_cloud_down_with_a_dead_emulator_says_it_was_not_running(tmp_path: Path) -> None:
    chosen = dead_emulator(tmp_path)
    ran = run_in_process(["cloud", "down"], chosen.env)
    assert ran.code == 0, ran.err
    assert "was not running" in ran.err


WITH_PORT = [w for w in COMMANDS if any(p.name == "port" for p in command(w).params)]


@pytest.mark.parametrize("words", WITH_PORT, ids=" ".join)
def test_a_port_taken_by_another_program(
    words: tuple[str, ...], tmp_path: Path, held_port: int
) -> None:
    chosen = State(base_env(tmp_path), lambda _: ["--port", str(held_port)])
    args = argv(words, tmp_path, chosen)
    ran = run_in_process(args, chosen.env)
    must_fail(ran, args)
    if words == ("cloud", "up"):
        assert f"port {held_port} on 127.0.0.1 is already in use" in ran.err


WITH_KUBECONFIG = [w for w in COMMANDS if any(p.name == "kubeconfig" for p in command(w).params)]


@pytest.mark.parametrize("broken", sorted(BROKEN_KUBECONFIGS))
@pytest.mark.parametrize("words", WITH_KUBECONFIG, ids=" ".join)
@pytest.mark.parametrize("where", ["sandbox", "--kubeconfig"])
def test_a_broken_kubeconfig_is_named_with_what_to_do(
    where: str, words: tuple[str, ...], broken: str, tmp_path: Path
) -> None:
    path = tmp_path / "home" / "kubeconfig" if where == "sandbox" else tmp_path / "mine.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(BROKEN_KUBECONFIGS[broken])
    extra = ["--kubeconfig", str(path)] if where == "--kubeconfig" else []
    args = [*argv(words, tmp_path), *extra]
    ran = run_in_process(args, base_env(tmp_path))
    must_fail(ran, args)
    assert f"the kubeconfig {path}" in ran.err
    assert ("sandbox up" in ran.err) == (where == "sandbox")  # what to do, for that file


@pytest.mark.parametrize("words", WITH_KUBECONFIG, ids=" ".join)
def test_a_missing_kubeconfig_is_named(words: tuple[str, ...], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config"
    args = [*argv(words, tmp_path), "--kubeconfig", str(missing)]
    ran = run_in_process(args, base_env(tmp_path))
    must_fail(ran, args)
    assert str(missing) in ran.err


# -- as a learner runs them: the cases issue 16 saw ----------------------------------------


@pytest.mark.parametrize("args", [["labs"], ["check", "01"], ["hint", "01", "1"]], ids=" ".join)
def test_workshop_with_a_garbage_sandbox_kubeconfig(args: list[str], tmp_path: Path) -> None:
    path = tmp_path / "home" / "kubeconfig"
    path.parent.mkdir()
    path.write_bytes(BROKEN_KUBECONFIGS["garbage-yaml"])
    ran = run_workshop(args, base_env(tmp_path))
    must_fail(ran, args)
    assert f"error: the kubeconfig {path} is not valid YAML at line 2" in ran.err


def test_workshop_labs_with_a_binary_kubeconfig_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_bytes(BROKEN_KUBECONFIGS["binary"])
    args = ["labs", "--kubeconfig", str(path)]
    ran = run_workshop(args, base_env(tmp_path))
    must_fail(ran, args)
    assert f"error: the kubeconfig {path} holds binary bytes" in ran.err


@pytest.mark.parametrize(
    "args", [["sandbox", "up"], ["cloud", "up"], ["check", "01"], ["hint", "01", "1"]], ids=" ".join
)
def test_workshop_with_a_read_only_home(args: list[str], tmp_path: Path) -> None:
    chosen = read_only_home(tmp_path)
    ran = run_workshop(args, chosen.env)
    must_fail(ran, args)
    assert f"{tmp_path / 'a-file'} is a file, not a folder" in ran.err
    assert "choose another WORKSHOP_HOME" in ran.err


def test_workshop_debug_shows_the_traceback(tmp_path: Path) -> None:
    chosen = read_only_home(tmp_path)
    ran = run_workshop(["cloud", "up"], {**chosen.env, "WORKSHOP_DEBUG": "1"})
    assert ran.code == 1
    assert "Traceback" in ran.err
    assert "NotADirectoryError" in ran.err


# -- check and hint keep what they showed, even where it cannot be saved ---------------------


def test_check_prints_its_results_then_says_they_were_not_saved(tmp_path: Path) -> None:
    write_lab(tmp_path, GOOD)
    (tmp_path / "a-file").write_text("")
    store = ProgressStore(tmp_path / "a-file" / "progress.json")
    connection = Connection([WEB, ready_pod("web-1"), ready_pod("web-2")])
    seams = Seams(connect=lambda *a, **k: connection, progress=store, labs=tmp_path / "labs")
    env = {**base_env(tmp_path), "WORKSHOP_HOME": str(tmp_path / "a-file")}
    ran = run_in_process(["check", "07"], env, obj=seams)
    must_fail(ran, ["check", "07"])
    assert ran.out.splitlines()[0] == "07-sample on a recorded cluster"
    assert "steps pass" in ran.out
    assert ran.err.startswith("error: the results above were not saved: cannot use ")


def test_hint_shows_the_hint_then_says_it_was_not_saved(tmp_path: Path) -> None:
    write_lab(tmp_path, GOOD)
    (tmp_path / "a-file").write_text("")
    store = ProgressStore(tmp_path / "a-file" / "progress.json")
    seams = Seams(progress=store, labs=tmp_path / "labs")
    env = {**base_env(tmp_path), "WORKSHOP_HOME": str(tmp_path / "a-file")}
    args = ["hint", "07", "1", "--context", "recorded"]
    ran = run_in_process(args, env, obj=seams)
    must_fail(ran, args)
    assert "hint 1/" in ran.out
    assert ran.err.startswith("error: this hint was shown but not saved")


# -- the sentences for a disk that refuses -------------------------------------------------


@pytest.mark.parametrize(
    ("code", "said"),
    [(errno.EROFS, "read-only file system"), (errno.ENOSPC, "no space left on the disk")],
)
def test_a_refusing_disk_under_the_home_is_one_sentence(
    code: int, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKSHOP_HOME", str(tmp_path))
    target = tmp_path / "progress.json"
    with pytest.raises(HomeError) as raised, writes.writing():
        raise OSError(code, os.strerror(code), str(target))
    assert str(raised.value).startswith(f"cannot write {target}: {said}\n  -> free space")
    assert raised.value.path == str(target)


def test_an_error_elsewhere_is_not_the_homes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WORKSHOP_HOME", str(tmp_path / "home"))
    with pytest.raises(OSError, match="elsewhere"), writes.writing():
        raise OSError(errno.EROFS, "elsewhere", str(tmp_path / "other" / "file"))
