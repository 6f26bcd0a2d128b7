"""A Helm release is deployed, read from Helm's own storage: no helm binary needed.

Helm 3 keeps each revision of a release in a Secret ``sh.helm.release.v1.NAME.vN``
labelled ``owner=helm,name=NAME,version=N``; its ``release`` field is the release as
gzipped JSON, base64-encoded (and base64-encoded again as Secret data).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from typing import Any

from workshop.course.checks.base import CheckResult, Object, Reader, failed, labels_of, passed
from workshop.course.schema import HelmReleaseCheck


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
    latest = max(secrets, key=lambda s: _int(labels_of(s).get("version")))
    try:
        release = decode(latest)
    except ValueError as e:
        return failed(f"{name}: cannot read its Secret: {e}")
    info, chart = release.get("info") or {}, (release.get("chart") or {}).get("metadata") or {}
    revision = release.get("version", labels_of(latest).get("version"))
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
    return passed(
        f"{name} (revision {revision}, chart {chart.get('name')}-{chart.get('version')}) "
        f"is {status}"
    )


def decode(secret: Object) -> dict[str, Any]:
    """The release stored in one of Helm's Secrets; ``ValueError`` if it is not one."""
    data = (secret.get("data") or {}).get("release")
    if not data:
        raise ValueError("it has no data.release")
    try:
        raw = base64.b64decode(base64.b64decode(data))
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        release = json.loads(raw)
    except (binascii.Error, OSError, ValueError) as e:
        raise ValueError(f"data.release is not a Helm release ({e})") from e
    if not isinstance(release, dict):
        raise ValueError("data.release is not a Helm release")
    return release


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0
