"""Building a group of binaries with the Go toolchain, from the pinned modules in ``gomod/``.

One ``go build`` per group, run in ``gomod/<group>`` (its go.mod pins every module), into
a staging folder in the cache. Go's output streams to ``cache_home()/logs`` and, line by
line, to the progress callback: ``-v`` makes go name each package as it compiles, which is
what shows a cold Kubernetes build (many minutes) is alive. The user's GOCACHE, GOMODCACHE,
GOPROXY and GOFLAGS are left alone; only CGO_ENABLED=0 is set.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from workshop.binaries.cache import commit, log_path, staging
from workshop.binaries.catalogue import (
    CRANE_VERSION,
    HELM_VERSION,
    KUBERNETES_VERSION,
    KWOK_VERSION,
    REGISTRY_VERSION,
    Group,
    group_members,
)
from workshop.binaries.progress import Progress, ProgressEvent
from workshop.binaries.versions import probe_version
from workshop.errors import BinaryError

MIN_GO = (1, 26)
GOMOD = Path(__file__).parent / "gomod"
BUILD_DATE = "2026-11-26T00:00:00Z"
GIT_COMMIT = "0" * 40
VERBOSE = ("-v",)
_TAIL_LINES = 15


@dataclass(frozen=True)
class GoBuild:
    """The ``go build`` of one group: packages, build tags, ldflags, output file name.

    ``output`` empty means one executable per package, named after it, in the folder.
    """

    group: Group
    packages: tuple[str, ...]
    ldflags: str
    tags: str = ""
    output: str = ""


def _kube_ldflags() -> str:
    major, minor, _ = KUBERNETES_VERSION.split(".")
    values = (
        ("gitVersion", f"v{KUBERNETES_VERSION}"),
        ("gitMajor", major),
        ("gitMinor", minor),
        ("gitTreeState", "clean"),
        ("gitCommit", GIT_COMMIT),
        ("buildDate", BUILD_DATE),
    )
    stamps = [
        f"-X {package}.{key}={value}"
        for key, value in values
        for package in ("k8s.io/client-go/pkg/version", "k8s.io/component-base/version")
    ]
    return " ".join(["-s -w", *stamps])


BUILDS: dict[str, GoBuild] = {
    "kubernetes": GoBuild(
        group="kubernetes",
        packages=tuple(f"k8s.io/kubernetes/cmd/{b.name}" for b in group_members("kubernetes")),
        ldflags=_kube_ldflags(),
        tags="selinux,notest,grpcnotrace",
    ),
    # etcd's version is a constant of its own module, pinned in gomod/etcd/go.mod.
    "etcd": GoBuild(
        group="etcd", packages=("go.etcd.io/etcd/server/v3",), ldflags="-s -w", output="etcd"
    ),
    "kwok": GoBuild(
        group="kwok",
        packages=("sigs.k8s.io/kwok/cmd/kwok",),
        ldflags=(
            f"-s -w -X sigs.k8s.io/kwok/pkg/consts.Version={KWOK_VERSION}"
            f" -X sigs.k8s.io/kwok/pkg/consts.KubeVersion={KUBERNETES_VERSION}"
        ),
    ),
    "helm": GoBuild(
        group="helm",
        packages=("helm.sh/helm/v4/cmd/helm",),
        ldflags=(
            f"-s -w -X helm.sh/helm/v4/internal/version.version=v{HELM_VERSION}"
            " -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
        ),
        output="helm",
    ),
    # OpenTofu reads its version from an embedded file; dev=no drops the "-dev" suffix.
    "opentofu": GoBuild(
        group="opentofu",
        packages=("github.com/opentofu/opentofu/cmd/tofu",),
        ldflags="-s -w -X github.com/opentofu/opentofu/version.dev=no",
        output="tofu",
    ),
    "registry": GoBuild(
        group="registry",
        packages=("github.com/distribution/distribution/v3/cmd/registry",),
        ldflags=(
            f"-s -w -X github.com/distribution/distribution/v3/version.version=v{REGISTRY_VERSION}"
        ),
        output="registry",
    ),
    "crane": GoBuild(
        group="crane",
        packages=("github.com/google/go-containerregistry/cmd/crane",),
        ldflags=(
            "-s -w -X github.com/google/go-containerregistry/cmd/crane/cmd.Version="
            f"v{CRANE_VERSION}"
        ),
        output="crane",
    ),
}


def build_command(spec: GoBuild, go: Path, out: Path) -> list[str]:
    """The ``go build`` command line writing into the folder ``out``."""
    command = [str(go), "build", "-trimpath"]
    if spec.tags:
        command.append(f"-tags={spec.tags}")
    target = str(out / spec.output) if spec.output else f"{out}{os.sep}"
    return [*command, "-ldflags", spec.ldflags, *VERBOSE, "-o", target, *spec.packages]


def go_toolchain() -> tuple[Path, str] | str:
    """``(go, "go1.26.8")`` when a Go >= 1.26 is on PATH, else the reason it is not usable."""
    found = shutil.which("go")
    if found is None:
        return "no `go` on PATH"
    go = Path(found)
    try:
        done = subprocess.run(
            [str(go), "env", "GOVERSION"], capture_output=True, text=True, timeout=120, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"`{go} env GOVERSION` failed: {e}"
    version = done.stdout.strip()
    match = re.match(r"go(\d+)\.(\d+)", version)
    if done.returncode != 0 or match is None:
        return f"`{go} env GOVERSION` gave {version or done.stderr.strip()!r}"
    if (int(match[1]), int(match[2])) < MIN_GO:
        return f"{go} is {version}, the pinned modules need go{MIN_GO[0]}.{MIN_GO[1]} or newer"
    return go, version


def build_group(group: Group, progress: Progress) -> Path:
    """Build every binary of ``group``, check their versions, move them into the cache."""
    members = group_members(group)
    spec = BUILDS.get(group)
    if spec is None:
        raise BinaryError(
            "it is not built here",
            binary=group,
            step="build",
            hint=f"use `workshop binaries install {members[0].name} --via download`, "
            f"or {members[0].elsewhere}",
        )
    toolchain = go_toolchain()
    if isinstance(toolchain, str):
        raise BinaryError(
            f"cannot build v{members[0].version}: {toolchain}",
            binary=", ".join(b.name for b in members),
            step="build",
            hint="install Go >= 1.26 (https://go.dev/dl/), or when online run "
            f"`workshop binaries install {members[0].name} --via download`, "
            f"or put it on PATH: {members[0].elsewhere}",
        )
    go, go_version = toolchain
    tag = members[0].tag
    log = log_path(group, tag, "build")
    with staging(group, tag) as staged:
        command = build_command(spec, go, staged / "out")
        progress(ProgressEvent(group, "start", f"building {group} {tag} with {go_version}"))
        started = time.monotonic()
        _run_go(command, GOMOD / group, log, group, progress)
        # bench/ reports how long a cold build took on this machine
        record = {"seconds": round(time.monotonic() - started, 1), "go": go_version}
        (staged / "out" / "build.json").write_text(json.dumps(record))
        for binary in members:
            built = staged / "out" / binary.name
            probe = probe_version(built, binary.version_args, binary.parse_version, memo=False)
            if probe.version != binary.version:
                raise BinaryError(
                    f"the built binary reports {probe.version or probe.error}, "
                    f"expected {binary.version}",
                    binary=binary.name,
                    step="verify build",
                    hint=f"see the build log {log}; the pins are in {GOMOD / group}/go.mod",
                )
        final = commit(staged, group, tag)
    progress(ProgressEvent(group, "done", f"{group} {tag} built into {final}"))
    return final


def _run_go(command: list[str], cwd: Path, log: Path, group: Group, progress: Progress) -> None:
    """Run go, teeing its output to ``log`` and to ``progress``; raise on failure."""
    tail: collections.deque[str] = collections.deque(maxlen=_TAIL_LINES)
    env = {**os.environ, "CGO_ENABLED": "0"}
    with log.open("w", encoding="utf-8") as sink:
        sink.write(f"# cd {cwd} && CGO_ENABLED=0 {' '.join(command)}\n")
        sink.flush()
        with subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as process:
            try:
                assert process.stdout is not None
                for line in process.stdout:
                    sink.write(line)
                    sink.flush()
                    tail.append(line.rstrip())
                    progress(ProgressEvent(group, "line", line.rstrip()))
                code = process.wait()
            finally:
                if process.poll() is None:
                    process.kill()
    if code != 0:
        last = "\n    ".join(tail)
        raise BinaryError(
            f"go build failed (exit {code}); last lines:\n    {last}",
            binary=group,
            step="build",
            hint=f"read the full log {log}; network errors mean the Go module proxy "
            "is unreachable (set GOPROXY, or fill GOMODCACHE when online)",
        )
