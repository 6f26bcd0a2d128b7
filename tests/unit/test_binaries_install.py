"""Installing the real tools without the real ones: a release layout served on 127.0.0.1,
and a fake ``go`` (a Python script) standing in for the toolchain.

The download route is checked end to end (URLs, checksum files, tarball, executable bit,
version check, cache layout); the build route is checked for the command it runs, where
its output goes, the lock between two installs, and its errors. No real Go build runs.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import shlex
import socket
import sys
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from workshop.binaries import CATALOGUE, SANDBOX_BINARIES, ProgressEvent, find, install
from workshop.binaries import catalogue as catalogue_module
from workshop.binaries import download as download_module
from workshop.binaries import versions as versions_module
from workshop.binaries.gobuild import GOMOD
from workshop.cli.binaries import group as binaries_cli
from workshop.errors import BinaryError

REAL_PYTHON = sys.executable
OUTPUTS = {
    "kube-apiserver": "Kubernetes v1.37.2",
    "kube-controller-manager": "Kubernetes v1.37.2",
    "kube-scheduler": "Kubernetes v1.37.2",
    "etcd": "etcd Version: 3.7.3\nGit SHA: GitNotFound\nGo Version: go1.26.8",
    "kwok": "kwok version v0.8.0 go1.26.8 (linux/amd64)",
    "kubectl": json.dumps({"clientVersion": {"gitVersion": "v1.37.2"}}),
}


def script(output: str) -> bytes:
    lines = " ".join(shlex.quote(line) for line in output.splitlines())
    return f"#!/bin/sh\nprintf '%s\\n' {lines}\n".encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Env:
    cache: Path
    path: Path
    events: list[ProgressEvent] = field(default_factory=list)

    @property
    def bin(self) -> Path:
        return self.cache / "bin"

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.bin.iterdir()) if self.bin.exists() else []


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    cache, path, venv = tmp_path / "cache", tmp_path / "path", tmp_path / "venv" / "bin"
    path.mkdir()
    venv.mkdir(parents=True)
    monkeypatch.setenv("WORKSHOP_CACHE", str(cache))
    monkeypatch.setenv("PATH", str(path))
    monkeypatch.delenv("WORKSHOP_DOWNLOAD_MIRROR", raising=False)
    monkeypatch.setattr(sys, "executable", str(venv / "python"))
    monkeypatch.setattr(versions_module, "_probes", {})
    monkeypatch.setattr(download_module, "platform_key", lambda _binary: ("linux", "amd64"))
    return Env(cache, path)


# --- a release layout on a local HTTP server --------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Mirror:
    root: Path
    url: str
    requests: list[str]

    def put(self, path: str, data: bytes) -> None:
        target = self.root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def etcd_tarball(output: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in (("README.md", b"etcd\n"), ("etcd", script(output))):
            info = tarfile.TarInfo(f"etcd-v3.7.3-linux-amd64/{name}")
            info.size, info.mode = len(data), 0o755
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


K8S = "/release/v1.37.2/bin/linux/amd64"
ETCD_DIR = "/etcd-io/etcd/releases/download/v3.7.3"
KWOK_PATH = "/kubernetes-sigs/kwok/releases/download/v0.8.0/kwok-linux-amd64"


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mirror]:
    """The official layout of every release file, served from 127.0.0.1, kwok digest pinned."""
    root = tmp_path / "mirror"
    requests: list[str] = []
    handler = type("Handler", (_QuietHandler,), {"requests": requests})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    site = Mirror(root, f"http://127.0.0.1:{server.server_address[1]}", requests)
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"):
        data = script(OUTPUTS[name])
        site.put(f"{K8S}/{name}", data)
        site.put(f"{K8S}/{name}.sha256", sha256(data).encode())
    tarball = etcd_tarball(OUTPUTS["etcd"])
    tarball_name = "etcd-v3.7.3-linux-amd64.tar.gz"
    site.put(f"{ETCD_DIR}/{tarball_name}", tarball)
    sums = [f"{'0' * 64}  etcd-v3.7.3-darwin-arm64.zip", f"{sha256(tarball)}  {tarball_name}"]
    site.put(f"{ETCD_DIR}/SHA256SUMS", "\n".join([*sums, ""]).encode())
    kwok = script(OUTPUTS["kwok"])
    site.put(KWOK_PATH, kwok)
    pin_kwok(monkeypatch, sha256(kwok))
    monkeypatch.setenv("WORKSHOP_DOWNLOAD_MIRROR", site.url)
    yield site
    server.shutdown()
    server.server_close()
    thread.join()


def pin_kwok(monkeypatch: pytest.MonkeyPatch, digest: str | None) -> None:
    kwok = CATALOGUE["kwok"]
    pins = {"linux/amd64": digest} if digest else {}
    pinned = replace(kwok, release=replace(kwok.release, pinned_sha256=pins))
    monkeypatch.setitem(catalogue_module.CATALOGUE, "kwok", pinned)


# --- download route ---------------------------------------------------------------------


def test_download_installs_every_binary_into_the_cache(env: Env, mirror: Mirror) -> None:
    # the mirror serves the sandbox's binaries and kubectl (helm and tofu have tests of their
    # own; the registry's release has no checksum file, so it is built, never downloaded)
    served = [*(name for name in SANDBOX_BINARIES if name != "registry"), "kubectl"]
    paths = install(served, via="download", progress=env.events.append)
    assert sorted(paths) == sorted(served)
    for name, path in paths.items():
        binary = CATALOGUE[name]
        assert path == env.bin / f"{binary.group}-v{binary.version}" / name
        assert path.stat().st_mode & 0o111
        assert find(name) == path
    assert env.leftovers() == [
        "etcd-v3.7.3",
        "kubectl-v1.37.2",
        "kubernetes-v1.37.2",
        "kwok-v0.8.0",
    ]
    assert sorted(p.name for p in (env.bin / "etcd-v3.7.3").iterdir()) == ["etcd"]
    done = {e.group for e in env.events if e.kind == "done"}
    assert done == {"etcd", "kubernetes", "kwok", "kubectl"}
    assert f"{ETCD_DIR}/SHA256SUMS" in mirror.requests
    assert f"{K8S}/kube-apiserver.sha256" in mirror.requests


def test_download_gets_only_what_is_missing(env: Env, mirror: Mirror) -> None:
    (env.path / "kube-apiserver").write_bytes(script("Kubernetes v1.37.1"))
    (env.path / "kube-apiserver").chmod(0o755)
    paths = install(["kube-apiserver", "kube-scheduler"], via="download")
    assert paths["kube-apiserver"] == env.path / "kube-apiserver"
    assert paths["kube-scheduler"] == env.bin / "kubernetes-v1.37.2" / "kube-scheduler"
    assert f"{K8S}/kube-apiserver" not in mirror.requests
    assert not (env.bin / "kubernetes-v1.37.2" / "kube-controller-manager").exists()
    # A second download adds its file beside the first one in the existing group folder.
    later = install(["kube-controller-manager"], via="download")
    folder = env.bin / "kubernetes-v1.37.2"
    assert later == {"kube-controller-manager": folder / "kube-controller-manager"}
    assert sorted(p.name for p in folder.iterdir()) == ["kube-controller-manager", "kube-scheduler"]
    assert env.leftovers() == ["kubernetes-v1.37.2"]


def test_auto_downloads_when_go_is_missing(env: Env, mirror: Mirror) -> None:
    paths = install(["etcd"], progress=env.events.append)
    assert paths["etcd"] == env.bin / "etcd-v3.7.3" / "etcd"
    assert any(e.kind == "start" and "downloading" in e.message for e in env.events)


def test_wrong_archive_checksum_deletes_the_download(env: Env, mirror: Mirror) -> None:
    tampered = etcd_tarball("etcd Version: 3.7.3\n# tampered")
    mirror.put(f"{ETCD_DIR}/etcd-v3.7.3-linux-amd64.tar.gz", tampered)
    with pytest.raises(BinaryError) as caught:
        install(["etcd"], via="download")
    error = caught.value
    assert (error.binary, error.step) == ("etcd", "verify checksum")
    assert sha256(tampered) in str(error)
    sums = (mirror.root / ETCD_DIR.lstrip("/") / "SHA256SUMS").read_text()
    assert sums.splitlines()[1].split()[0] in str(error)
    assert error.hint and "--via build" in error.hint
    assert env.leftovers() == []


def test_wrong_bare_checksum_leaves_nothing(env: Env, mirror: Mirror) -> None:
    mirror.put(f"{K8S}/kube-scheduler.sha256", ("f" * 64).encode())
    with pytest.raises(BinaryError, match=r"kube-scheduler: verify checksum: .*expected f{64}"):
        install(["kube-scheduler"], via="download")
    assert env.leftovers() == []


def test_kwok_without_a_pinned_digest_is_refused_before_downloading(
    env: Env, mirror: Mirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin_kwok(monkeypatch, None)
    with pytest.raises(BinaryError) as caught:
        install(["kwok"], via="download")
    assert (caught.value.binary, caught.value.step) == ("kwok", "verify checksum")
    assert "no published checksum" in str(caught.value)
    assert KWOK_PATH not in mirror.requests
    assert env.leftovers() == []


def test_sums_file_without_the_archive_line_is_an_error(env: Env, mirror: Mirror) -> None:
    mirror.put(f"{ETCD_DIR}/SHA256SUMS", f"{'0' * 64}  etcd-v3.7.3-darwin-amd64.zip\n".encode())
    with pytest.raises(BinaryError, match=r"etcd: verify checksum: .*no sha256 for etcd-v3\.7\.3"):
        install(["etcd"], via="download")


def test_missing_release_file_is_a_download_error(env: Env, mirror: Mirror) -> None:
    (mirror.root / K8S.lstrip("/") / "kubectl").unlink()
    with pytest.raises(BinaryError) as caught:
        install(["kubectl"], via="download")
    assert caught.value.step == "download"
    assert "HTTP 404" in str(caught.value)


def test_unreachable_host_is_a_download_error_with_a_hint(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("WORKSHOP_DOWNLOAD_MIRROR", f"http://127.0.0.1:{port}")
    with pytest.raises(BinaryError) as caught:
        install(["kube-apiserver"], via="download")
    error = caught.value
    assert (error.binary, error.step) == ("kube-apiserver", "download")
    assert f"127.0.0.1:{port}/release/v1.37.2/bin/linux/amd64/kube-apiserver" in str(error)
    assert error.hint and "--via build" in error.hint and "conda-forge" in error.hint
    assert env.leftovers() == []


# --- build route, with a fake go --------------------------------------------------------

FAKE_GO = """#!{python}
import json, os, sys, time
args = sys.argv[1:]
if args == ["env", "GOVERSION"]:
    print(os.environ.get("FAKE_GO_VERSION", "go1.26.8"))
    sys.exit(0)
