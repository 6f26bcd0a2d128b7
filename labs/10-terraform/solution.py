"""Solutions of lab 10: OpenTofu creates, resizes, adopts a drift and destroys the cluster
of the OVHcloud guide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workshop.tools import ovh as ovh_tools
from workshop.tools import terraform

HERE = Path(__file__).parent
NAME = "lab-10"
PEAK = 5  # nodes: what the on-call engineer set through the API during the traffic peak


def work() -> terraform.Workspace:
    return terraform.workspace(HERE / "terraform", name=NAME)


def apply(ctx: Any) -> None:
    """cd $WORKSHOP_HOME/terraform/lab-10 && tofu init && tofu apply"""
    del ctx
    folder = work()
    folder.init()
    folder.apply()


def resize(ctx: Any) -> None:
    """echo 'nodes = 4' > terraform.tfvars && tofu apply"""
    del ctx
    folder = work()
    (folder.dir / "terraform.tfvars").write_text("nodes = 4\n")
    folder.init()
    folder.apply()


def drift(ctx: Any) -> None:
    """api.put(pool_url, desiredNodes=5, minNodes=5, maxNodes=5) unless done, then
    echo 'nodes = 5' > terraform.tfvars && tofu apply

    The on-call engineer's change through the OVHcloud API, then its adoption: the apply
    of an empty plan records the refreshed state."""
    del ctx
    folder = work()
    folder.init()
    api = ovh_tools.client()
    service = folder.env["TF_VAR_service_name"]
    pool_url = (
        f"/cloud/project/{service}/kube/{folder.output('cluster_id')}"
        f"/nodepool/{folder.output('nodepool_id')}"
    )
    if api.get(pool_url)["desiredNodes"] != PEAK:
        api.put(pool_url, desiredNodes=PEAK, minNodes=PEAK, maxNodes=PEAK)
    (folder.dir / "terraform.tfvars").write_text(f"nodes = {PEAK}\n")
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
