"""Solutions of lab 10: OpenTofu creates, resizes and destroys the cluster of the OVHcloud guide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workshop.tools import terraform

HERE = Path(__file__).parent
NAME = "lab-10"


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


def destroy(ctx: Any) -> None:
    """tofu destroy, then remove the working folder and its state"""
    del ctx
    folder = work()
    if (folder.dir / "terraform.tfstate").exists():
        folder.init()
        folder.destroy()
    terraform.forget(NAME)
