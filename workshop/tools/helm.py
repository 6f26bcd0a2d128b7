"""The real helm, pointed at one cluster, with its JSON answers parsed into typed results.

Public module::

    from workshop.tools import helm
    helm.install(cluster, "blog", "labs/05-helm-wordpress/chart", namespace="lab-05",
                 set_values={"service.type": "ClusterIP"}, wait=True)
    helm.upgrade(cluster, "blog", chart, namespace="lab-05", reuse_values=True,
                 set_values={"wordpress.replicas": 2})
    helm.history(cluster, "blog", namespace="lab-05")      # [Revision]
    helm.get_values(cluster, "blog", namespace="lab-05", revision=1)
    helm.rollback(cluster, "blog", 1, namespace="lab-05")
    helm.uninstall(cluster, "blog", namespace="lab-05")
    helm.lint("labs/05-helm-wordpress/chart")               # LintResult, never raises on findings
    helm.template("labs/05-helm-wordpress/chart", release="blog")  # the manifests

Every call runs the binary with ``--kube-context`` and the cluster's kubeconfig
(``Cluster.env()``); ``command(...)`` is the same command as a learner types it. A failing
command raises ``HelmError`` carrying helm's own message (its ``Error:`` line), never a
traceback to decode.

The binary is ``$WORKSHOP_HELM``, else the one beside the workshop's Python, else the
first ``helm`` on ``PATH``, else the newest in the workshop's binary cache
(``workshop binaries install helm`` puts it there; this module reads the cache folder
without importing ``workshop.binaries``).

Release storage is Helm's default: one Secret per revision, ``sh.helm.release.v1.NAME.vN``,
labelled ``owner=helm``. ``decode_release`` reads one, so widgets and checks can follow
releases through the Kubernetes API alone.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workshop.cluster import Cluster
from workshop.errors import WorkshopError
from workshop.home import cache_home

TIMEOUT = 300.0
# `helm list` flags for releases in any state (Helm 4 has no --all; these work in 3 and 4)
EVERY_STATUS = (
    "--deployed",
    "--failed",
    "--pending",
    "--superseded",
    "--uninstalled",
    "--uninstalling",
)
WAIT = "5m0s"
Object = dict[str, Any]


class HelmError(WorkshopError):
    """A helm command failed: ``message`` is helm's own words, ``command`` what ran."""

    def __init__(
        self, message: str, *, command: str = "", stderr: str = "", hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.command = command
        self.stderr = stderr


# -- finding the binary ------------------------------------------------------------------


def binary() -> Path:
    """The helm to run (see the module's docstring for the order)."""
    configured = os.environ.get("WORKSHOP_HELM")
    if configured:
        path = Path(configured).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise HelmError(f"WORKSHOP_HELM={configured} is not an executable file")
        return path
    beside = Path(sys.executable).parent / "helm"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("helm")
    if found:
        return Path(found)
    in_cache = cached()
    if in_cache is not None:
        return in_cache
    raise HelmError(
        "helm is not installed",
        hint="`workshop binaries install helm` builds or downloads it "
        "(or `conda install -c conda-forge kubernetes-helm`)",
    )


def cached() -> Path | None:
    """The newest helm in the binary cache: ``cache_home()/bin/helm-vX.Y.Z/helm``."""
    found = []
    for candidate in (cache_home() / "bin").glob("helm-v*/helm"):
        version = _version_key(candidate.parent.name.removeprefix("helm-v"))
        if version is not None and os.access(candidate, os.X_OK):
            found.append((version, candidate))
    return max(found)[1] if found else None


def _version_key(text: str) -> tuple[int, ...] | None:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(g) for g in match.groups()) if match else None


# -- running it --------------------------------------------------------------------------


def command(*args: str, namespace: str | None = None) -> str:
    """``helm ARGS [-n NAMESPACE]`` as a learner types it (no kubeconfig flags)."""
    scope = ("-n", namespace) if namespace else ()
    return "helm " + shlex.join([*args, *scope])


