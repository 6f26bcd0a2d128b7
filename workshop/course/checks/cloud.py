"""An OVHcloud Managed Kubernetes cluster (and its node pool) is READY.

Read through the OVHcloud API with the official ``ovh`` client (``workshop.tools.ovh``):
the emulated API by default (started on demand, like the sandbox), the real one when
``OVH_ENDPOINT`` and its keys are set. What Terraform creates lives there, not in the
learner's Kubernetes cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ovh

from workshop.course.checks.base import CheckResult, Reader, failed, passed
from workshop.course.schema import OvhKubeCheck
from workshop.errors import WorkshopError
from workshop.tools import mks
from workshop.tools import ovh as ovh_tools

Client = Any
connect: Callable[[], Client] = ovh_tools.client
"""Where the check gets its client (a seam for tests)."""


def managed_cluster(reader: Reader, check: OvhKubeCheck, namespace: str) -> CheckResult:
    del reader, namespace  # the cluster is in the OVHcloud project, not in the kubeconfig's
    try:
        return _check(connect(), check)
    except WorkshopError as e:
        return failed(f"the OVHcloud API cannot be read: {e.message}", hint=e.hint)
    except ovh.exceptions.APIError as e:
        return failed(f"the OVHcloud API refused a call: {e}")


def _find(api: Client, name: str) -> tuple[str, dict[str, Any]] | None:
    project = mks.project(api)
    found = mks.find_cluster(api, project, name)
    return (project, found) if found is not None else None


def _check(api: Client, check: OvhKubeCheck) -> CheckResult:
    named = f"Managed Kubernetes cluster {check.cluster}"
    located = _find(api, check.cluster)
    if check.absent:
        return _gone(named, located)
    if located is None:
        return failed(
            f"no {named} in the OVHcloud project",
            hint="`tofu apply` creates it; `tofu state list` shows what Terraform manages",
        )
    project, cluster = located
    if cluster.get("status") != "READY":
        return failed(f"{named} is {cluster.get('status')}, not READY yet")
    if check.pool is None:
        return passed(f"{named} is READY")
    pools = mks.pools(api, project, cluster["id"])
    pool = next((p for p in pools if p.get("name") == check.pool), None)
    if pool is None:
        names = ", ".join(sorted(str(p.get("name")) for p in pools)) or "none"
        return failed(f"{named} has no node pool {check.pool} (pools: {names})")
    where = f"node pool {check.pool} of {check.cluster}"
    if pool.get("status") != "READY":
        return failed(f"{where} is {pool.get('status')}, not READY yet")
    desired, current = pool.get("desiredNodes"), pool.get("currentNodes")
    if check.nodes is not None and (desired, current) != (check.nodes, check.nodes):
        return failed(
            f"{where} wants {desired} nodes and has {current}, expected {check.nodes}",
            hint="change the number of nodes in the configuration, then `tofu apply`",
        )
    return passed(f"{where} is READY with {current} nodes")


def _gone(named: str, located: tuple[str, dict[str, Any]] | None) -> CheckResult:
    if located is None:
        return passed(f"no {named} in the OVHcloud project: it is gone")
    status = located[1].get("status")
    if status == "DELETING":
        return failed(f"{named} is being deleted (DELETING), not gone yet")
    return failed(
        f"{named} still exists ({status})",
        hint="`tofu destroy` deletes everything the configuration created; "
        "`tofu state list` shows what that is",
    )
