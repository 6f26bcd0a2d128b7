"""The ``terraform_plan`` and ``terraform_state`` checks: what a pending plan would do, in
one sentence; every way the working folder can be unusable gives a message and a hint.

A working folder of the test's own stands in for ``tofu`` (``terraform.existing`` is the
seam): the real CLI runs in tests/integration/test_labs.py (lab 10's drift step)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from workshop.course.checks import plans
from workshop.course.schema import Check, TerraformPlanCheck, TerraformStateCheck
from workshop.tools import terraform

CHECK = TypeAdapter(Check)
POOL = "module.kube.ovh_cloud_project_kube_nodepool.pool"
CLUSTER = "module.kube.ovh_cloud_project_kube.cluster"
STATUS = {"status": "READY", "current_nodes": 5}


def resource(address: str, actions: list[str], **change: Any) -> dict[str, Any]:
    return {
        "address": address,
        "type": address.split(".")[-2],
        "change": {"actions": actions, **change},
    }


def sizes(n: int) -> dict[str, int]:
    return {"desired_nodes": n, "max_nodes": n, "min_nodes": n}


def drifted() -> terraform.Plan:
    """What `tofu show -json` says once the pool was scaled to 5 through the API."""
    return terraform.parse_plan(
        {
            "resource_drift": [
                resource(
                    POOL,
                    ["update"],
                    before={**sizes(4), "status": "READY", "current_nodes": 4},
                    after={**sizes(5), **STATUS},
                )
            ],
            "resource_changes": [
                resource(CLUSTER, ["no-op"], before={"name": "c"}, after={"name": "c"}),
                resource(
                    POOL,
                    ["update"],
                    before={**sizes(5), **STATUS},
                    after={**sizes(4), **STATUS, "current_nodes": None},
                    after_unknown={"current_nodes": True},
                ),
            ],
        }
    )


class FakeFolder:
    """What the checks use of a ``terraform.Workspace``."""

    def __init__(self, directory: Path, *, plan: terraform.Plan | None = None) -> None:
        self.dir = directory
        self.plan = plan
        self.state: list[str] = []
        self.error: terraform.TerraformError | None = None
        self.last_output = ""
        self.planfiles: list[str] = []

    def pending(self, planfile: str) -> terraform.Plan | None:
        self.planfiles.append(planfile)
        if self.error:
            raise self.error
        return self.plan

    def resources(self) -> list[str]:
        if self.error:
            raise self.error
        return self.state


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeFolder:
    (tmp_path / ".terraform").mkdir()
    (tmp_path / "terraform.tfstate").write_text("{}")
    fake = FakeFolder(tmp_path)
    monkeypatch.setattr(plans, "open_folder", lambda name: fake)
    return fake


def plan_check() -> plans.CheckResult:
    check = CHECK.validate_python({"kind": "terraform_plan", "workspace": "lab-10"})
    assert isinstance(check, TerraformPlanCheck)
    return plans.plan_is_empty(None, check, "lab-10")  # type: ignore[arg-type]


def state_check(resources: list[str]) -> plans.CheckResult:
    fields = {"kind": "terraform_state", "workspace": "lab-10", "resources": resources}
    check = CHECK.validate_python(fields)
    assert isinstance(check, TerraformStateCheck)
    return plans.state_holds(None, check, "lab-10")  # type: ignore[arg-type]


# -- terraform_plan -----------------------------------------------------------------------------


def test_an_empty_plan_passes_and_never_uses_the_learners_plan_file(folder: FakeFolder) -> None:
    result = plan_check()
    assert result.passed
    assert result.message == "tofu plan has nothing to do: the configuration matches what exists"
    [planfile] = folder.planfiles
    assert planfile != "tfplan" and planfile.endswith(".tfplan")


def test_a_drift_names_what_the_plan_would_undo_and_what_changed_outside(
    folder: FakeFolder,
) -> None:
    folder.plan = drifted()
    result = plan_check()
    assert not result.passed
    assert result.message == (
        f"tofu plan would update {POOL} in place "
        "(desired_nodes 5 -> 4, max_nodes 5 -> 4, min_nodes 5 -> 4)"
    )
    # the drift's attributes the configuration sets, not everything the API changed
    assert result.hint and result.hint.startswith(
        f"changed outside tofu: {POOL} (desired_nodes 4 -> 5, max_nodes 4 -> 5, "
        "min_nodes 4 -> 5). Adopt it"
    )
    assert "`tofu apply` to put it back" in result.hint


def test_creations_replacements_and_outputs_are_said_briefly() -> None:
    data = {
        "resource_changes": [
            resource(CLUSTER, ["create"], before=None, after={"name": "c"}),
            resource(
                POOL,
                ["delete", "create"],
                before={"flavor_name": "b2-7"},
                after={"flavor_name": "b3-8"},
                replace_paths=[["flavor_name"]],
            ),
            resource("ovh_x.a", ["delete"], before={"name": "a"}, after=None),
            resource("ovh_x.b", ["delete"], before={"name": "b"}, after=None),
        ]
    }
    assert plans.describe(terraform.parse_plan(data)) == (
        f"tofu plan would create {CLUSTER}; replace {POOL} (flavor_name forces it); "
        "and 2 more changes"
    )
    outputs_only = {"output_changes": {"cluster_id": {"actions": ["update"]}}}
    assert plans.describe(terraform.parse_plan(outputs_only)) == (
        "tofu plan would change output.cluster_id"
    )
    many = {
        "resource_changes": [
            resource(
                POOL,
                ["update"],
                before={"a": 1, "b": "x", "c": None, "d": [1], "secret": "s"},
                after={"a": 2, "b": "y", "c": True, "d": [2], "secret": "t"},
                after_sensitive={"secret": True},
            )
        ]
    }
    assert plans.describe(terraform.parse_plan(many)) == (
        f'tofu plan would update {POOL} in place (a 1 -> 2, b "x" -> "y", c null -> true, +1 more)'
    )


def test_no_folder_an_uninitialised_one_and_a_tofu_error_fail_with_a_hint(
    folder: FakeFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder.error = terraform.TerraformError(
        "tofu plan failed (exit 1):\n...", hint=f"run `tofu plan` in {folder.dir}"
    )
    folder.last_output = (
        "╷\n│ Error: Reference to undeclared input variable\n│\n│   on main.tf line 9\n╵\n"
    )
    result = plan_check()
    assert not result.passed
    assert result.message == (
        f"tofu plan failed in {folder.dir}: Reference to undeclared input variable"
    )
    assert result.hint == f"run `tofu plan` in {folder.dir}"
    folder.last_output = "killed"
    assert plan_check().message == f"tofu plan failed in {folder.dir}: tofu plan failed (exit 1):"

    (folder.dir / ".terraform").rmdir()
    result = plan_check()
    assert result.message == f"the working folder {folder.dir} is not initialised"
    assert result.hint and "tofu init" in result.hint

    def missing(name: str) -> Any:
        raise terraform.TerraformError(f"there is no Terraform working folder {name}", hint="h")

    monkeypatch.setattr(plans, "open_folder", missing)
    result = plan_check()
    assert (result.passed, result.message, result.hint) == (
        False,
        "there is no Terraform working folder lab-10",
        "h",
    )


def test_existing_opens_only_a_folder_that_is_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(terraform.TerraformError, match="no Terraform working folder"):
        terraform.existing("lab-10", home=tmp_path)
    work = tmp_path / "terraform" / "lab-10"
    work.mkdir(parents=True)
    (work / "main.tf").write_text("# mine\n")
    # on a real endpoint the environment is the project only; nothing copied or written
    monkeypatch.setattr(terraform.ovh_tools, "real_endpoint", lambda: "ovh-eu")
    monkeypatch.setattr(terraform, "service_name", lambda: "project")
    monkeypatch.setattr(terraform, "tofu_binary", lambda: Path("/usr/bin/tofu"))
    opened = terraform.existing("lab-10", home=tmp_path)
    assert (opened.dir, opened.env) == (work, {"TF_VAR_service_name": "project"})
    assert sorted(p.name for p in work.iterdir()) == ["main.tf"]


# -- terraform_state ----------------------------------------------------------------------------


def test_an_empty_state_passes_and_one_that_still_manages_something_fails(
    folder: FakeFolder,
) -> None:
    assert state_check([]).passed
    assert state_check([]).message == "the state of lab-10 manages nothing: all destroyed"
    folder.state = [POOL, CLUSTER]
    result = state_check([])
    assert not result.passed
    assert result.message == f"the state of lab-10 still manages {CLUSTER}, {POOL}"
    assert result.hint and "tofu destroy" in result.hint
    assert state_check([CLUSTER, POOL]).passed
    folder.state = [CLUSTER]
    assert state_check([CLUSTER, POOL]).message == f"the state of lab-10 does not manage {POOL}"


def test_no_state_means_nothing_was_done_through_terraform(folder: FakeFolder) -> None:
    (folder.dir / "terraform.tfstate").unlink()
    result = state_check([])
    assert not result.passed
    assert (
        result.message == f"the working folder {folder.dir} has no state: nothing was applied there"
    )
    assert result.hint and "tofu apply" in result.hint
