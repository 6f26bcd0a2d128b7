"""``tofu plan`` has nothing to do in a Terraform working folder (``terraform_plan``);
its state manages exactly some resources (``terraform_state``).

The plan refreshes the state from the provider's API first, so it also sees what changed
behind Terraform's back (drift). The check runs with a plan file of its own and without
taking the state lock: the learner's ``tfplan`` and state are left as they are.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import ovh

from workshop.course.checks.base import CheckResult, Reader, failed, passed
from workshop.course.schema import TerraformPlanCheck, TerraformStateCheck
from workshop.errors import WorkshopError
from workshop.tools import terraform

open_folder: Callable[[str], terraform.Workspace] = terraform.existing
"""How the check opens the working folder by name (a seam for tests)."""

SHOWN_CHANGES = 2
SHOWN_ATTRIBUTES = 3


def plan_is_empty(reader: Reader, check: TerraformPlanCheck, namespace: str) -> CheckResult:
    del reader, namespace  # what Terraform manages is in the OVHcloud project
    work = _open(check.workspace)
    if isinstance(work, CheckResult):
        return work
    if not (work.dir / ".terraform").is_dir():
        return failed(
            f"the working folder {work.dir} is not initialised",
            hint=f"`cd {work.dir} && tofu init` installs its providers and modules",
        )
    planfile = f".workshop-check-{os.getpid()}-{uuid.uuid4().hex[:8]}.tfplan"
    try:
        plan = work.pending(planfile)
    except WorkshopError as e:
        return failed(f"tofu plan failed in {work.dir}: {_error(work.last_output, e)}", e.hint)
    if plan is None:
        return passed("tofu plan has nothing to do: the configuration matches what exists")
    return failed(describe(plan), hint=_hint(plan))


def state_holds(reader: Reader, check: TerraformStateCheck, namespace: str) -> CheckResult:
    del reader, namespace
    work = _open(check.workspace)
    if isinstance(work, CheckResult):
        return work
    if not (work.dir / "terraform.tfstate").exists():
        return failed(
            f"the working folder {work.dir} has no state: nothing was applied there",
            hint=f"`cd {work.dir} && tofu apply` creates what the configuration describes",
        )
    try:
        found = work.resources()
    except WorkshopError as e:
        return failed(f"tofu state list failed in {work.dir}: {_error(work.last_output, e)}")
    extra = sorted(set(found) - set(check.resources))
    missing = sorted(set(check.resources) - set(found))
    if extra:
        return failed(
            f"the state of {check.workspace} still manages {', '.join(extra)}",
            hint="`tofu destroy` deletes what the state manages; `tofu state list` lists it",
        )
    if missing:
        return failed(
            f"the state of {check.workspace} does not manage {', '.join(missing)}",
            hint="`tofu apply` creates it, or `tofu import` adopts one that exists",
        )
    if not found:
        return passed(f"the state of {check.workspace} manages nothing: all destroyed")
    return passed(f"the state of {check.workspace} manages {', '.join(sorted(found))}")


def _open(name: str) -> terraform.Workspace | CheckResult:
    try:
        return open_folder(name)
    except WorkshopError as e:
        return failed(e.message, hint=e.hint)
    except ovh.exceptions.APIError as e:  # the project's id, on the real API
        return failed(f"the OVHcloud API refused a call: {e}")


def describe(plan: terraform.Plan) -> str:
    """What the plan would do, in one sentence (the first changes, then how many more)."""
    changes = [c for c in plan.changes if c.action not in ("no-op", "read")]
    if not changes:
        outputs = [c.address for c in plan.outputs if c.action not in ("no-op", "read")]
        if outputs:
            return f"tofu plan would change {', '.join(outputs)}"
        return "tofu plan has changes to make (exit code 2): run it to see them"
    said = "; ".join(_change(c) for c in changes[:SHOWN_CHANGES])
    more = len(changes) - SHOWN_CHANGES
    if more > 0:
        said += f"; and {more} more change{'s' if more > 1 else ''}"
    return f"tofu plan would {said}"


def _change(change: terraform.Change) -> str:
    if change.action == "create":
        return f"create {change.address}"
    if change.action == "delete":
        return f"destroy {change.address}"
    if change.action == "replace":
        forced = ", ".join(change.replaced_by)
        return f"replace {change.address}" + (f" ({forced} forces it)" if forced else "")
    if change.action == "update":
        return f"update {change.address} in place" + _attributes(change.attributes)
    return f"{change.action} {change.address}"


def _attributes(attributes: Iterable[terraform.Attribute]) -> str:
    """``(name before -> after, ...)`` for the known, non-sensitive ones."""
    shown = [
        f"{a.name} {_value(a.before)} -> {_value(a.after)}"
        for a in attributes
        if not a.unknown and not a.sensitive
    ]
    if not shown:
        return ""
    extra = len(shown) - SHOWN_ATTRIBUTES
    return f" ({', '.join(shown[:SHOWN_ATTRIBUTES])}{f', +{extra} more' if extra > 0 else ''})"


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return "{...}" if isinstance(value, dict) else "[...]"
    return json.dumps(value)


def _hint(plan: terraform.Plan) -> str:
    drifted = [c for c in plan.drift if c.action not in ("no-op", "read")]
    if drifted:
        first = drifted[0]
        planned = {  # what the configuration sets, not what the API computes
            a.name
            for c in plan.changes
            if c.address == first.address
            for a in c.attributes
            if not a.unknown
        }
        attributes = [a for a in first.attributes if a.name in planned] or list(first.attributes)
        return (
            f"changed outside tofu: {first.address}{_attributes(attributes)}. Adopt it in the "
            "configuration (e.g. terraform.tfvars) until the plan is empty, or `tofu apply` "
            "to put it back"
        )
    return "`tofu plan` shows the whole plan; `tofu apply` makes those changes"


def _error(output: str, error: WorkshopError) -> str:
    """tofu's own ``Error:`` line, else the error's first line."""
    for line in output.splitlines():
        line = line.strip().lstrip("│").strip()
        if line.startswith("Error:"):
            return line.removeprefix("Error:").strip()
    return error.message.splitlines()[0]