with open(os.environ["FAKE_GO_RECORD"], "a") as record:
    record.write(json.dumps({{"argv": args, "cwd": os.getcwd(),
        "cgo": os.environ.get("CGO_ENABLED"), "gocache": os.environ.get("GOCACHE")}}) + "\\n")
time.sleep(float(os.environ.get("FAKE_GO_SLEEP", "0")))
for package in ("k8s.io/apimachinery/pkg/util/runtime", "k8s.io/client-go/rest"):
    print(package, file=sys.stderr, flush=True)
if os.environ.get("FAKE_GO_FAIL"):
    print("go: k8s.io/kubernetes@v1.37.2: dial tcp: lookup proxy.golang.org: no such host")
    sys.exit(1)
outputs = json.loads(os.environ["FAKE_GO_OUTPUTS"])
target = args[args.index("-o") + 1]
packages = args[args.index("-o") + 2:]
files = ([os.path.join(target, p.rsplit("/", 1)[1]) for p in packages]
         if target.endswith("/") else [target])
for path in files:
    text = outputs[os.path.basename(path)]
    quoted = " ".join(repr(line) for line in text.splitlines())
    with open(path, "w") as out:
        out.write("#!/bin/sh\\nprintf '%s\\\\n' " + quoted + "\\n")
    os.chmod(path, 0o755)
