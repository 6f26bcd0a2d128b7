"""Checks on OVHcloud Managed Kubernetes by cluster name: fields, node pools, IP restrictions.

The API is ``workshop.tools.ovh.client()`` unless the reader carries its own (``cloud``,
as ``RecordedCluster(cloud=...)`` does in tests). ``in_managed_cluster`` runs any other
check inside a managed cluster, through the kubeconfig the API hands out for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import ovh

from workshop.cluster import connect
from workshop.course.checks.base import CheckResult, Reader, failed, passed
from workshop.course.checks.objects import field_problems
from workshop.course.schema import (
    FieldTest,
    ManagedClusterCheck,
    OvhClusterCheck,
    OvhIpRestrictionsCheck,
    OvhNodePoolCheck,
)
from workshop.errors import CloudError, ClusterError
from workshop.tools import mks
from workshop.tools import ovh as ovh_tools

Object = dict[str, Any]


class CloudApi(Protocol):
    """The little a check asks of the OVHcloud API: ``ovh.Client`` is one."""

    def get(self, _target: str, _need_auth: bool = True, **kwargs: Any) -> Any: ...

    def post(self, _target: str, _need_auth: bool = True, **kwargs: Any) -> Any: ...


def _api(reader: Reader) -> CloudApi:
    given: CloudApi | None = getattr(reader, "cloud", None)
    return given if given is not None else ovh_tools.client()


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """The API's refusals (a key without the right, a bad request) as a ``CloudError``."""
    try:
        yield
    except ovh.exceptions.APIError as e:
        raise CloudError(
            f"the OVHcloud API refused: {e}",
            hint="`workshop cloud status` (emulator) or your keys' access rules (real API)",
        ) from e


def _cluster(api: CloudApi, name: str) -> tuple[str, Object | None]:
    project = mks.project(api)
    return project, mks.find_cluster(api, project, name)


def _no_cluster(name: str) -> CheckResult:
    return failed(
        f"no Managed Kubernetes cluster named {name!r}",
        hint="list them: api.get(f'/cloud/project/{project}/kube'), then GET each id",
    )


def _expect(tests: list[FieldTest]) -> str:
    shown = ", ".join(
        f"{t.path}={t.equals}" if t.operator == "equals" else f"{t.path} {t.operator}"
        for t in tests
    )
    return f" with {shown}" if shown else ""


def cluster(reader: Reader, check: OvhClusterCheck, namespace: str) -> CheckResult:
    with _refusals():
        _, found = _cluster(_api(reader), check.cluster)
    if found is None:
        return _no_cluster(check.cluster)
    problems = field_problems(found, check.fields)
    if problems:
        return failed(
            f"cluster {check.cluster}: {'; '.join(problems)}",
            hint=f"GET .../kube/{found.get('id')} shows every field",
        )
    return passed(f"cluster {check.cluster} exists{_expect(check.fields)}")


def nodepool(reader: Reader, check: OvhNodePoolCheck, namespace: str) -> CheckResult:
    api = _api(reader)
    with _refusals():
        project, found = _cluster(api, check.cluster)
        if found is None:
            return _no_cluster(check.cluster)
        pool = mks.find_pool(api, project, found["id"], check.pool)
    if pool is None:
        return failed(
            f"cluster {check.cluster} has no node pool named {check.pool!r}",
            hint=f"GET .../kube/{found['id']}/nodepool lists its pools",
        )
    problems = field_problems(pool, check.fields)
    if problems:
        return failed(
            f"node pool {check.pool}: {'; '.join(problems)}",
            hint=f"GET .../kube/{found['id']}/nodepool/{pool.get('id')} shows every field",
        )
    return passed(f"node pool {check.pool} of {check.cluster} exists{_expect(check.fields)}")


def ip_restrictions(reader: Reader, check: OvhIpRestrictionsCheck, namespace: str) -> CheckResult:
    api = _api(reader)
    with _refusals():
        project, found = _cluster(api, check.cluster)
        if found is None:
            return _no_cluster(check.cluster)
        ips = api.get(f"{mks.kube_path(project)}/{found['id']}/ipRestrictions") or []
    missing = [ip for ip in check.includes if ip not in ips]
    if missing:
        now = ", ".join(ips) if ips else "none (every address may connect)"
        return failed(
            f"cluster {check.cluster}: the API server does not list {', '.join(missing)} "
            f"among its allowed addresses (now: {now})",
            hint=f"PUT .../kube/{found['id']}/ipRestrictions with ips=[...]",
        )
    return passed(f"cluster {check.cluster} accepts only {', '.join(ips)}")


def in_managed_cluster(
    reader: Reader,
    check: ManagedClusterCheck,
    namespace: str,
    *,
    run: Callable[[Reader, Any, str], CheckResult],
) -> CheckResult:
    """``run`` is ``workshop.course.checks.run_check`` (passed in: it imports this module)."""
    inner = check.check
    where = inner.namespace or check.namespace or namespace
    given = getattr(reader, "managed", None)
    if given is not None:  # a reader held in memory (tests)
        nested: Reader | None = given(check.cluster)
        if nested is None:
            return _no_cluster(check.cluster)
        return _prefixed(check.cluster, run(nested, inner, where))
    api = _api(reader)
    with _refusals():
        project, found = _cluster(api, check.cluster)
        if found is None:
            return _no_cluster(check.cluster)
        if found.get("status") != "READY":
            return failed(f"cluster {check.cluster} is {found.get('status')}, not READY yet")
        path = mks.kubeconfig(api, project, check.cluster)
    try:
        managed = connect(kubeconfig=path)
    except ClusterError as e:
        return failed(
            f"cluster {check.cluster}: its API server refused this machine: {e.message}",
            hint="are its API server IP restrictions leaving your address out? "
            f"GET .../kube/{found['id']}/ipRestrictions",
        )
    try:
        return _prefixed(check.cluster, run(managed.api, inner, where))
    finally:
        managed.close()


def _prefixed(name: str, result: CheckResult) -> CheckResult:
    return CheckResult(result.passed, f"on cluster {name}: {result.message}", result.hint)
