"""What the API server allows: who may do what (RBAC, as `kubectl auth can-i --as` asks
it), and which objects its admission refuses (Pod Security, quotas), tried as a dry run."""

from __future__ import annotations

import re

from workshop.course.checks.base import CheckResult, Reader, failed, passed
from workshop.course.schema import CanICheck, RefusedCheck
from workshop.errors import ClusterError

SERVICE_ACCOUNT = "system:serviceaccount:"


def review_spec(check: CanICheck, namespace: str) -> dict[str, object]:
    """The SubjectAccessReview spec for ``check``: a ServiceAccount's token also carries
    its groups, so the review names them too (RBAC may grant to a group)."""
    attributes = {"namespace": namespace, "verb": check.verb, "resource": check.plural}
    if check.group:
        attributes["group"] = check.group
    if check.subresource:
        attributes["subresource"] = check.subresource
    spec: dict[str, object] = {"user": check.user, "resourceAttributes": attributes}
    if check.user.startswith(SERVICE_ACCOUNT):
        account_namespace = check.user[len(SERVICE_ACCOUNT) :].partition(":")[0]
        spec["groups"] = [
            "system:serviceaccounts",
            f"system:serviceaccounts:{account_namespace}",
            "system:authenticated",
        ]
    return spec


def can_i(reader: Reader, check: CanICheck, namespace: str) -> CheckResult:
    status = reader.review_access(review_spec(check, namespace))
    allowed = bool(status.get("allowed"))
    asked = f"{check.user} {check.verb} {check.resource} in namespace {namespace}"
    command = f"`kubectl auth can-i {check.verb} {check.resource} -n {namespace} --as {check.user}`"
    why = f" ({status['reason']})" if status.get("reason") else ""
    if allowed == check.allowed:
        return passed(f"{'may' if allowed else 'may not'}: {asked}{why}")
    if check.allowed:
        return failed(
            f"not allowed: {asked}",
            hint=f"a Role granting it, bound to that user by a RoleBinding; {command} asks",
        )
    return failed(
        f"allowed, but should not be: {asked}{why}",
        hint=f"grant only what the user needs; {command} asks, "
        f"`kubectl get rolebindings,clusterrolebindings -A -o wide` shows who grants what",
    )


def refused(reader: Reader, check: RefusedCheck, namespace: str) -> CheckResult:
    manifest = check.manifest
    kind, name = manifest["kind"], manifest["metadata"]["name"]
    where = manifest["metadata"].get("namespace") or namespace
    what = f"{kind.lower()} {name} in namespace {where}"
    try:
        reader.dry_run_create(manifest, namespace=where)
    except ClusterError as e:
        if e.status is None or e.status >= 500 or e.status == 401:
            raise  # the cluster did not judge the object: no verdict
        message = e.message.partition("): ")[2] or e.message
        if re.search(check.matches, message):
            return passed(f"the cluster refuses {what}: {message}")
        return failed(
            f"the cluster refuses {what}, but not for the expected reason: {message}",
            hint=f"expected a refusal matching {check.matches!r}",
        )
    return failed(
        f"the cluster accepts {what} (tried as a dry run: nothing was created)",
        hint=f"expected a refusal matching {check.matches!r}",
    )
