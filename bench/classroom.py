"""Class benchmarks: a class of 50 learners created and deleted on the sandbox, its memory,
the class board's update latency with 50 learners checking at once, and 50 learners doing
lab 04 at once beside one learner's runaway Deployment.

Run with `.venv/bin/python bench/classroom.py [--learners 50]`. Baselines in the same run:
- creating the class (namespaces, ServiceAccounts, RoleBindings, quotas, limit ranges,
  tokens, kubeconfigs) against creating the same number of bare namespaces;
- the board: the time until it shows every learner's check, against the time until every
  learner's check (and its LabProgress write) has returned; and, per learner, from their
  check returning to the board having it (watch event, then the board's picture).
- the class at work: every learner solves and checks each step of lab 04 at once, while
  learner 1 also starts a runaway Deployment (500 replicas) in their home namespace; the
  baseline is one learner doing the same lab alone, on the same sandbox, first. Reported:
  the checks that failed (none should: one learner's load is not another's failure), each
  learner's time against the baseline's, how many pods the runaway got (its quota's), and
  the longest the board went without news while checks were landing.
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


def do_lab(cluster: Cluster, lab: course.Lab, store: course.ProgressStore) -> list[str]:
    """A learner's way through a lab: each step solved, then checked. What failed."""
    failed = []
    for step in lab.steps:
        try:
            course.solve(cluster, lab, step.id, progress=store, only=step.mode != "guided")
            result = course.check(cluster, lab, step.id, progress=store)[0]
        except Exception as e:  # noqa: BLE001 - a bench reports, it does not stop
            failed.append(f"{step.id}: {e}")
            continue
        if not result.passed:
            failed.append(f"{step.id}: {result.message}")
    return failed


def class_at_work(admin: Cluster, count: int, tmp: Path, results: dict[str, Any]) -> None:
    """A class for lab 04 alone, created as an instructor would (no --overcommit: the
    sandbox's pool grows until every learner's quotas fit), then at work."""
    lab = course.find_lab("04")
    people = classroom.numbered(count)
    learners = [p.id for p in people]
    plan = classroom.ClassPlan(
        "work", people, [lab.base_namespace], footprints={lab.base_namespace: lab.spec.footprint}
    )
    out = tmp / "work"
    start = time.monotonic()
    classroom.create(admin, plan, out)
    results["work_class_create_s"] = round(time.monotonic() - start, 1)
    results["work_nodes"] = len(admin.api.list("v1", "Node"))
    clusters = {name: connect(kubeconfig=out / f"{name}.kubeconfig") for name in learners}
    alone = learners[-1]  # the baseline: one learner, nobody else at work
    start = time.monotonic()
    mine = course.place(clusters[alone], lab)
    failed = do_lab(clusters[alone], mine, course.ProgressStore(tmp / "alone.json"))
    baseline = time.monotonic() - start
    course.reset(clusters[alone], mine)
    results["work_baseline_one_learner_s"] = round(baseline, 1)
    results["work_baseline_failed"] = failed

    live = boards.LiveBoard(admin.api, "work").start()
    live.watcher.synced.wait(30)
    took: dict[str, float] = {}
    failures: dict[str, list[str]] = {}
    barrier = threading.Barrier(len(learners) + 1)
    runaway = learners[0]

    def learner(name: str) -> None:
        cluster = clusters[name]
        placed = course.place(cluster, lab)
        store = course.ProgressStore(tmp / f"work-{name}.json")
        barrier.wait()
        begun = time.monotonic()
        if name == runaway:
            home = cluster.seat.home if cluster.seat is not None else "default"
            cluster.api.apply({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "runaway", "namespace": home},
                "spec": {"replicas": 500, "selector": {"matchLabels": {"app": "runaway"}},
                         "template": {"metadata": {"labels": {"app": "runaway"}},
                                      "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
            })  # fmt: skip
        failures[name] = do_lab(cluster, placed, store)
        took[name] = time.monotonic() - begun

    threads = [threading.Thread(target=learner, args=(n,)) for n in learners]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.monotonic()
    last_version, last_news, longest_quiet = live.version, start, 0.0
    while any(t.is_alive() for t in threads) and time.monotonic() - start < 1800:
        if live.version != last_version:
            now = time.monotonic()
            longest_quiet = max(longest_quiet, now - last_news)
            last_version, last_news = live.version, now
        time.sleep(0.05)
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    times = list(took.values())
    failed_steps = {n: f for n, f in failures.items() if f}
    results["work_wall_s"] = round(wall, 1)
    results["work_learner_p50_s"] = round(statistics.median(times), 1)
    results["work_learner_max_s"] = round(max(times), 1)
    results["work_learner_p50_ratio_vs_alone"] = round(statistics.median(times) / baseline, 2)
    results["work_steps"] = len(learners) * len(lab.steps)
    results["work_steps_failed"] = sum(len(f) for f in failed_steps.values())
    results["work_failures_first"] = [f"{n}: {f[0]}" for n, f in list(failed_steps.items())[:5]]
    seat = clusters[runaway].seat
    runaway_home = seat.home if seat else "default"
    pods = admin.api.list("v1", "Pod", namespace=runaway_home, label_selector="app=runaway")
    results["runaway_pods_of_500"] = len(pods)
    results["board_longest_quiet_while_checking_s"] = round(longest_quiet, 2)
    picture = live.board()
    results["board_cells_done"] = sum(
        1 for (_, lab_id, _), cell in picture.cells.items() if lab_id == lab.id and cell == "done"
    )
    live.stop()
    for c in clusters.values():
        c.close()
    classroom.delete(admin, "work")


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
            footprints = {lab.base_namespace: lab.spec.footprint for lab in course.list_labs()}
            plan = classroom.ClassPlan("bench", people, labs, footprints=footprints)
            namespaces = args.learners * (1 + len(labs))
            results["namespaces"] = namespaces
            results["objects"] = sum(len(plan.learner_objects(p)) for p in people) + 4
            base = bare_namespaces(admin, namespaces)
            results["baseline_bare_namespaces_s"] = round(base, 2)
            out = Path(tmp) / "class"
            start = time.monotonic()
            created = classroom.create(admin, plan, out, overcommit=True)
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
            class_at_work(admin, args.learners, Path(tmp), results)
            results["rss_after_work_mib"] = total_rss_mib(box)
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
