"""Emulated OVHcloud API benchmark: how fast a cluster's IP restrictions refuse kubectl.

A managed cluster (instant profile) whose ``ipRestrictions`` leave 127.0.0.1 out answers
kubectl's TLS hello with an ``access_denied`` alert, so kubectl fails at once; a dropped
connection would make it retry for most of a minute. Baseline in the same run: the same
``kubectl get namespaces`` let in (restrictions that include 127.0.0.1). Figures are the
median of ``--runs`` calls each, and their ratio. This was a timed assertion (``< 15 s``)
in tests/integration/test_cloud_api.py; tests now assert the answer itself.
Run: `.venv/bin/python bench/cloud.py`. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from workshop.cloud import Emulator
from workshop.tools import ovh as ovh_tools

KUBECTL = str(Path(sys.executable).parent / "kubectl")


def wait_ready(api: Any, path: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while api.get(path).get("status") != "READY":
        if time.monotonic() > deadline:
            raise TimeoutError(path)
        time.sleep(0.3)


def kubectl_seconds(kubeconfig: Path, runs: int, *, refused: bool) -> float:
    times = []
    for _ in range(runs):
        start = time.monotonic()
        done = subprocess.run(
            [KUBECTL, f"--kubeconfig={kubeconfig}", "get", "namespaces"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
            check=False,
        )
        times.append(time.monotonic() - start)
        if (done.returncode != 0) != refused:
            raise RuntimeError(f"kubectl {'passed' if refused else 'failed'}: {done.stderr}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cloud-") as home:
        os.environ["WORKSHOP_HOME"] = home
        emulator = Emulator(home, profile="instant")
        emulator.up()
        emulator.credentials()
        try:
            api = ovh_tools.client()
            kube = f"/cloud/project/{api.get('/cloud/project')[0]}/kube"
            created = api.post(kube, region="GRA11", name="bench")
            path = f"{kube}/{created['id']}"
            wait_ready(api, path)
            kubeconfig = Path(home) / "bench.kubeconfig"
            kubeconfig.write_text(api.post(f"{path}/kubeconfig")["content"])
            api.put(f"{path}/ipRestrictions", ips=["127.0.0.1/32"])
            wait_ready(api, path)
            allowed = kubectl_seconds(kubeconfig, args.runs, refused=False)
            api.put(f"{path}/ipRestrictions", ips=["203.0.113.0/24"])
            wait_ready(api, path)
            refused = kubectl_seconds(kubeconfig, args.runs, refused=True)
        finally:
            emulator.down()
    print(f"kubectl let in:      {allowed:6.2f} s (median of {args.runs})")
    print(f"kubectl refused:     {refused:6.2f} s (median of {args.runs})")
    print(f"refused / let in:    {refused / allowed:6.2f}")


if __name__ == "__main__":
    main()
