"""Sandbox benchmarks: startup, restart, memory, scale. Run with `make bench`.

Figures are printed as a table and saved to bench/results/<time>.json. Where a baseline
exists in the same run it is measured first and the figure is reported as a ratio:
- startup: kube-apiserver alone (etcd + apiserver, no nodes, no controllers) answering
  /readyz, against the whole sandbox with Ready nodes and the default ServiceAccount;
- 1,000 replicas Running: creating 1,000 ConfigMaps (pure API writes) as the baseline
  for 1,000 pods going through scheduling, image pulls and kwok's stages; then the time
  until every pod also has its kwok Logs object (the add-ons create those after a burst);
- LoadBalancer requests per second: the simulated hello app behind a LoadBalancer
  Service (3 replicas), against a plain loopback HTTP server (``python -m http.server``)
  serving a page of the same size, with the same client, a new connection per request;
- up after the supervisor was killed with SIGKILL, against a warm restart (down, up);
- autoscaling: an autoscaled pool going from 3 to 10 nodes for a Deployment that does
  not fit (instant profile), and until every pod of it runs.
Nothing here asserts a time: benchmarks inform, tests decide.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from workshop import binaries
from workshop.home import cache_home
from workshop.sandbox import Sandbox, ports

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
    layout.scratch.mkdir(mode=0o700, parents=True, exist_ok=True)
    procs = []
    start = time.monotonic()
    try:
        for comp in plan[:2]:
            procs.append(
                subprocess.Popen(
                    comp.argv,
                    env=dict(comp.env),
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


def requests_per_second(url: str, *, seconds: float = 5.0, clients: int = 8) -> float:
    """GETs answered per second by ``url``, ``clients`` at a time, one connection each."""
    parts = urllib.parse.urlsplit(url)
    done = [0] * clients
    deadline = time.monotonic() + seconds

    def client(i: int) -> None:
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            conn.request("GET", "/", headers={"Connection": "close"})
            answer = conn.getresponse()
            answer.read()
            conn.close()
            if answer.status == 200:
                done[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / seconds


def plain_server_rps(folder: Path, size: int) -> float:
    """The baseline: Python's own HTTP server on loopback, serving a page of ``size`` bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text("x" * size)
    port = ports.pick(1)[0]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while ports.is_free(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        return requests_per_second(f"http://127.0.0.1:{port}/")
    finally:
        server.terminate()
        server.wait(10)


def load_balancer(box: Sandbox, results: dict[str, Any], tmp: Path) -> None:
    kubectl(box, "create", "deployment", "hello", "--image=ovhplatform/hello", "--replicas=3")
    kubectl(box, "rollout", "status", "deployment/hello", "--timeout=60s")
    kubectl(box, "expose", "deployment", "hello", "--type=LoadBalancer", "--port=80")
    url = ""
    while not url:
        url = kubectl(
            box,
            "get",
            "service",
            "hello",
            "-o",
            "jsonpath={.metadata.annotations.sandbox\\.workshop\\.dev/load-balancer-urls}",
        ).split(" ")[0]
        time.sleep(0.1)
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", "/")
    size = len(conn.getresponse().read())
    conn.close()
    simulated = requests_per_second(url)
    plain = plain_server_rps(tmp / "plain-http", size)
    results["lb_requests_per_s"] = round(simulated)
    results["baseline_plain_http_requests_per_s"] = round(plain)
    results["lb_ratio_vs_plain_http"] = round(simulated / plain, 2)


POOL_PATCH = {"spec": {"autoscale": True, "minNodes": 3, "maxNodes": 10}}


def autoscale(box: Sandbox, results: dict[str, Any]) -> None:
    """The default pool autoscaled 3..10; 10 pods of 1.5 CPU (a b3-8 node takes one)."""
    kubectl(box, "patch", "nodepool", "nodepool", "--type=merge", "-p", json.dumps(POOL_PATCH))
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "wide", "namespace": "default"},
        "spec": {
            "replicas": 10,
            "selector": {"matchLabels": {"app": "wide"}},
            "template": {
                "metadata": {"labels": {"app": "wide"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx",
                            "resources": {"requests": {"cpu": "1500m"}},
                        }
                    ]
                },
            },
        },
    }
    start = time.monotonic()
    kubectl(box, "apply", "-f", "-", stdin=json.dumps(manifest))
    while True:
        names = kubectl(box, "get", "nodes", "-o", "name").split()
        ready = kubectl(
            box,
            "get",
            "nodes",
            "-o",
            "jsonpath={.items[*].status.conditions[?(@.type=='Ready')].status}",
        ).split()
        if len(names) >= 10 and ready.count("True") >= 10:
            break
        time.sleep(0.1)
    results["autoscale_3_to_10_nodes_s"] = round(time.monotonic() - start, 2)
    wait_replicas(box, "wide", 10)
    results["autoscale_until_10_pods_running_s"] = round(time.monotonic() - start, 2)


def logs_objects(box: Sandbox, count: int) -> None:
    while True:
        found = kubectl(box, "get", "logs.kwok.x-k8s.io", "-o", "name").split()
        if len(found) >= count:
            return
        time.sleep(0.5)


def build_times() -> dict[str, Any]:
    """Cold build durations recorded by `workshop binaries install` (if it built them)."""
    found: dict[str, Any] = {}
    for record in (cache_home() / "bin").glob("*/build.json"):
        found[record.parent.name] = json.loads(record.read_text()).get("seconds")
    return found


def crash_restart(box: Sandbox, results: dict[str, Any]) -> None:
    """``up`` after the supervisor was killed with SIGKILL (its components get SIGTERM and
    may still be exiting), against the warm restart measured just before."""
    supervisor = next(c.pid for c in box.status().components if c.name == "supervisor")
    assert supervisor is not None
    os.kill(supervisor, signal.SIGKILL)
    start = time.monotonic()
    box.up()
    took = time.monotonic() - start
    results["up_after_supervisor_sigkill_s"] = round(took, 2)
    results["up_after_supervisor_sigkill_vs_warm_restart"] = round(
        took / results["warm_restart_s"], 2
    )


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
        crash_restart(box, results)
        load_balancer(box, results, Path(tmp))
        autoscale(box, results)
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
            logs_objects(big, 1000)
            results["deployment_1000_kwok_logs_objects_s"] = round(time.monotonic() - start, 2)
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
