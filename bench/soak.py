"""The suite, again and again, with busy CPU loops beside it: does it ever fail? (`make soak`)

Each run is one pytest (by default the suite as `make test` runs it) with ``--load`` busy
loops on the side, started before it and always stopped after it; each loop also ends by
itself after ``--run-timeout`` seconds, should this script be killed. Every run writes a
junit XML file to bench/results/soak-<time>/. At the end: each run's result, passes and
duration, then every test that failed, with the runs it failed in. The exit status is 1
if any run failed.

    python bench/soak.py --runs 10 --load 2 -- -n 3 --dist loadscope
    python bench/soak.py --runs 5 --load 2 -- tests/integration/test_lifelike.py
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
STOP_GRACE = 120.0  # seconds pytest gets to tear its sandboxes down when interrupted
INTERRUPTED = 2  # pytest's exit code for a run stopped by Ctrl-C
BUSY = """
import sys, time
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    pass
"""


@dataclass
class Run:
    number: int
    returncode: int
    seconds: float
    passed: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)  # tests that failed or erred

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def outcomes(junit: Path) -> tuple[int, int, list[str]]:
    """Passed and skipped counts, and the failed tests, of one junit XML file."""
    if not junit.exists():
        return 0, 0, []
    passed, skipped, failed = 0, 0, []
    # our own pytest's file, not untrusted input
    for case in ET.parse(junit).getroot().iter("testcase"):  # noqa: S314
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, skipped, failed


def one_run(number: int, args: list[str], *, load: int, out: Path, timeout: float) -> Run:
    junit = out / f"run-{number:02d}.xml"
    log = out / f"run-{number:02d}.log"
    # the run's own temporary folder: every sandbox it starts lives there, so whatever the
    # run leaves running (stopped by a timeout or a SIGKILL) is found and ended after it
    scratch = Path(tempfile.gettempdir()) / f"{out.name}-run-{number:02d}"
    command = [
        *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider"),
        f"--junitxml={junit}",
        f"--basetemp={scratch}",
    ]
    burners = [subprocess.Popen([sys.executable, "-c", BUSY, str(timeout)]) for _ in range(load)]
    started = time.monotonic()
    try:
        with log.open("wb") as output:
            tests = subprocess.Popen(
                [*command, *args], stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
            try:
                returncode = tests.wait(timeout)
            except subprocess.TimeoutExpired:
                returncode = -1
            finally:  # also on Ctrl-C or SIGTERM: pytest runs in a session of its own
                if tests.poll() is None:
                    stop(tests)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
        left = end_leftovers(scratch)
        if left:
            with log.open("a") as output:
                output.write(f"\nsoak: ended {left} process(es) the run left running\n")
        shutil.rmtree(scratch, ignore_errors=True)
    passed, skipped, failed = outcomes(junit)
    return Run(number, returncode, time.monotonic() - started, passed, skipped, failed)


def stop(tests: subprocess.Popen[bytes]) -> None:
    """Interrupt pytest as Ctrl-C would, so its fixtures stop the sandboxes they started
    (each in a session of its own); SIGKILL what is left after a grace period."""
    os.killpg(tests.pid, signal.SIGINT)
    try:
        tests.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(tests.pid, signal.SIGKILL)
        tests.wait()


def started_in(folder: Path) -> list[int]:
    """Live processes whose command line names ``folder`` (the sandboxes of a run, their
    components and emulators: each names its home, under the run's temporary folder)."""
    marker = f"{folder}{os.sep}".encode()  # inside it: not a folder whose name starts alike
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def end_leftovers(folder: Path, grace: float = 30.0) -> int:
    """SIGTERM what a run left running (a supervisor stops its components), then SIGKILL
    what is still there after ``grace`` seconds; how many there were."""
    left = started_in(folder)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while started_in(folder) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in started_in(folder):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(left)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM ends the soak as Ctrl-C does: runs stop, loops too


def report(runs: list[Run]) -> str:
    lines = [f"{'run':>3}  {'result':<8} {'passed':>6} {'failed':>6} {'skipped':>7} {'seconds':>7}"]
    for run in runs:
        result = "ok" if run.ok else ("timeout" if run.returncode == -1 else "FAILED")
        lines.append(
            f"{run.number:>3}  {result:<8} {run.passed:>6} {len(run.failed):>6} "
            f"{run.skipped:>7} {run.seconds:>7.0f}"
        )
    green = sum(r.ok for r in runs)
    lines.append(f"{green}/{len(runs)} runs green")
    failures: dict[str, list[int]] = {}
    for run in runs:
        for name in run.failed:
            failures.setdefault(name, []).append(run.number)
    if failures:
        lines.append("failures per test:")
        for name, numbers in sorted(failures.items(), key=lambda f: (-len(f[1]), f[0])):
            lines.append(
                f"  {len(numbers)}/{len(runs)}  {name}  (runs {', '.join(map(str, numbers))})"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--load", type=int, default=2, help="busy CPU loops beside each run")
    parser.add_argument("--run-timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument("pytest_args", nargs="*", help="after --: what pytest gets")
    options = parser.parse_args()
    out = RESULTS / time.strftime("soak-%Y%m%dT%H%M%S")
    out.mkdir(parents=True)
    print(
        f"{options.runs} runs of pytest {' '.join(options.pytest_args)}, "
        f"{options.load} busy loops beside; junit XML and logs in {out}",
        flush=True,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    runs = []
    interrupted = False
    try:
        for number in range(1, options.runs + 1):
            run = one_run(
                number, options.pytest_args, load=options.load, out=out, timeout=options.run_timeout
            )
            if run.returncode == INTERRUPTED and not run.failed:
                print(f"run {number}: interrupted; the soak stops", flush=True)
                interrupted = True
                break
            runs.append(run)
            state = "ok" if run.ok else f"FAILED ({len(run.failed)} tests)"
            print(f"run {number}: {state}, {run.passed} passed in {run.seconds:.0f} s", flush=True)
    except KeyboardInterrupt:
        print("interrupted; the soak stops", flush=True)
        interrupted = True
    summary = report(runs)
    (out / "summary.txt").write_text(summary + "\n")
    print(summary)
    if interrupted:
        return 130  # as a shell says of Ctrl-C: whatever ran, the soak is not whole
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
