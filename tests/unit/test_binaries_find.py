"""Finding the real tools: catalogue, version parsing, PATH before cache, the status CLI.

Fake binaries are small shell scripts printing a version; PATH, the folder of
``sys.executable`` and the cache (``$WORKSHOP_CACHE``) all live under ``tmp_path``.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from workshop.binaries import CATALOGUE, SANDBOX_BINARIES, find, status
from workshop.binaries import versions as versions_module
from workshop.binaries.gobuild import BUILDS, GOMOD, build_command
from workshop.binaries.versions import first_semver, kubectl_client_version, series
from workshop.cli.binaries import group as binaries_cli
from workshop.errors import BinaryError

KUBE = "Kubernetes v1.37.2"
ETCD = "etcd Version: 3.7.3\nGit SHA: Not provided (use ./build instead of go build)\nGo: go1.26.8"
KWOK = "kwok version v0.8.0 go1.26.8 (linux/amd64)"
HELM = "v4.3.1+g0000000"
TOFU = "OpenTofu v1.12.6\non linux_amd64"
REGISTRY = "registry github.com/distribution/distribution/v3 v3.1.2"
CRANE = "v0.22.1"


def kubectl_json(version: str) -> str:
    return json.dumps({"clientVersion": {"gitVersion": f"v{version}", "major": "1"}})


def fake_tool(folder: Path, name: str, output: str, *, exit_code: int = 0) -> Path:
    """An executable shell script printing ``output`` (shell builtins only: PATH is bare)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = " ".join(shlex.quote(line) for line in output.splitlines())
    path = folder / name
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' {lines}\nexit {exit_code}\n")
    path.chmod(0o755)
    return path


@dataclass
class Env:
    cache: Path
    path: Path
    venv: Path

    def cached(self, group_dir: str, name: str, output: str) -> Path:
        return fake_tool(self.cache / "bin" / group_dir, name, output)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    cache, path, venv = tmp_path / "cache", tmp_path / "path", tmp_path / "venv" / "bin"
    path.mkdir()
    venv.mkdir(parents=True)
    monkeypatch.setenv("WORKSHOP_CACHE", str(cache))
    monkeypatch.setenv("PATH", str(path))
    monkeypatch.setattr(sys, "executable", str(venv / "python"))
    monkeypatch.setattr(versions_module, "_probes", {})
    monkeypatch.setenv("COLUMNS", "200")  # rich's table width outside a terminal
    return Env(cache, path, venv)


# --- catalogue and versions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (KUBE, "1.37.2"),
        (ETCD, "3.7.3"),
        (KWOK, "0.8.0"),
        ("kwok version v0.8.0", "0.8.0"),
        ("Kubernetes v0.0.0-master+$Format:%H$", "0.0.0"),
        ("no version here", None),
    ],
)
def test_first_semver_reads_each_tool(output: str, expected: str | None) -> None:
    assert first_semver(output) == expected


def test_kubectl_version_comes_from_the_client_json() -> None:
    assert kubectl_client_version(kubectl_json("1.37.1")) == "1.37.1"
    assert kubectl_client_version("Client Version: v1.37.1") is None
    assert kubectl_client_version(json.dumps({"serverVersion": {}})) is None


def test_catalogue_pins_and_accepted_series() -> None:
    versions = {CATALOGUE[name].version for name in SANDBOX_BINARIES}
    assert versions == {"3.7.3", "1.37.2", "0.8.0", "3.1.2"}
    assert set(SANDBOX_BINARIES) < set(CATALOGUE)
    assert "kubectl" in CATALOGUE
    assert CATALOGUE["etcd"].accepts == ("3.6", "3.7")
    assert all(series(b.version) in b.accepts for b in CATALOGUE.values())
    assert CATALOGUE["kubectl"].version_args == ("version", "--client", "-o", "json")


