"""Solutions of lab 10: OpenTofu creates the cluster, then its node pool, resizes the pool,
adopts a drift and destroys it all (the cluster of the OVHcloud guide)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from workshop.tools import ovh as ovh_tools
from workshop.tools import terraform

HERE = Path(__file__).parent
NAME = "lab-10"
POOL = "module.kube.ovh_cloud_project_kube_nodepool.pool"
POOL_NAME = "my-pool"
RESIZED = 4  # nodes: step 3
PEAK = 5  # nodes: what the on-call engineer set through the API during the traffic peak


def work() -> terraform.Workspace:
    return terraform.workspace(HERE / "terraform", name=NAME)


def apply(ctx: Any) -> None:
    """cd $WORKSHOP_HOME/terraform/lab-10 && tofu init && tofu apply"""
    del ctx
    folder = work()
    folder.init()
    folder.apply()


def _has_pool_block(folder: terraform.Workspace) -> bool:
    module = folder.dir / "modules" / "cluster"
    wanted = 'resource "ovh_cloud_project_kube_nodepool" "pool"'
    return any(wanted in " ".join(f.read_text().split()) for f in module.glob("*.tf"))


def place_pool(folder: terraform.Workspace) -> None:
    """cp labs/10-terraform/solution/module-pool.tf modules/cluster/ (the step 2 block)

    A block of yours named `pool` is kept as it is."""
    if not _has_pool_block(folder):
        target = folder.dir / "modules" / "cluster" / "module-pool.tf"
        shutil.copyfile(HERE / "solution" / "module-pool.tf", target)


def add_pool(ctx: Any) -> None:
    """write the ovh_cloud_project_kube_nodepool block into modules/cluster/, then tofu apply

    The block is labs/10-terraform/solution/module-pool.tf; a block of yours named `pool`
    is kept as it is."""
    del ctx
    folder = work()
    place_pool(folder)
    folder.init()
    folder.apply()


def set_four_nodes(ctx: Any) -> None:
    """echo 'nodes = 4' > terraform.tfvars && tofu apply"""
    del ctx
    folder = work()
    (folder.dir / "terraform.tfvars").write_text(f"nodes = {RESIZED}\n")
    folder.init()
    folder.apply()


def _pool_url(folder: terraform.Workspace) -> str:
    api = ovh_tools.client()
    service = folder.env["TF_VAR_service_name"]
    kube_url = f"/cloud/project/{service}/kube/{folder.output('cluster_id')}"
    for pool in api.get(f"{kube_url}/nodepool") or []:  # the pools, as objects
        if pool.get("name") == POOL_NAME:
            return f"{kube_url}/nodepool/{pool['id']}"
    raise LookupError(f"no node pool {POOL_NAME} in the cluster: solve step 2 first")


def scale_behind_terraform(ctx: Any) -> None:
    """api.put(pool_url, desiredNodes=5, minNodes=5, maxNodes=5)   # the on-call engineer

    The pool goes to 5 nodes through the OVHcloud API, behind Terraform's back (the
    cluster and its pool of 4 are made first, through Terraform, if they are not there)."""
    folder = work()
    folder.init()
    if POOL not in folder.resources():
        apply(ctx)
        add_pool(ctx)
    set_four_nodes(ctx)  # the configuration says 4 (again, when breaking it again)
    ovh_tools.client().put(_pool_url(folder), desiredNodes=PEAK, minNodes=PEAK, maxNodes=PEAK)


def adopt_peak(ctx: Any) -> None:
    """echo 'nodes = 5' > terraform.tfvars && tofu apply

    The configuration adopts what the engineer did; the apply (of an empty plan once the
    drift is adopted) records the refreshed state."""
    del ctx
    folder = work()
    (folder.dir / "terraform.tfvars").write_text(f"nodes = {PEAK}\n")
    folder.init()
    folder.apply()


def destroy(ctx: Any) -> None:
    """tofu destroy (the working folder and its now empty state stay)"""
    del ctx
    folder = terraform.existing(NAME)
    folder.init()
    folder.destroy()


def cleanup(ctx: Any) -> None:
    """tofu destroy, then remove the working folder and its state"""
    del ctx
    folder = work()
    if (folder.dir / "terraform.tfstate").exists():
        folder.init()
        folder.destroy()
    terraform.forget(NAME)
