"""Plans as data (``tofu show -json`` of a saved plan) and how PlanView shows them."""

from __future__ import annotations

from typing import Any

from workshop.tools import terraform
from workshop.widgets.planview import PlanView, plan_text

POOL = "module.kube.ovh_cloud_project_kube_nodepool.pool"
CLUSTER = "module.kube.ovh_cloud_project_kube.cluster"


def resource(address: str, actions: list[str], **change: Any) -> dict[str, Any]:
    return {
        "address": address,
        "type": address.split(".")[-2],
        "change": {"actions": actions, **change},
        **({"action_reason": change.pop("reason")} if "reason" in change else {}),
    }


def created() -> dict[str, Any]:
    return {
        "resource_changes": [
            resource(
                CLUSTER,
                ["create"],
                before=None,
                after={"name": "my_kube_cluster", "region": "GRA7", "version": None},
                after_unknown={"id": True, "kubeconfig": True, "status": True},
                after_sensitive={"kubeconfig": True},
            ),
            resource(
                POOL,
                ["create"],
                before=None,
                after={"desired_nodes": 3, "flavor_name": "b2-7"},
                after_unknown={"id": True, "kube_id": True},
            ),
        ],
        "output_changes": {"kubeconfig": {"actions": ["create"]}},
    }


def test_a_plan_that_creates_counts_adds_and_lists_what_is_known_after_apply() -> None:
    plan = terraform.parse_plan(created())
    assert (plan.adds, plan.updates, plan.destroys, plan.empty) == (2, 0, 0, False)
    assert plan.summary() == "Plan: 2 to add, 0 to change, 0 to destroy."
    cluster = plan.change(CLUSTER)
    names = {a.name: a for a in cluster.attributes}
    assert set(names) == {"id", "kubeconfig", "name", "region", "status"}  # null version left out
    assert names["id"].unknown and names["kubeconfig"].sensitive
    assert names["name"].after == "my_kube_cluster"
    assert [o.address for o in plan.outputs] == ["output.kubeconfig"]


def test_an_in_place_update_shows_only_what_changes() -> None:
    pool_before = {"desired_nodes": 3, "max_nodes": 3, "flavor_name": "b2-7", "status": "READY"}
    data = {
        "resource_changes": [
            resource(CLUSTER, ["no-op"], before={"name": "x"}, after={"name": "x"}),
            resource(
                POOL,
                ["update"],
                before=pool_before,
                after={**pool_before, "desired_nodes": 4, "max_nodes": 4, "status": None},
                after_unknown={"status": True},
            ),
        ]
    }
    plan = terraform.parse_plan(data)
    assert (plan.adds, plan.updates, plan.destroys) == (0, 1, 0)
    change = plan.change(POOL)
    assert change.action == "update"
    assert [(a.name, a.before, a.after) for a in change.attributes] == [
        ("desired_nodes", 3, 4),
        ("max_nodes", 3, 4),
        ("status", "READY", None),
    ]
    assert change.replaced_by == ()


def test_a_replacement_names_the_attribute_that_forces_it() -> None:
    data = {
        "resource_changes": [
            resource(
                POOL,
                ["delete", "create"],
                before={"flavor_name": "b2-7", "desired_nodes": 3},
                after={"flavor_name": "b3-8", "desired_nodes": 3},
                after_unknown={"id": True},
                replace_paths=[["flavor_name"]],
                reason="replace_because_cannot_update",
            )
        ]
    }
    plan = terraform.parse_plan(data)
    change = plan.change(POOL)
    assert (change.action, change.reason) == ("replace", "replace_because_cannot_update")
    assert change.replaced_by == ("flavor_name",)
    assert (plan.adds, plan.updates, plan.destroys) == (1, 0, 1)
    text = plan_text(plan)
    assert f"-/+ {POOL} must be replaced" in text
    assert '    flavor_name = "b2-7" -> "b3-8"  # forces replacement' in text
    assert text.endswith("Plan: 1 to add, 0 to change, 1 to destroy.")


def test_drift_comes_first_and_an_empty_plan_says_no_changes() -> None:
    data = {
        "resource_drift": [
            resource(POOL, ["update"], before={"desired_nodes": 4}, after={"desired_nodes": 2})
        ],
        "resource_changes": [resource(CLUSTER, ["no-op"], before={}, after={})],
    }
    plan = terraform.parse_plan(data)
    assert plan.empty
    assert plan_text(plan).splitlines() == [
        f"! {POOL} has changed outside of Terraform",
        "    desired_nodes = 4 -> 2",
        "No changes. Your infrastructure matches the configuration.",
    ]


def test_plan_view_colours_each_action_and_never_shows_a_sensitive_value() -> None:
    secret = "client-key-data: c2VjcmV0"
    data = created()
    data["resource_changes"][0]["change"]["after"]["kubeconfig"] = secret
    data["resource_changes"][0]["change"]["after_unknown"].pop("kubeconfig")
    view = PlanView(terraform.parse_plan(data), folder="~/.workshop/terraform/lab-10")
    shown = view.html.value
    assert secret not in shown and secret not in view.text
    assert "kubeconfig = (sensitive value)" in view.text
    assert "#1a7f37" in shown  # create, in green
    assert "2 to add" in shown
    assert view.command.command == "cd ~/.workshop/terraform/lab-10 && tofu plan"