def test_every_built_package_is_a_tool_of_its_pinned_module() -> None:
    for group, spec in BUILDS.items():
        go_mod = (GOMOD / group / "go.mod").read_text()
        for package in spec.packages:
            assert re.search(rf"^\s*(tool\s+)?{re.escape(package)}\s*$", go_mod, re.M), package


def test_kubernetes_build_command_stamps_both_version_packages(tmp_path: Path) -> None:
    command = build_command(BUILDS["kubernetes"], Path("/go/bin/go"), tmp_path)
    assert command[:3] == ["/go/bin/go", "build", "-trimpath"]
    assert "-tags=selinux,notest,grpcnotrace" in command
    ldflags = command[command.index("-ldflags") + 1]
    assert ldflags.startswith("-s -w ")
    for stamp in (
        "gitVersion=v1.37.2",
        "gitMajor=1",
        "gitMinor=37",
        "gitTreeState=clean",
        f"gitCommit={'0' * 40}",
    ):
        assert f"-X k8s.io/client-go/pkg/version.{stamp}" in ldflags
        assert f"-X k8s.io/component-base/version.{stamp}" in ldflags
    assert command[command.index("-o") + 1] == f"{tmp_path}/"
    assert command[-3:] == [f"k8s.io/kubernetes/cmd/{n}" for n in SANDBOX_BINARIES[1:4]]


def test_etcd_and_kwok_build_commands(tmp_path: Path) -> None:
    etcd = build_command(BUILDS["etcd"], Path("go"), tmp_path)
    assert etcd[etcd.index("-o") + 1 :] == [str(tmp_path / "etcd"), "go.etcd.io/etcd/server/v3"]
    assert etcd[etcd.index("-ldflags") + 1] == "-s -w"
    kwok = build_command(BUILDS["kwok"], Path("go"), tmp_path)
    assert kwok[kwok.index("-ldflags") + 1] == (
        "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=0.8.0"
        " -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=1.37.2"
    )
    assert kwok[-1] == "sigs.k8s.io/kwok/cmd/kwok"


# --- find order ------------------------------------------------------------------------


def test_acceptable_binary_on_path_wins_over_the_cache(env: Env) -> None:
    on_path = fake_tool(env.path, "kube-apiserver", "Kubernetes v1.37.0")
    env.cached("kubernetes-v1.37.2", "kube-apiserver", KUBE)
    assert find("kube-apiserver") == on_path
    row = next(s for s in status() if s.name == "kube-apiserver")
    assert (row.source, row.found, row.path, row.wanted) == ("PATH", "1.37.0", on_path, "1.37.2")


def test_wrong_version_on_path_is_skipped_with_the_reason(env: Env) -> None:
    old = fake_tool(env.path, "etcd", "etcd Version: 3.5.21\nGit SHA: abc")
    cached = env.cached("etcd-v3.7.3", "etcd", ETCD)
    assert find("etcd") == cached
    row = next(s for s in status() if s.name == "etcd")
    assert row.source == "cache"
    assert row.found == "3.7.3"
    assert str(old) in row.note
    assert "3.5.21" in row.note
    assert "3.6.x or 3.7.x" in row.note


