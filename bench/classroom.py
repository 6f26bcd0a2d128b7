"""Class benchmarks: a class of 50 learners created and deleted on the sandbox, its memory,
and the class board's update latency with 50 learners checking at once.

Run with `.venv/bin/python bench/classroom.py [--learners 50]`. Baselines in the same run:
- creating the class (namespaces, ServiceAccounts, RoleBindings, quotas, limit ranges,
  tokens, kubeconfigs) against creating the same number of bare namespaces;
- the board: the time until it shows every learner's check, against the time until every
  learner's check (and its LabProgress write) has returned; and, per learner, from their
  check returning to the board having it (watch event, then the board's picture).
Figures are printed and saved to bench/results/class-<time>.json. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from workshop import classroom, course
from workshop.classroom import board as boards
from workshop.classroom import web
from workshop.cluster import Cluster, connect
from workshop.sandbox import Sandbox

RESULTS = Path(__file__).parent / "results"


def total_rss_mib(box: Sandbox) -> int:
    return round(sum(c.rss_bytes or 0 for c in box.status().components) / 2**20)


def bare_namespaces(admin: Cluster, count: int) -> float:
    """Seconds to create ``count`` plain namespaces with the same 4 workers (the baseline)."""
    names = [f"bench-bare-{i:04d}" for i in range(count)]
    start = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda n: admin.api.apply(
                    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
                ),
                names,
            )
        )
    seconds = time.monotonic() - start
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda n: admin.api.delete("v1", "Namespace", n, None), names))
    return seconds


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def board_latency(
    admin: Cluster, out: Path, learners: list[str], tmp: Path, results: dict[str, Any]
) -> None:
    lab = course.find_lab("04")
    clusters = {name: connect(kubeconfig=out / f"{name}.kubeconfig") for name in learners}
    live = boards.LiveBoard(admin.api, "bench").start()
    live.watcher.synced.wait(30)
    returned: dict[str, float] = {}
    barrier = threading.Barrier(len(learners) + 1)

    def check(name: str) -> None:
        store = course.ProgressStore(tmp / f"{name}.json")
        barrier.wait()
        course.check(clusters[name], lab, "deploy", progress=store)
        returned[name] = time.monotonic()

    threads = [threading.Thread(target=check, args=(n,)) for n in learners]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.monotonic()
    all_on_board = None
    while all_on_board is None and time.monotonic() - start < 300:
        picture = live.board()
        if all((n, lab.id, "deploy") in picture.cells for n in learners):
            all_on_board = time.monotonic() - start
        else:
            time.sleep(0.01)
    for t in threads:
        t.join()
    all_returned = max(returned.values()) - start
    seen = {k.split("/")[0].removeprefix("bench-"): v for k, v in live.changed_at.items()}
    lags = [max(0.0, seen[n] - returned[n]) for n in learners if n in seen]
    results["board_all_learners_shown_s"] = round(all_on_board or -1, 3)
    results["baseline_all_checks_returned_s"] = round(all_returned, 3)
    results["board_ratio_vs_checks"] = round((all_on_board or 0) / all_returned, 2)
    results["board_lag_after_check_p50_ms"] = round(statistics.median(lags) * 1000, 1)
    results["board_lag_after_check_p95_ms"] = round(percentile(lags, 95) * 1000, 1)
    results["board_lag_after_check_max_ms"] = round(max(lags) * 1000, 1)
    start = time.monotonic()
    html = boards.render_html(live.board())
    results["board_render_ms"] = round((time.monotonic() - start) * 1000, 1)
    results["board_html_kib"] = round(len(html) / 1024, 1)

    # the projector page: a long poll waiting, then one learner checks again
    server = web.serve(live)
    url = f"http://127.0.0.1:{server.server_address[1]}/board.json?after={live.version}"
    answered: list[float] = []

    def poll() -> None:
        with urllib.request.urlopen(url, timeout=60) as answer:
            answer.read()
        answered.append(time.monotonic())

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.5)
    name = learners[0]
    course.check(clusters[name], lab, "expose", progress=course.ProgressStore(tmp / "x.json"))
    checked = time.monotonic()
    poller.join()
    results["web_page_lag_after_check_ms"] = round(max(0.0, answered[0] - checked) * 1000, 1)
    server.shutdown()
    server.server_close()
    live.stop()
    for c in clusters.values():
        c.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=50)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "cpus": os.cpu_count(),
        "learners": args.learners,
    }
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        box = Sandbox(Path(tmp) / "home", nodes=3, profile="instant")
        box.up()
        admin = connect(box.context, kubeconfig=box.kubeconfig)
        try:
            time.sleep(5)
            results["rss_before_mib"] = total_rss_mib(box)
            people = classroom.numbered(args.learners)
            labs = sorted({lab.base_namespace for lab in course.list_labs()})
            plan = classroom.ClassPlan("bench", people, labs)
            namespaces = args.learners * (1 + len(labs))
            results["namespaces"] = namespaces
            results["objects"] = sum(len(plan.learner_objects(p)) for p in people) + 4
            base = bare_namespaces(admin, namespaces)
            results["baseline_bare_namespaces_s"] = round(base, 2)
            out = Path(tmp) / "class"
            start = time.monotonic()
            created = classroom.create(admin, plan, out)
            took = time.monotonic() - start
            results["class_create_s"] = round(took, 2)
            results["class_create_ratio_vs_bare_namespaces"] = round(took / base, 2)
            results["class_create_phases_s"] = {k: round(v, 2) for k, v in created.seconds.items()}
            time.sleep(5)
            results["rss_after_create_mib"] = total_rss_mib(box)
            board_latency(admin, out, [p.id for p in people], Path(tmp), results)
            results["rss_after_board_mib"] = total_rss_mib(box)
            results["rss_by_component_mib"] = {
                c.name: round((c.rss_bytes or 0) / 2**20) for c in box.status().components
            }
            start = time.monotonic()
            classroom.delete(admin, "bench")
            results["class_delete_s"] = round(time.monotonic() - start, 2)
            time.sleep(5)
            results["rss_after_delete_mib"] = total_rss_mib(box)
        finally:
            admin.close()
            box.down()
    RESULTS.mkdir(exist_ok=True)
    out_file = RESULTS / f"class-{results['when'].replace(':', '')}.json"
    out_file.write_text(json.dumps(results, indent=1))
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")
    print(f"saved {out_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
