"""A Helm release is deployed, read from Helm's own storage: no helm binary needed.

Helm keeps each revision of a release in a Secret ``sh.helm.release.v1.NAME.vN``
labelled ``owner=helm,name=NAME,version=N``; its ``release`` field is the release as
gzipped JSON, base64-encoded (and base64-encoded again as Secret data). The values a
revision was given (``helm get values``) are its ``config``; ``helm history`` shows each
revision's ``info.description`` ("Install complete", "Rollback to 3", ...).
"""

from __future__ import annotations

import re
from typing import Any

from workshop.course.checks.base import CheckResult, Object, Reader, failed, labels_of, passed
from workshop.course.checks.objects import field_problems
from workshop.course.schema import HelmReleaseCheck
from workshop.tools.helm import decode_release


def deployed(reader: Reader, check: HelmReleaseCheck, namespace: str) -> CheckResult:
    name = f"helm release {check.release}"
    secrets = reader.list(
        "v1", "Secret", namespace=namespace, label_selector=f"owner=helm,name={check.release}"
    )
    if not secrets:
        return failed(
            f"no {name} in namespace {namespace}",
            hint=f"`helm list -n {namespace}` lists the releases there",
        )
    ordered = sorted(secrets, key=lambda s: _int(labels_of(s).get("version")))
    try:
        revisions = [decode(s) for s in ordered]
    except ValueError as e:
        return failed(f"{name}: cannot read its Secret: {e}")
    release = revisions[-1]
    info, chart = release.get("info") or {}, (release.get("chart") or {}).get("metadata") or {}
    revision = release.get("version", labels_of(ordered[-1]).get("version"))
    history = f"`helm history {check.release} -n {namespace}` shows every revision"
    if check.chart and chart.get("name") != check.chart:
        return failed(
            f"{name} (revision {revision}) runs chart {chart.get('name')!r}, "
            f"expected {check.chart!r}",
            hint=history,
        )
    status = info.get("status", "unknown")
    if status != check.status:
        why = f": {info['description']}" if info.get("description") else ""
        return failed(
            f"{name} (revision {revision}) is {status}, expected {check.status}{why}", hint=history
        )
    problems = field_problems({"values": release.get("config") or {}}, _under_values(check))
    if problems:
        return failed(
            f"{name} (revision {revision}): {'; '.join(problems)}",
            hint=f"`helm get values {check.release} -n {namespace}` shows the values it was given",
        )
    descriptions = [str((r.get("info") or {}).get("description", "")) for r in revisions]
    for pattern in check.history:
        if not any(re.search(pattern, d) for d in descriptions):
            return failed(
                f"{name}: no revision whose description matches {pattern!r} "
                f"(its {len(revisions)} revision(s): {'; '.join(descriptions)})",
                hint=history,
            )
    return passed(
        f"{name} (revision {revision}, chart {chart.get('name')}-{chart.get('version')}) "
        f"is {status}"
    )


def _under_values(check: HelmReleaseCheck) -> list[Any]:
    """The value tests with paths under ``values.``, so messages read ``values.a.b``."""
    return [t.model_copy(update={"path": f"values.{t.path}"}) for t in check.values]


def decode(secret: Object) -> dict[str, Any]:
    """The release stored in one of Helm's Secrets; ``ValueError`` if it is not one."""
    return decode_release(secret)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0
