"""Sandbox benchmarks: startup, restart, memory, scale. Run with `make bench`.

Figures are printed as a table and saved to bench/results/<time>.json. Where a baseline
exists in the same run it is measured first and the figure is reported as a ratio:
- startup: kube-apiserver alone (etcd + apiserver, no nodes, no controllers) answering
  /readyz, against the whole sandbox with Ready nodes and the default ServiceAccount;
- 1,000 replicas Running: creating 1,000 ConfigMaps (pure API writes) as the baseline
  for 1,000 pods going through scheduling and kwok's stages.
Nothing here asserts a time: benchmarks inform, tests decide.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from workshop import binaries
from workshop.home import cache_home
from workshop.sandbox import Sandbox

RESULTS = Path(__file__).parent / "results"


def kubectl(box: Sandbox, *args: str, stdin: str | None = None) -> str:
    exe = Path(sys.executable).parent / "kubectl"
    out = subprocess.run(
        [str(exe), f"--kubeconfig={box.kubeconfig}", *args],
        capture_output=True,
        text=True,
        input=stdin,
        check=True,
        timeout=600,
    )
    return out.stdout


def total_rss(box: Sandbox) -> int:
    return sum(c.rss_bytes or 0 for c in box.status().components)


def apiserver_only(home: Path) -> float:
    """Seconds for etcd + kube-apiserver alone to answer /readyz (the startup baseline)."""
    from workshop.sandbox import api as sandbox_api
    from workshop.sandbox import components, pki, ports
    from workshop.sandbox.layout import Layout

    layout = Layout(home)
    keys = pki.Pki(layout.pki)
    pki.ensure(keys, hosts=[])
    p = ports.pick(4)
    found = {n: binaries.find(n) for n in binaries.SANDBOX_BINARIES}
    plan = components.control_plane(
        layout, binaries=found, ports=components.Ports(p[0], p[1], p[2], p[3])
    )
    layout.etcd_data.mkdir(parents=True, exist_ok=True)
    layout.etcd_data.chmod(0o700)
    procs = []
    start = time.monotonic()
    try:
        for comp in plan[:2]:
            procs.append(
                subprocess.Popen(
                    comp.argv,
                    env={**os.environ, **comp.env},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        api = sandbox_api.load("127.0.0.1", p[0], layout.pki)
        while not api.ready():
            time.sleep(0.05)
        return time.monotonic() - start
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(10)


def wait_replicas(box: Sandbox, name: str, replicas: int) -> None:
    while True:
        ready = kubectl(box, "get", "deployment", name, "-o", "jsonpath={.status.readyReplicas}")
        if ready and int(ready) >= replicas:
            return
        time.sleep(0.25)


def configmaps(box: Sandbox, count: int) -> float:
    docs = "\n---\n".join(
        "apiVersion: v1\nkind: ConfigMap\n"
        f"metadata: {{name: bench-{i}, namespace: default}}\ndata: {{i: '{i}'}}"
        for i in range(count)
    )
    start = time.monotonic()
    kubectl(box, "apply", "--server-side", "-f", "-", stdin=docs)
    return time.monotonic() - start


def build_times() -> dict[str, Any]:
    """Cold build durations recorded by `workshop binaries install` (if it built them)."""
    found: dict[str, Any] = {}
    for record in (cache_home() / "bin").glob("*/build.json"):
        found[record.parent.name] = json.loads(record.read_text()).get("seconds")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-scale", action="store_true", help="skip the 100-node / 1,000-pod run"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "cpus": os.cpu_count()}

    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        base = apiserver_only(Path(tmp) / "baseline")
        results["baseline_apiserver_ready_s"] = round(base, 2)

        box = Sandbox(Path(tmp) / "three", nodes=3, profile="instant")
        start = time.monotonic()
        box.up()
        cold = time.monotonic() - start
        results["cold_up_3_nodes_s"] = round(cold, 2)
        results["cold_up_ratio_vs_apiserver_alone"] = round(cold / base, 2)
        time.sleep(5)  # let the controllers settle before reading memory
        results["rss_3_nodes_mib"] = round(total_rss(box) / 2**20)
        results["rss_3_nodes_by_component_mib"] = {
            c.name: round((c.rss_bytes or 0) / 2**20) for c in box.status().components
        }
        box.down()
        start = time.monotonic()
        box.up()
        results["warm_restart_s"] = round(time.monotonic() - start, 2)
        box.down()

        if not args.skip_scale:
            big = Sandbox(Path(tmp) / "big", nodes=100, profile="instant")
            start = time.monotonic()
            big.up(timeout=300)
            results["cold_up_100_nodes_s"] = round(time.monotonic() - start, 2)
            cm = configmaps(big, 1000)
            results["baseline_1000_configmaps_s"] = round(cm, 2)
            kubectl(big, "create", "deployment", "scale", "--image=nginx", "--replicas=1000")
            start = time.monotonic()
            wait_replicas(big, "scale", 1000)
            running = time.monotonic() - start
            results["deployment_1000_replicas_running_s"] = round(running, 2)
            results["deployment_1000_ratio_vs_configmaps"] = round(running / cm, 2)
            time.sleep(5)
            results["rss_100_nodes_1000_pods_mib"] = round(total_rss(big) / 2**20)
            results["rss_100_nodes_by_component_mib"] = {
                c.name: round((c.rss_bytes or 0) / 2**20) for c in big.status().components
            }
            big.down()

    results["cold_build_s"] = build_times()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{results['when'].replace(':', '')}.json"
    out.write_text(json.dumps(results, indent=1))
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
