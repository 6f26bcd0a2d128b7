"""bench/soak.py ends what an interrupted run left running (its sandboxes' processes)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def soak(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak", ROOT / "bench" / "soak.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "soak", module)  # its dataclasses look it up
    spec.loader.exec_module(module)
    return module


def test_what_a_run_left_running_is_ended_even_if_it_ignores_sigterm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_folder = tmp_path / "soak-x-run-01"
    other = tmp_path / "soak-x-run-010"  # a name that starts alike is another run's
    ignoring = "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    ignoring += "print('ready', flush=True); time.sleep(600)"
    left = subprocess.Popen(
        [sys.executable, "-c", ignoring, f"{run_folder}/popen-gw0/home"], stdout=subprocess.PIPE
    )
    kept = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", str(other)])
    try:
        assert left.stdout is not None and left.stdout.readline().strip() == b"ready"
        module = soak(monkeypatch)
        assert module.end_leftovers(run_folder, grace=1.0) == 1
        assert left.wait(10) is not None  # killed after the grace period
        assert kept.poll() is None
    finally:
        for proc in (left, kept):
            proc.kill()
            proc.wait()
        if left.stdout:
            left.stdout.close()
