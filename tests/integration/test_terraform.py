"""OpenTofu and the workshop's ovh provider against the emulated OVHcloud API, in order:
init, plan, apply, an empty plan, kubectl on the new cluster, an in-place resize, drift,
import, a replacement (planned only) and destroy. The HCL is lab 10's as the learner
finishes it (its node pool block from the lab's solution). One cluster serves the module;
the last test destroys it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ovh
import pytest

from tests.integration import cloudkit
from workshop import course
from workshop.cloud import Emulator
from workshop.tools import ovh as ovh_tools
from workshop.tools import terraform

pytestmark = pytest.mark.integration
LAB = Path(__file__).parents[2] / "labs" / "10-terraform" / "terraform"
CLUSTER = "module.kube.ovh_cloud_project_kube.cluster"
POOL = "module.kube.ovh_cloud_project_kube_nodepool.pool"
solution: Any = course.load_module(course.find_lab("10"), "solution")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with cloudkit.cloud_home(tmp_path_factory, "terraform-home") as home:
        yield home


@pytest.fixture(scope="module")
def emulator(home: Path) -> Iterator[Emulator]:
    with cloudkit.emulator_in(home) as em:
        yield em


@pytest.fixture(scope="module")
def api(emulator: Emulator) -> ovh.Client:
    return ovh_tools.client()


@pytest.fixture(scope="module")
def work(emulator: Emulator) -> terraform.Workspace:
    """The lab's HCL as the learner finishes it: the starting configuration, with the node
    pool's block put in modules/cluster/ as the lab's solution of step 2 puts it."""
    work = terraform.workspace(LAB, name="test")
    solution.place_pool(work)
    return work


def pool_id(work: terraform.Workspace) -> str:
    """The node pool's id, as the state records it."""
    for module in work.state()["values"]["root_module"].get("child_modules", []):
        for resource in module.get("resources", []):
            if resource["address"] == POOL:
                return str(resource["values"]["id"])
    raise AssertionError(f"{POOL} is not in the state")


def pool_path(api: ovh.Client, work: terraform.Workspace) -> str:
    project = api.get("/cloud/project")[0]
    return f"/cloud/project/{project}/kube/{work.output('cluster_id')}/nodepool/{pool_id(work)}"


def test_init_installs_the_provider_from_the_local_mirror(work: terraform.Workspace) -> None:
    said = work.init()
    assert "Installing ovh/ovh v2.19.0" in said
    assert (work.dir / ".terraform.lock.hcl").exists()
    config = Path(work.env["TF_CLI_CONFIG_FILE"]).read_text()
    assert "filesystem_mirror" in config


def test_the_first_plan_adds_the_cluster_and_its_pool(work: terraform.Workspace) -> None:
    plan = work.plan()
    assert (plan.adds, plan.updates, plan.destroys) == (2, 0, 0)
    pool = {a.name: a for a in plan.change(POOL).attributes}
    assert (pool["flavor_name"].after, pool["desired_nodes"].after) == ("b3-8", 3)
    assert pool["current_nodes"].unknown


def test_apply_creates_what_the_api_then_shows(work: terraform.Workspace, api: ovh.Client) -> None:
    said = work.apply()
    assert "Apply complete! Resources: 2 added, 0 changed, 0 destroyed." in said
    pool = api.get(pool_path(api, work))
    assert (pool["name"], pool["flavor"], pool["status"]) == ("my-pool", "b3-8", "READY")
    assert pool["currentNodes"] == 3


def test_a_second_plan_is_empty(work: terraform.Workspace) -> None:
    assert work.plan().empty


def test_the_kubeconfig_output_reaches_the_new_cluster_with_kubectl(
    work: terraform.Workspace, tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(work.output("kubeconfig"))
    kubeconfig.chmod(0o600)
    nodes = subprocess.run(
        [
            str(Path(sys.executable).parent / "kubectl"),
            f"--kubeconfig={kubeconfig}",
            "get",
            "nodes",
            "-o",
            "name",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
        check=True,
    ).stdout.split()
    assert len(nodes) == 3 and all(n.startswith("node/my-pool-node-") for n in nodes)


def test_resizing_the_pool_is_an_update_in_place(
    work: terraform.Workspace, api: ovh.Client
) -> None:
    (work.dir / "terraform.tfvars").write_text("nodes = 4\n")
    plan = work.plan()
    assert (plan.adds, plan.updates, plan.destroys) == (0, 1, 0)
    assert plan.change(POOL).action == "update" and plan.change(CLUSTER).action == "no-op"
    work.apply()
    assert api.get(pool_path(api, work))["currentNodes"] == 4
    assert work.plan().empty


def test_a_change_made_through_the_api_shows_as_drift(
    work: terraform.Workspace, api: ovh.Client
) -> None:
    api.put(pool_path(api, work), desiredNodes=2, minNodes=2)
    plan = work.plan()
    [drift] = plan.drift
    changed = {a.name: (a.before, a.after) for a in drift.attributes}
    assert changed["desired_nodes"] == (4, 2)
    pool = {a.name: (a.before, a.after) for a in plan.change(POOL).attributes}
    assert pool["desired_nodes"] == (2, 4)  # the next apply puts it back
    work.apply()
    assert work.plan().empty


def test_an_existing_cluster_can_be_imported(work: terraform.Workspace) -> None:
    kube_id = work.output("cluster_id")
    work.run("state rm", CLUSTER)
    assert CLUSTER not in work.resources()
    said = work.import_(CLUSTER, f"{work.env['TF_VAR_service_name']}/{kube_id}")
    assert "Import successful!" in said
    assert work.plan().empty


def test_a_new_flavor_forces_a_new_pool(work: terraform.Workspace) -> None:
    main = work.dir / "main.tf"
    original = main.read_text()
    main.write_text(original.replace('"b3-8"', '"b3-16"'))
    try:
        plan = work.plan()
    finally:
        main.write_text(original)
    change = plan.change(POOL)
    assert (change.action, change.replaced_by) == ("replace", ("flavor_name",))
    assert (plan.adds, plan.destroys) == (1, 1)


def test_destroy_removes_everything(work: terraform.Workspace, api: ovh.Client) -> None:
    said = work.destroy()
    assert "Destroy complete! Resources: 2 destroyed." in said
    project = api.get("/cloud/project")[0]
    assert api.get(f"/cloud/project/{project}/kube") == []
    assert work.resources() == []
