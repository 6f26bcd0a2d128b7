"""Finding and ending the processes a sandbox whose supervisor died left behind."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.sandbox import processes
from workshop.sandbox.layout import Layout


def exec_done(pid: int, marker: str, timeout: float = 30.0) -> bool:
    """Wait until ``pid``'s command line shows ``marker`` (the child has exec'd)."""
    deadline = time.monotonic() + timeout
    while marker.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path / "home")


def test_components_of_this_sandbox_belong_to_it(layout: Layout) -> None:
    root = layout.root
    assert processes.belongs(["/cache/etcd-v3.7.3", f"--data-dir={root}/etcd"], layout)
    assert processes.belongs(
        ["/usr/bin/kube-apiserver", f"--tls-cert-file={root}/pki/serving.crt"], layout
    )
    assert processes.belongs(["/bin/sh", "/tmp/x/kube-apiserver", f"{root}/config/a"], layout)
    assert processes.belongs(
        [sys.executable, "-m", "workshop.sandbox.addons", str(layout.home)], layout
    )
    assert processes.belongs(
        [sys.executable, "-m", "workshop.sandbox.supervisor", str(layout.home)], layout
    )


def test_other_processes_do_not(layout: Layout, tmp_path: Path) -> None:
    root = layout.root
    other = Layout(tmp_path / "home2").root  # a second sandbox, whose path starts alike
    assert not processes.belongs(["/cache/etcd-v3.7.3", f"--data-dir={other}/etcd"], layout)
    # a learner following a log, or an editor on a config file, is left alone
    assert not processes.belongs(["tail", "-f", f"{root}/logs/etcd.log"], layout)
    assert not processes.belongs(["vim", f"{root}/config/kwok.yaml"], layout)
    assert not processes.belongs(
        [sys.executable, "-m", "workshop.sandbox.addons", str(tmp_path / "home2")], layout
    )


@pytest.fixture
def orphan(layout: Layout, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process that looks like a component of ``layout``'s sandbox and ignores SIGTERM."""
    script = tmp_path / "kube-scheduler"
    trapped = tmp_path / "trapped"
    # one process that never forks: a shell's loop forks children that, until they exec
    # `sleep`, carry its command line, and would be found too once it is killed
    script.write_text(
        f"#!{sys.executable}\nimport signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"open({str(trapped)!r}, 'w').close()\nwhile True:\n    time.sleep(0.05)\n"
    )
    script.chmod(0o755)
    proc = subprocess.Popen([str(script), f"--config={layout.root}/config/scheduler.yaml"])
    # a SIGTERM sent before it ignores SIGTERM would end it
    deadline = time.monotonic() + 30
    while not trapped.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    yield proc
    proc.kill()
    proc.wait()


def test_leftovers_are_found_and_ended_even_when_they_ignore_sigterm(
    layout: Layout, orphan: subprocess.Popen[bytes]
) -> None:
    assert exec_done(orphan.pid, "kube-scheduler")
    found = processes.leftovers(layout)
    assert found == [orphan.pid]
    killed = processes.end(found, grace=0.2)
    assert killed == [orphan.pid]  # it ignored SIGTERM: SIGKILL ended it
    assert orphan.wait(timeout=5) == -9
    assert processes.leftovers(layout) == []


def test_alive_needs_the_marker_and_a_live_process() -> None:
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as proc:
        try:
            # until the child has exec'd, /proc shows the parent's command line
            assert exec_done(proc.pid, "time.sleep")
            assert processes.alive(proc.pid, "time.sleep")
            assert not processes.alive(proc.pid, "workshop.sandbox.supervisor")
            assert processes.rss(proc.pid)
        finally:
            proc.kill()
            proc.wait()
    assert not processes.alive(proc.pid, "time.sleep")
    assert processes.rss(proc.pid) is None
