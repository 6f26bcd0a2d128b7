"""The provider process ends with the OpenTofu that started it, however that one ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

PARENT = """
import subprocess, sys
out = open(sys.argv[1], "w")
child = subprocess.Popen([sys.executable, "-m", "workshop.ovhprovider"], stdout=out, stderr=out)
print(child.pid, flush=True)
import time
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not open(sys.argv[1]).read():
    time.sleep(0.05)  # the provider is serving: it printed its handshake
import os
os._exit(0)  # as a tofu killed with SIGKILL: no goodbye to its plugins
"""


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def test_the_provider_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    parent = subprocess.run(
        [sys.executable, "-c", PARENT, str(tmp_path / "handshake")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    pid = int(parent.stdout.split()[0])
    assert (tmp_path / "handshake").read_text(), "the provider never served"
    deadline = time.monotonic() + 20
    while not _gone(pid):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            raise AssertionError("the provider outlived the OpenTofu that started it")
        time.sleep(0.05)