"""


@dataclass
class FakeGo:
    record: Path

    def calls(self) -> list[dict[str, object]]:
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines()]


@pytest.fixture
def fake_go(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeGo:
    go = env.path / "go"
    go.write_text(FAKE_GO.format(python=REAL_PYTHON))
    go.chmod(0o755)
    record = tmp_path / "go-calls.jsonl"
    monkeypatch.setenv("FAKE_GO_RECORD", str(record))
    monkeypatch.setenv("FAKE_GO_OUTPUTS", json.dumps(OUTPUTS))
    monkeypatch.setenv("GOCACHE", str(tmp_path / "gocache"))
    return FakeGo(record)


def test_build_runs_go_in_the_pinned_module_and_fills_the_cache(
    env: Env, fake_go: FakeGo, tmp_path: Path
) -> None:
    paths = install(["kube-apiserver", "kube-scheduler"], via="build", progress=env.events.append)
    folder = env.bin / "kubernetes-v1.37.2"
    assert paths == {
        "kube-apiserver": folder / "kube-apiserver",
        "kube-scheduler": folder / "kube-scheduler",
    }
    assert sorted(p.name for p in folder.iterdir()) == [
        "build.json",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
    ]
    assert json.loads((folder / "build.json").read_text())["seconds"] >= 0
    (call,) = fake_go.calls()
    assert call["cwd"] == str(GOMOD / "kubernetes")
    assert call["cgo"] == "0"
    assert call["gocache"] == str(tmp_path / "gocache")
    argv = call["argv"]
    assert isinstance(argv, list)
    assert argv[:2] == ["build", "-trimpath"]
    assert argv[-1] == "k8s.io/kubernetes/cmd/kube-scheduler"
    lines = [e.message for e in env.events if e.kind == "line"]
    assert "k8s.io/client-go/rest" in lines
    log = (env.cache / "logs" / "build-kubernetes-v1.37.2.log").read_text()
    assert "k8s.io/apimachinery/pkg/util/runtime" in log
    assert env.leftovers() == ["kubernetes-v1.37.2"]


def test_auto_builds_when_go_is_there(env: Env, fake_go: FakeGo) -> None:
    install(["etcd"])
    (call,) = fake_go.calls()
    assert call["argv"][-1] == "go.etcd.io/etcd/server/v3"  # type: ignore[index]
    assert find("etcd") == env.bin / "etcd-v3.7.3" / "etcd"


def test_two_concurrent_installs_build_once(
    env: Env, fake_go: FakeGo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_GO_SLEEP", "1")
    results: list[dict[str, Path]] = []
    threads = [
        threading.Thread(target=lambda: results.append(install(["kwok"], via="build")))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake_go.calls()) == 1
    assert results == [{"kwok": env.bin / "kwok-v0.8.0" / "kwok"}] * 2


def test_missing_go_is_a_build_error_with_a_hint(env: Env) -> None:
    with pytest.raises(BinaryError) as caught:
        install(["etcd"], via="build")
    error = caught.value
    assert error.step == "build"
    assert "etcd: build: cannot build v3.7.3: no `go` on PATH" in str(error)
    assert error.hint and "Go >= 1.26" in error.hint and "--via download" in error.hint
    assert env.leftovers() == []


def test_old_go_is_refused(env: Env, fake_go: FakeGo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_GO_VERSION", "go1.25.3")
    with pytest.raises(BinaryError, match=r"go1\.25\.3"):
        install(["kwok"], via="build")
    assert fake_go.calls() == []


def test_failed_go_build_shows_the_last_lines_and_the_log(
    env: Env, fake_go: FakeGo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_GO_FAIL", "1")
    with pytest.raises(BinaryError) as caught:
        install(["etcd"], via="build")
    error = caught.value
    assert error.step == "build"
    assert "exit 1" in str(error) and "proxy.golang.org" in str(error)
    assert error.hint and str(env.cache / "logs" / "build-etcd-v3.7.3.log") in error.hint
    assert env.leftovers() == []


def test_built_binary_with_the_wrong_version_is_not_installed(
    env: Env, fake_go: FakeGo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_GO_OUTPUTS", json.dumps({**OUTPUTS, "kwok": "kwok version 0.7.0"}))
    with pytest.raises(BinaryError) as caught:
        install(["kwok"], via="build")
    assert (caught.value.binary, caught.value.step) == ("kwok", "verify build")
    assert "0.7.0" in str(caught.value)
    assert env.leftovers() == []


def test_kubectl_is_never_built(env: Env, fake_go: FakeGo) -> None:
    with pytest.raises(BinaryError, match="kubectl: build: it is not built here"):
        install(["kubectl"], via="build")
    assert fake_go.calls() == []


def test_sandbox_binaries_are_the_control_plane_and_kwok() -> None:
    assert SANDBOX_BINARIES == (
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "kube-scheduler",
        "kwok",
        "registry",
    )


def test_cli_install_shows_each_group_and_the_paths(env: Env, fake_go: FakeGo) -> None:
    result = CliRunner().invoke(binaries_cli, ["install", "etcd", "kwok", "--via", "build"])
    assert result.exit_code == 0, result.output
    assert "etcd v3.7.3 built into" in result.output
    assert f"kwok: {env.bin / 'kwok-v0.8.0' / 'kwok'}" in result.output
    assert len(fake_go.calls()) == 2


def test_cli_install_prints_the_error_and_exits_1(env: Env) -> None:
    result = CliRunner().invoke(binaries_cli, ["install", "etcd", "--via", "build"])
    assert result.exit_code == 1
    assert "error: etcd: build: cannot build v3.7.3: no `go` on PATH" in result.output
    assert "--via download" in result.output


def test_helm_and_opentofu_release_files() -> None:
    helm = download_module.asset_for(CATALOGUE["helm"], "linux", "amd64")
    assert helm.url == "https://get.helm.sh/helm-v4.3.1-linux-amd64.tar.gz"
    assert helm.checksum_url == helm.url + ".sha256sum"
    assert helm.member == "linux-amd64/helm"
    crane = download_module.asset_for(CATALOGUE["crane"], "linux", "amd64")
    assert crane.url.endswith("/v0.22.1/go-containerregistry_Linux_x86_64.tar.gz")
    assert crane.checksum_url is not None and crane.checksum_url.endswith("/checksums.txt")
    registry = download_module.asset_for(CATALOGUE["registry"], "linux", "amd64")
    assert registry.url.endswith("/v3.1.2/registry_3.1.2_linux_amd64.tar.gz")
    assert registry.checksum_url is None and registry.pinned_sha256 is None
    tofu = download_module.asset_for(CATALOGUE["tofu"], "linux", "amd64")
    assert tofu.url.endswith("/download/v1.12.6/tofu_1.12.6_linux_amd64.tar.gz")
    assert tofu.checksum_url is not None
    assert tofu.checksum_url.endswith("/tofu_1.12.6_SHA256SUMS")