def execute(
    cluster: Cluster | None,
    *args: str,
    namespace: str | None = None,
    timeout: float = TIMEOUT,
    cwd: str | Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``helm ARGS`` on ``cluster`` (``None`` for commands that need none), as it ends."""
    full = [str(binary()), *args]
    if namespace:
        full += ["--namespace", namespace]
    env = dict(os.environ)
    if cluster is not None:
        full.append(f"--kube-context={cluster.context}")
        env = cluster.env()
    env["NO_COLOR"] = "1"
    try:
        return subprocess.run(
            full, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as e:
        shown = command(*args, namespace=namespace)
        raise HelmError(f"`{shown}` did not finish within {timeout:.0f}s", command=shown) from e


def run(
    cluster: Cluster | None,
    *args: str,
    namespace: str | None = None,
    timeout: float = TIMEOUT,
    cwd: str | Path | None = None,
) -> str:
    """Run ``helm ARGS`` on ``cluster`` (``None`` for commands that need none); its output.

    Raises ``HelmError`` with helm's message when it exits non-zero.
    """
    done = execute(cluster, *args, namespace=namespace, timeout=timeout, cwd=cwd)
    if done.returncode != 0:
        shown = command(*args, namespace=namespace)
        message = error_message(done.stderr or done.stdout)
        raise HelmError(
            f"`{shown}` failed: {message}",
            command=shown,
            stderr=done.stderr,
            hint=hint_for(message, args, namespace),
        )
    return done.stdout


def error_message(stderr: str) -> str:
    """helm's ``Error: ...`` line (with what follows it), without its log lines."""
    lines = [line.rstrip() for line in stderr.strip().splitlines()]
    for index, line in enumerate(lines):
        if line.startswith("Error: "):
            rest = [x for x in lines[index + 1 :] if x and not x.startswith("level=")]
            return "\n".join([line.removeprefix("Error: "), *rest]).strip()
    kept = [x for x in lines if x and not x.startswith("level=")]
    return "\n".join(kept[-8:]) or "helm exited with an error and printed nothing"


def hint_for(message: str, args: Sequence[str], namespace: str | None) -> str | None:
    """What to try next, for the mistakes learners make most."""
    where = f" -n {namespace}" if namespace else ""
    release = args[1] if len(args) > 1 else "RELEASE"
    if "cannot reuse a name that is still in use" in message:
        return (
            f"release {release} is installed already: `helm upgrade {release} CHART{where}` "
            f"changes it; `helm list{where}` lists the releases"
        )
    if re.search(r"release has no \d+ version", message):
        return f"`helm history {release}{where}` lists its revisions"
    if "has no deployed releases" in message or "release: not found" in message:
        return (
            f"`helm list{where}` lists the releases there (`--uninstalled` adds those "
            "uninstalled with --keep-history)"
        )
    if "values don't meet the specifications of the schema" in message:
        return (
            "the chart's values.schema.json says which values it accepts: "
            "fix the value and run it again"
        )
    if "context deadline exceeded" in message or "timed out waiting" in message:
        return (
            f"some resources did not become ready: `kubectl get pods{where}` shows which, and why"
        )
    return None


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    """One line of ``helm list -o json``."""

    name: str
    namespace: str
    revision: int
    updated: str
    status: str
    chart: str
    app_version: str


@dataclass(frozen=True)
class Revision:
    """One line of ``helm history -o json``."""

    revision: int
    updated: str
    status: str
    chart: str
    app_version: str
    description: str
    rollback_revision: int | None = None


@dataclass(frozen=True)
class ReleaseInfo:
    """A whole release as ``helm status/install/upgrade -o json`` print it."""

    name: str
    namespace: str
    revision: int
    status: str
    description: str
    chart: str
    chart_version: str
    app_version: str
    notes: str
    values: Object = field(default_factory=dict)
    first_deployed: str = ""
    last_deployed: str = ""

    @property
    def chart_ref(self) -> str:
        """``name-version``, as ``helm list`` shows it."""
        return f"{self.chart}-{self.chart_version}"


@dataclass(frozen=True)
class LintMessage:
    severity: str  # INFO, WARNING or ERROR
    text: str


@dataclass(frozen=True)
class LintResult:
    """What ``helm lint`` found; ``ok`` when no chart failed."""

    ok: bool
    messages: tuple[LintMessage, ...]
    output: str

    @property
    def problems(self) -> tuple[LintMessage, ...]:
        """Warnings and errors (``[INFO]`` lines are suggestions)."""
        return tuple(m for m in self.messages if m.severity != "INFO")


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as e:
        raise HelmError(f"{what}: helm did not print JSON ({e}): {text[:200]}") from e


def parse_list(text: str) -> list[Release]:
    return [
        Release(
            name=str(r["name"]),
            namespace=str(r.get("namespace", "")),
            revision=int(r.get("revision", 0)),
            updated=str(r.get("updated", "")),
            status=str(r.get("status", "")),
            chart=str(r.get("chart", "")),
            app_version=str(r.get("app_version", "")),
        )
        for r in _json(text, "helm list") or []
    ]


def parse_history(text: str) -> list[Revision]:
    return [revision_of(r) for r in _json(text, "helm history") or []]


def revision_of(r: Mapping[str, Any]) -> Revision:
    back = r.get("rollback_revision")
    return Revision(
        revision=int(r.get("revision", 0)),
        updated=str(r.get("updated", "")),
        status=str(r.get("status", "")),
        chart=str(r.get("chart", "")),
        app_version=str(r.get("app_version", "")),
        description=str(r.get("description", "")),
        rollback_revision=int(back) if back else None,
    )


def parse_release(text: str) -> ReleaseInfo:
    return release_info(_json(text, "helm status"))


def release_info(data: Mapping[str, Any]) -> ReleaseInfo:
    """A release as helm stores or prints it (a Secret's ``release``, or ``-o json``)."""
    info = data.get("info") or {}
    meta = (data.get("chart") or {}).get("metadata") or {}
    return ReleaseInfo(
        name=str(data.get("name", "")),
        namespace=str(data.get("namespace", "")),
        revision=int(data.get("version", 0)),
        status=str(info.get("status", "")),
        description=str(info.get("description", "")),
        chart=str(meta.get("name", "")),
        chart_version=str(meta.get("version", "")),
        app_version=str(meta.get("appVersion", "")),
        notes=str(info.get("notes", "")),
        values=dict(data.get("config") or {}),
        first_deployed=str(info.get("first_deployed", "")),
        last_deployed=str(info.get("last_deployed", "")),
    )


_LINT_LINE = re.compile(r"^\[(INFO|WARNING|ERROR)\] (.*)$")


def parse_lint(output: str, *, ok: bool) -> LintResult:
    """``[SEVERITY] text`` lines; indented lines after one continue its text."""
    messages: list[LintMessage] = []
    for line in output.splitlines():
        match = _LINT_LINE.match(line)
        if match:
            messages.append(LintMessage(match.group(1), match.group(2).strip()))
        elif messages and line.startswith((" ", "\t")) and line.strip():
            last = messages[-1]
            messages[-1] = LintMessage(last.severity, f"{last.text}\n{line.strip()}")
    return LintResult(ok, tuple(messages), output)


def decode_release(secret: Object) -> Object:
    """The release stored in one of Helm's Secrets; ``ValueError`` if it is not one.

    Its ``data.release`` is the release as JSON, gzipped, base64-encoded by Helm, then
    base64-encoded again as any Secret data.
    """
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


# -- the commands ------------------------------------------------------------------------


def _value_flags(
    set_values: Mapping[str, Any] | None, values_files: Sequence[str | Path]
) -> list[str]:
    flags: list[str] = []
    for path in values_files:
        flags += ["-f", str(path)]
    for key, value in (set_values or {}).items():
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        flags += ["--set", f"{key}={text}"]
    return flags


def _wait_flags(wait: bool, timeout: str) -> list[str]:
    return ["--wait", f"--timeout={timeout}"] if wait else []


def install_args(
    release: str,
    chart: str | Path,
    *,
    set_values: Mapping[str, Any] | None = None,
    values_files: Sequence[str | Path] = (),
    wait: bool = False,
    timeout: str = WAIT,
    create_namespace: bool = False,
) -> list[str]:
    args = ["install", release, str(chart), *_value_flags(set_values, values_files)]
    args += ["--create-namespace"] if create_namespace else []
    return args + _wait_flags(wait, timeout)


def install(
    cluster: Cluster,
    release: str,
    chart: str | Path,
    *,
    namespace: str,
    set_values: Mapping[str, Any] | None = None,
    values_files: Sequence[str | Path] = (),
    wait: bool = False,
    timeout: str = WAIT,
    create_namespace: bool = False,
) -> ReleaseInfo:
    """``helm install RELEASE CHART``; with ``wait``, until its resources are ready."""
    args = install_args(
        release,
        chart,
        set_values=set_values,
        values_files=values_files,
        wait=wait,
        timeout=timeout,
        create_namespace=create_namespace,
    )
    return parse_release(run(cluster, *args, "-o", "json", namespace=namespace))


def upgrade_args(
    release: str,
    chart: str | Path,
    *,
    set_values: Mapping[str, Any] | None = None,
    values_files: Sequence[str | Path] = (),
    reuse_values: bool = False,
    install: bool = False,
    wait: bool = False,
    timeout: str = WAIT,
) -> list[str]:
    args = ["upgrade", release, str(chart)]
    args += ["--install"] if install else []
    args += ["--reuse-values"] if reuse_values else []
    return args + _value_flags(set_values, values_files) + _wait_flags(wait, timeout)


def upgrade(
    cluster: Cluster,
    release: str,
    chart: str | Path,
    *,
    namespace: str,
    set_values: Mapping[str, Any] | None = None,
    values_files: Sequence[str | Path] = (),
    reuse_values: bool = False,
    install: bool = False,
    wait: bool = False,
    timeout: str = WAIT,
) -> ReleaseInfo:
    """``helm upgrade RELEASE CHART``: a new revision with these values."""
    args = upgrade_args(
        release,
        chart,
        set_values=set_values,
        values_files=values_files,
        reuse_values=reuse_values,
        install=install,
        wait=wait,
        timeout=timeout,
    )
    return parse_release(run(cluster, *args, "-o", "json", namespace=namespace))


def rollback_args(
    release: str, revision: int | None = None, *, wait: bool = False, timeout: str = WAIT
) -> list[str]:
    args = ["rollback", release, *([str(revision)] if revision else [])]
    return args + _wait_flags(wait, timeout)


def rollback(
    cluster: Cluster,
    release: str,
    revision: int | None = None,
    *,
    namespace: str,
    wait: bool = False,
    timeout: str = WAIT,
) -> Revision:
    """``helm rollback RELEASE [REVISION]`` (the previous one when ``None``); the new revision."""
    run(cluster, *rollback_args(release, revision, wait=wait, timeout=timeout), namespace=namespace)
    return history(cluster, release, namespace=namespace)[-1]


def uninstall(
    cluster: Cluster,
    release: str,
    *,
    namespace: str,
    keep_history: bool = False,
    wait: bool = False,
    timeout: str = WAIT,
) -> str:
    """``helm uninstall RELEASE``; helm's answer (``release "blog" uninstalled``)."""
    args = ["uninstall", release, *(["--keep-history"] if keep_history else [])]
    return run(cluster, *args, *_wait_flags(wait, timeout), namespace=namespace).strip()


def list_releases(
    cluster: Cluster, *, namespace: str | None = None, all: bool = False
) -> list[Release]:
    """``helm list`` in ``namespace`` (every namespace when ``None``); ``all``: any status."""
    args = ["list", "-o", "json", *(EVERY_STATUS if all else ())]
    if namespace is None:
        args.append("--all-namespaces")
    return parse_list(run(cluster, *args, namespace=namespace))


def history(cluster: Cluster, release: str, *, namespace: str) -> list[Revision]:
    """``helm history RELEASE``: every revision kept, oldest first."""
    return parse_history(run(cluster, "history", release, "-o", "json", namespace=namespace))


def status(
    cluster: Cluster, release: str, *, namespace: str, revision: int | None = None
) -> ReleaseInfo:
    """``helm status RELEASE``: the release's state, notes and values."""
    args = ["status", release, "-o", "json", *(["--revision", str(revision)] if revision else [])]
    return parse_release(run(cluster, *args, namespace=namespace))


def get_values(
    cluster: Cluster,
    release: str,
    *,
    namespace: str,
    revision: int | None = None,
    all: bool = False,
) -> Object:
    """``helm get values``: the values given at install/upgrade (``all``: merged with the
    chart's defaults)."""
    args = ["get", "values", release, "-o", "json"]
    args += ["--revision", str(revision)] if revision else []
    args += ["--all"] if all else []
    values = _json(run(cluster, *args, namespace=namespace), "helm get values")
    return dict(values or {})


def test(cluster: Cluster, release: str, *, namespace: str, timeout: str = WAIT) -> str:
    """``helm test RELEASE``: runs the chart's test hooks; helm's report."""
    return run(cluster, "test", release, f"--timeout={timeout}", namespace=namespace)


def template(
    chart: str | Path,
    *,
    release: str = "release-name",
    namespace: str | None = None,
    set_values: Mapping[str, Any] | None = None,
    values_files: Sequence[str | Path] = (),
) -> list[Object]:
    """``helm template``: the manifests the chart renders, without a cluster."""
    args = ["template", release, str(chart), *_value_flags(set_values, values_files)]
    text = run(None, *args, namespace=namespace)
    return [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict)]


def lint(
    chart: str | Path,
    *,
    set_values: Mapping[str, Any] | None = None,
    values_files: Sequence[str | Path] = (),
    strict: bool = False,
) -> LintResult:
    """``helm lint``: what it found; a failing lint is a result, not an exception."""
    args = ["lint", str(chart), *_value_flags(set_values, values_files)]
    args += ["--strict"] if strict else []
    done = execute(None, *args)
    if done.returncode != 0 and "chart(s) failed" not in done.stderr:
        shown = command(*args)
        raise HelmError(
            f"`{shown}` failed: {error_message(done.stderr)}", command=shown, stderr=done.stderr
        )
    return parse_lint(done.stdout, ok=done.returncode == 0)


def create(path: str | Path) -> Path:
    """``helm create PATH``: a new chart scaffold (its name is the folder's)."""
    folder = Path(path)
    run(None, "create", folder.name, cwd=folder.parent)
    return folder