def test_a_later_path_entry_with_a_good_version_is_used(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = tmp_path / "second"
    fake_tool(env.path, "kwok", "kwok version 0.7.1")
    good = fake_tool(second, "kwok", KWOK)
    monkeypatch.setenv("PATH", f"{env.path}:{second}")
    assert find("kwok") == good
    row = next(s for s in status() if s.name == "kwok")
    assert row.source == "PATH"
    assert row.skipped == (f"skipped {env.path / 'kwok'}: version 0.7.1, wanted 0.8.x",)


def test_a_failing_binary_on_path_is_skipped(env: Env) -> None:
    fake_tool(env.path, "kube-scheduler", "flag provided but not defined", exit_code=2)
    cached = env.cached("kubernetes-v1.37.2", "kube-scheduler", KUBE)
    assert find("kube-scheduler") == cached
    row = next(s for s in status() if s.name == "kube-scheduler")
    assert "exited 2" in row.note


def test_a_cache_hit_needs_no_version_call(env: Env) -> None:
    cached = env.cache / "bin" / "kwok-v0.8.0" / "kwok"
    cached.parent.mkdir(parents=True)
    marker = env.cache / "called"
    cached.write_text(f"#!/bin/sh\necho called > {shlex.quote(str(marker))}\nexit 1\n")
    cached.chmod(0o755)
    assert find("kwok") == cached
    row = next(s for s in status() if s.name == "kwok")
    assert (row.source, row.found) == ("cache", "0.8.0")
    assert not marker.exists()


def test_another_cached_version_is_not_a_hit(env: Env) -> None:
    env.cached("etcd-v3.6.9", "etcd", "etcd Version: 3.6.9")
    with pytest.raises(BinaryError):
        find("etcd")


def test_kubectl_next_to_sys_executable_is_found(env: Env) -> None:
    fake_tool(env.path, "kubectl", kubectl_json("1.32.4"))
    wheel = fake_tool(env.venv, "kubectl", kubectl_json("1.37.1"))
    assert find("kubectl") == wheel
    row = next(s for s in status() if s.name == "kubectl")
    assert (row.source, row.found) == ("PATH", "1.37.1")
    assert "1.32.4" in row.note


def test_missing_binary_raises_with_install_hint(env: Env) -> None:
    fake_tool(env.path, "kube-controller-manager", "Kubernetes v1.36.4")
    with pytest.raises(BinaryError) as caught:
        find("kube-controller-manager")
    error = caught.value
    assert (error.binary, error.step) == ("kube-controller-manager", "find")
    assert "1.36.4" in str(error)
    assert error.hint is not None
    assert "workshop binaries install kube-controller-manager" in error.hint


def test_unknown_binary_is_an_error(env: Env) -> None:
    with pytest.raises(BinaryError, match="kube-proxy: find"):
        find("kube-proxy")


# --- CLI --------------------------------------------------------------------------------


def _install_all_fakes(env: Env) -> None:
    env.cached("etcd-v3.7.3", "etcd", ETCD)
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        env.cached("kubernetes-v1.37.2", name, KUBE)
    env.cached("kwok-v0.8.0", "kwok", KWOK)
    env.cached("helm-v4.3.1", "helm", HELM)
    env.cached("opentofu-v1.12.6", "tofu", TOFU)
    env.cached("registry-v3.1.2", "registry", REGISTRY)
    env.cached("crane-v0.22.1", "crane", CRANE)
    fake_tool(env.venv, "kubectl", kubectl_json("1.37.1"))


def test_cli_status_lists_every_binary_and_exits_0_when_complete(env: Env) -> None:
    _install_all_fakes(env)
    result = CliRunner().invoke(binaries_cli, ["status"])
    assert result.exit_code == 0, result.output
    for name in CATALOGUE:
        assert name in result.output
    assert "cache" in result.output
    assert "1.37.1" in result.output
    assert "missing" not in result.output


def test_cli_status_exits_1_when_something_is_missing(env: Env) -> None:
    _install_all_fakes(env)
    (env.cache / "bin" / "kwok-v0.8.0" / "kwok").unlink()
    result = CliRunner().invoke(binaries_cli, ["status"])
    assert result.exit_code == 1
    assert re.search(r"kwok\s.*missing", result.output)
    assert "workshop binaries install" in result.output


def test_cli_path_prints_the_path_or_fails(env: Env) -> None:
    cached = env.cached("etcd-v3.7.3", "etcd", ETCD)
    ok = CliRunner().invoke(binaries_cli, ["path", "etcd"])
    assert (ok.exit_code, ok.output.strip()) == (0, str(cached))
    missing = CliRunner().invoke(binaries_cli, ["path", "kwok"])
    assert missing.exit_code == 1
    assert "kwok: find:" in missing.output
