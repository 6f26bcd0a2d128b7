"""A field names the API server's version: what `kubectl version` says, written down."""

from __future__ import annotations

import re

from workshop.course import fieldpath
from workshop.course.checks.base import CheckResult, Reader, failed, passed
from workshop.course.schema import ServerVersionCheck


def minor_version(version: dict[str, object]) -> str:
    """``MAJOR.MINOR`` from a ``/version`` answer (some providers write minor as ``31+``)."""
    major = str(version.get("major", "")).rstrip("+")
    minor = str(version.get("minor", "")).rstrip("+")
    if major and minor:
        return f"{major}.{minor}"
    found = re.match(r"v?(\d+)\.(\d+)", str(version.get("gitVersion", "")))
    return f"{found.group(1)}.{found.group(2)}" if found else "?"


def names_server_version(reader: Reader, check: ServerVersionCheck, namespace: str) -> CheckResult:
    target = check.target
    assert target.name is not None  # the schema requires it
    obj = reader.get(target.api_version, target.kind, target.name, namespace)
    if obj is None:
        return failed(
            f"{target.show()} not found{target.where(namespace)}",
            hint=f"`{target.kubectl('get', namespace, named=False)}` lists what is there",
        )
    server = minor_version(reader.version())
    value = fieldpath.get(obj, check.path)
    written = str(value).strip().removeprefix("v") if isinstance(value, str | int | float) else ""
    if written == server or written.startswith(f"{server}."):  # 1.37, or 1.37.2
        return passed(f"{target.show()}: {check.path} names the server's version ({server})")
    return failed(
        f"{target.show()}: {check.path} is {fieldpath.show(value)}, "
        f"but the API server runs Kubernetes {server}",
        hint="`kubectl version` shows the server's version: write its MAJOR.MINOR",
    )
