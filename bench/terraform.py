"""Terraform benchmark: `tofu apply` of the lab's cluster + node pool (3 nodes), then
`tofu destroy`, on the emulated OVHcloud API in its instant and lifelike profiles.

Baseline in the same run: the same cluster and pool created with the official `ovh`
client alone (POST the cluster, wait for READY, POST the pool, wait for READY), so the
figure for Terraform is also a ratio against the API it drives. The OVHcloud guide
"Creating a cluster through Terraform" reports 2m32s for the cluster and 4m05s for a pool
of 3 nodes on the real service (6m37s). Run: `.venv/bin/python bench/terraform.py`.
Nothing here asserts a time: benchmarks inform, tests decide.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from workshop.cloud import Emulator
from workshop.tools import ovh as ovh_tools
from workshop.tools import terraform

LAB = Path(__file__).parents[1] / "labs" / "10-terraform" / "terraform"
RESULTS = Path(__file__).parent / "results"
GUIDE_SECONDS = {"cluster": 152, "nodepool": 245, "total": 397}


def wait_ready(api: Any, path: str, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while api.get(path).get("status") != "READY":
        if time.monotonic() > deadline:
            raise TimeoutError(path)
        time.sleep(0.5)


def with_the_api(api: Any) -> float:
    """The baseline: the same cluster and pool through the `ovh` client alone; seconds."""
    project = api.get("/cloud/project")[0]
    base = f"/cloud/project/{project}/kube"
    start = time.monotonic()
    kube = api.post(base, name="baseline", region="GRA7")
    wait_ready(api, f"{base}/{kube['id']}")
    pool = api.post(
        f"{base}/{kube['id']}/nodepool",
        name="my-pool",
        flavorName="b2-7",
        desiredNodes=3,
        minNodes=3,
        maxNodes=3,
    )
    wait_ready(api, f"{base}/{kube['id']}/nodepool/{pool['id']}")
    took = time.monotonic() - start
    api.delete(f"{base}/{kube['id']}")
    deadline = time.monotonic() + 600
    while kube["id"] in api.get(base) and time.monotonic() < deadline:
        time.sleep(0.5)
    return took


def with_tofu() -> dict[str, float]:
    work = terraform.workspace(LAB, name="bench")
    started = time.monotonic()
    work.init()
    init = time.monotonic() - started
    started = time.monotonic()
    work.apply()
    apply = time.monotonic() - started
    started = time.monotonic()
    work.plan()
    plan = time.monotonic() - started
    started = time.monotonic()
    work.destroy()
    destroy = time.monotonic() - started
    terraform.forget("bench")
    return {"init_s": init, "apply_s": apply, "plan_no_changes_s": plan, "destroy_s": destroy}


def profile_run(profile: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-terraform-") as tmp:
        os.environ["WORKSHOP_HOME"] = tmp
        emulator = Emulator(Path(tmp), profile=profile)
        emulator.up()
        emulator.credentials()
        try:
            baseline = with_the_api(ovh_tools.client())
            figures = with_tofu()
        finally:
            emulator.down()
    rounded = {k: round(v, 1) for k, v in figures.items()}
    return {
        **rounded,
        "baseline_ovh_client_s": round(baseline, 1),
        "apply_ratio_vs_ovh_client": round(figures["apply_s"] / baseline, 2),
        "apply_ratio_vs_guide": round(figures["apply_s"] / GUIDE_SECONDS["total"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default="instant,lifelike")
    args = parser.parse_args()
    for name in ("ENDPOINT", "APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY"):
        os.environ.pop(f"OVH_{name}", None)
    results: dict[str, Any] = {"guide_real_service_s": GUIDE_SECONDS}
    for profile in args.profiles.split(","):
        results[profile] = profile_run(profile)
        print(profile, json.dumps(results[profile]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"terraform-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"saved {out}")


if __name__ == "__main__":
    main()
