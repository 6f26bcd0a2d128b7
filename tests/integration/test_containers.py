"""Images for real: a Dockerfile built into an OCI layout, pushed to the sandbox's registry
and pulled back with crane, run by a Deployment; a missing tag ends in ImagePullBackOff;
Helm charts go to the same registry as OCI artifacts. The registry refuses anonymous pushes
and pulls (401); the workshop's clients log in without the password ever being shown.
"""

from __future__ import annotations

import base64
import io
import json
import os
import ssl
import stat
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Kubectl, kubectl_binary
from workshop import binaries
from workshop.containers import buildah, builder, oci
from workshop.errors import WorkshopError
from workshop.tools import registry as registries

pytestmark = pytest.mark.integration

DOCKERFILE = """\
FROM workshop/base
LABEL org.opencontainers.image.version="1.0"
WORKDIR /srv
COPY site/ ./
ENV GREETING="hi there"
EXPOSE 8080
USER app
CMD ["httpd", "-f", "-p", "8080", "-h", "/srv"]
"""


@pytest.fixture(scope="module")
def target(sandbox: Any) -> registries.Registry:
    return registries.find(sandbox.home)


@pytest.fixture
def context(tmp_path: Path) -> Path:
    folder = tmp_path / "context"
    (folder / "site" / "css").mkdir(parents=True)
    (folder / "site" / "index.html").write_text("<h1>built offline</h1>\n")
    (folder / "site" / "css" / "style.css").write_text("h1 { color: teal }\n")
    (folder / "Dockerfile").write_text(DOCKERFILE)
    return folder


def crane(target: registries.Registry, *args: str) -> str:
    return registries.run_crane(target, *args)


def test_a_dockerfile_builds_an_image_whose_digests_verify(context: Path, tmp_path: Path) -> None:
    result = builder.build(context, "site:1.0", output=tmp_path / "layout")
    image = result.image
    assert oci.verify(image) == []
    assert json.loads((tmp_path / "layout" / "oci-layout").read_text()) == {
        "imageLayoutVersion": "1.0.0"
    }
    # base layer + one COPY; the other instructions only write the config
    assert [layer.created_by for layer in image.layers][1:] == ["COPY site/ ./"]
    names = [entry.name for entry in image.files(image.layers[1])]
    assert names == ["srv", "srv/css", "srv/css/style.css", "srv/index.html"]
    settings = image.settings
    assert settings["Cmd"] == ["httpd", "-f", "-p", "8080", "-h", "/srv"]
    assert settings["ExposedPorts"] == {"8080/tcp": {}}
    assert "GREETING=hi there" in settings["Env"] and settings["User"] == "app"
    assert [s.layer is not None for s in result.steps] == [
        False, False, False, True, False, False, False, False,
    ]  # fmt: skip
    # the same inputs give the same image, byte for byte
    again = builder.build(context, "site:1.0", output=tmp_path / "again")
    assert again.image.digest == image.digest
    # a changed byte is caught
    blob = oci.blob_path(image.layout, image.layers[1].descriptor.digest)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    assert "layer 2: content does not match" in " ".join(oci.verify(oci.read(image.layout)))


def test_push_and_pull_back_with_crane(
    context: Path, tmp_path: Path, target: registries.Registry
) -> None:
    repository = f"site-{uuid.uuid4().hex[:6]}"
    built = builder.build(context, f"{repository}:1.0", output=tmp_path / "layout").image
    pushed = registries.push(target, built.layout, repository, "1.0")
    assert pushed == f"{target.host}/{repository}@{built.digest}"
    reference = target.reference(repository, "1.0")
    assert "PASS" in crane(target, "validate", "--remote", reference)
    assert crane(target, "digest", reference).strip() == built.digest
    assert registries.tags(target, repository) == ["1.0"]
    assert repository in registries.catalog(target)
    # crane's own OCI layout of the pulled image has the same manifest, config and layers
    crane(target, "pull", "--format=oci", reference, str(tmp_path / "pulled"))
    pulled = oci.read(tmp_path / "pulled")
    assert oci.verify(pulled) == []
    assert pulled.digest == built.digest
    assert pulled.config == built.config
    assert [layer.descriptor.digest for layer in pulled.layers] == [
        layer.descriptor.digest for layer in built.layers
    ]


def wait_for(what: str, condition: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_a_deployment_of_a_pushed_image_runs_and_serves_its_files(
    context: Path, tmp_path: Path, target: registries.Registry, kubectl: Kubectl, ns: str
) -> None:
    repository = f"web-{uuid.uuid4().hex[:6]}"
    built = builder.build(context, f"{repository}:1.0", output=tmp_path / "layout").image
    registries.push(target, built.layout, repository, "1.0")
    image = target.reference(repository, "1.0")
    kubectl("create", "deployment", "web", "-n", ns, f"--image={image}", "--port=8080")
    kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s")
    pods = json.loads(kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "json"))["items"]
    assert [p["status"]["phase"] for p in pods] == ["Running"]
    events = kubectl("get", "events", "-n", ns, "--field-selector", "reason=Pulled")
    assert f'Successfully pulled image "{image}"' in events
    # the container answers with the files of the image, through a port-forward
    forward_command = [kubectl_binary(), f"--kubeconfig={kubectl.kubeconfig}", "port-forward"]
    with subprocess.Popen(
        [*forward_command, "-n", ns, "deployment/web", ":8080"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as forward:
        try:
            assert forward.stdout is not None
            line = forward.stdout.readline()  # Forwarding from 127.0.0.1:PORT -> 8080
            port = line.split("127.0.0.1:")[1].split()[0]
            url = f"http://127.0.0.1:{port}/css/style.css"
            with urllib.request.urlopen(url, timeout=10) as answer:
                assert answer.read() == b"h1 { color: teal }\n"
        finally:
            forward.terminate()


def test_a_tag_that_was_never_pushed_ends_in_image_pull_back_off(
    target: registries.Registry, kubectl: Kubectl, ns: str
) -> None:
    image = target.reference(f"nothing-{uuid.uuid4().hex[:6]}", "2.0")
    kubectl("create", "deployment", "ghost", "-n", ns, f"--image={image}")

    def reason() -> str | None:
        pods = json.loads(kubectl("get", "pods", "-n", ns, "-o", "json"))["items"]
        for pod in pods:
            for status in pod.get("status", {}).get("containerStatuses") or []:
                waiting = (status.get("state") or {}).get("waiting") or {}
                if waiting.get("reason") == "ImagePullBackOff":
                    return str(waiting.get("message", ""))
        return None

    message = wait_for("ImagePullBackOff", reason)
    assert f'"{image}"' in message and "not found" in message
    events = kubectl("get", "events", "-n", ns, "--field-selector", "type=Warning")
    assert "Error: ErrImagePull" in events and "Error: ImagePullBackOff" in events


def test_without_buildah_a_run_step_is_one_sentence_never_a_traceback(
    context: Path, tmp_path: Path
) -> None:
    (context / "Dockerfile").write_text("FROM workshop/base\nCOPY site/ /srv/\nRUN make\n")
    answer = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "image", "build", str(context), "-t", "site:1.0"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "WORKSHOP_ENGINE": "none",
            "WORKSHOP_HOME": str(tmp_path),
            "PATH": str(tmp_path / "no-buildah"),
        },
        check=False,
    )
    assert answer.returncode == 1
    said = answer.stderr.strip()
    assert "line 3: RUN make" in said
    assert "this image needs buildah to build, but buildah is not installed here" in said
    assert "Traceback" not in said and len(said.splitlines()) == 1
    assert not (tmp_path / "images" / "site" / "1.0").exists()
    (context / "Dockerfile").write_text("FROM python:3.12\n")
    with pytest.raises(builder.BuildError, match=r"cannot pull python:3\.12"):
        builder.build(context, "site:1.0", output=tmp_path / "out")


RUNS = """\
FROM workshop/base
LABEL org.opencontainers.image.version="1.1"
WORKDIR /srv
COPY site/ ./
RUN id > /srv/built.txt && echo 'web:x:1001:1001:web:/srv:/bin/sh' >> /etc/passwd
EXPOSE 8080
USER web
CMD ["httpd", "-f", "-p", "8080", "-h", "/srv"]
"""


def test_a_dockerfile_with_run_builds_with_buildah_and_the_image_shows_what_it_ran(
    context: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: registries.Registry
) -> None:
    if buildah.find() is None:
        # root gets buildah from `make setup`: there, its absence is a failure
        assert os.geteuid() != 0, f"{buildah.why_not()}: `make setup` installs buildah"
        pytest.skip(f"{buildah.why_not()}: buildah needs root or user namespaces here")
    home = tmp_path / "home"
    monkeypatch.setenv("WORKSHOP_HOME", str(home))
    (context / "Dockerfile").write_text(RUNS)
    result = builder.build(context, "site:1.1", output=tmp_path / "layout")
    image = result.image
    assert result.builder.startswith("buildah ")
    assert oci.verify(image) == []
    settings = image.settings
    assert settings["User"] == "web" and "8080/tcp" in settings["ExposedPorts"]
    assert settings["Labels"]["org.opencontainers.image.version"] == "1.1"
    run = next(s for s in result.steps if s.text.startswith("RUN "))
    assert run.layer is not None  # RUN made a layer: the files it wrote
    made = next(layer for layer in image.layers if layer.descriptor.digest == run.layer)
    assert "id > /srv/built.txt" in made.created_by
    files = {entry.name: entry for entry in image.files(made)}
    assert {"srv/built.txt", "etc/passwd"} <= set(files)
    with tarfile.open(fileobj=io.BytesIO(image.blob(run.layer)), mode="r:*") as tar:
        built = tar.extractfile("srv/built.txt")
        assert built is not None and built.read().startswith(b"uid=0(root)")  # RUN ran as root
    assert (home / "buildah" / "storage").is_dir()  # under the workshop home, not /var/lib
    assert not (home / "buildah" / "tmp").exists()  # its scratch is removed after each build
    pushed = registries.push(target, image.layout, "site", "1.1")
    config = json.loads(crane(target, "config", target.reference("site", "1.1")))
    assert config["config"]["User"] == "web"
    assert any("id > /srv/built.txt" in h.get("created_by", "") for h in config["history"])
    assert pushed
    buildah.clean()
    assert not (home / "buildah").exists()


def test_helm_pushes_and_pulls_a_chart_as_an_oci_artifact_with_the_workshops_login(
    tmp_path: Path, target: registries.Registry
) -> None:
    helm = str(binaries.find("helm"))
    assert target.ca is not None and target.registry_config is not None
    # helm with no login (an empty registry config) is refused
    (tmp_path / "nobody.json").write_text("{}")
    env = {**os.environ, "HELM_REGISTRY_CONFIG": str(tmp_path / "nobody.json")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [helm, *args], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
        )

    assert run("create", "hello").returncode == 0
    assert run("package", "hello").returncode == 0
    anonymous = run(
        "push", "hello-0.1.0.tgz", f"oci://{target.host}/charts", "--ca-file", str(target.ca)
    )
    assert anonymous.returncode != 0
    # oras (helm's registry client) got the registry's 401 asking for Basic auth
    assert "basic credential not found" in anonymous.stderr
    # the workshop's push and pull: helm --registry-config the file the sandbox wrote
    pushed = registries.push_chart(target, tmp_path / "hello-0.1.0.tgz")
    assert pushed.startswith(f"{target.host}/charts/hello:0.1.0")
    pulled = registries.pull_chart(target, "hello", "0.1.0", tmp_path / "pulled")
    assert pulled.read_bytes() == (tmp_path / "hello-0.1.0.tgz").read_bytes()
    manifest = json.loads(crane(target, "manifest", f"{target.host}/charts/hello:0.1.0"))
    assert manifest["config"]["mediaType"] == "application/vnd.cncf.helm.config.v1+json"


def _get(url: str, ca: Path, authorization: str | None = None) -> int:
    headers = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    if authorization:
        headers["Authorization"] = authorization
    context = ssl.create_default_context(cafile=str(ca))
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as e:
        if e.code == 401:
            assert "Basic" in e.headers.get("WWW-Authenticate", "")
        return e.code


def test_the_registry_refuses_anonymous_pushes_and_pulls(
    context: Path, tmp_path: Path, target: registries.Registry
) -> None:
    assert target.ca is not None and target.password_file is not None
    repository = f"locked-{uuid.uuid4().hex[:6]}"
    built = builder.build(context, f"{repository}:1.0", output=tmp_path / "layout").image
    nobody = registries.Registry(target.host, target.ca, docker_config=tmp_path / "nobody")
    (tmp_path / "nobody").mkdir()
    # crane with an empty DOCKER_CONFIG: no push ...
    with pytest.raises(WorkshopError, match="401 Unauthorized") as refused:
        registries.push(nobody, built.layout, repository, "1.0")
    assert "login" in (refused.value.hint or "")
    # ... while the workshop's login pushes
    registries.push(target, built.layout, repository, "1.0")
    reference = target.reference(repository, "1.0")
    # and no pull, nor even a look at the manifest, the catalog or /v2/ itself
    with pytest.raises(WorkshopError, match=r"401 Unauthorized|UNAUTHORIZED"):
        registries.run_crane(nobody, "pull", "--format=oci", reference, str(tmp_path / "p"))
    base = f"https://{target.host}/v2"
    manifest = f"{base}/{repository}/manifests/1.0"
    for url in (f"{base}/", f"{base}/_catalog", manifest):
        assert _get(url, target.ca) == 401
    wrong = "Basic " + base64.b64encode(f"{target.user}:not-the-password".encode()).decode()
    assert _get(manifest, target.ca, wrong) == 401
    password = target.password_file.read_text().strip()
    right = "Basic " + base64.b64encode(f"{target.user}:{password}".encode()).decode()
    status = _get(manifest, target.ca, right)  # (an assertion's report must not show it)
    assert status == 200
    assert crane(target, "digest", reference).strip() == built.digest


def test_the_password_is_kept_private_and_never_shown(
    sandbox: Any, target: registries.Registry
) -> None:
    assert target.password_file is not None and target.registry_config is not None
    password = target.password_file.read_text().strip()
    assert len(password) >= 32
    registries.catalog(target)  # one request at least, logged with its user
    for private in (target.password_file, target.registry_config):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.password_file.parent.stat().st_mode) == 0o700
    env = {**os.environ, "WORKSHOP_HOME": str(sandbox.home)}

    def workshop(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "workshop.cli", *args],
            capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    shown = workshop("registry", "info")
    assert f"user:     {target.user}" in shown and str(target.password_file) in shown
    # (a plain bool: pytest's report of a failed assertion must not show the password)
    leaked = password in shown
    assert not leaked, "`workshop registry info` shows the password"
    # after the other tests pushed and pulled (crane, helm, the nodes' pulls)
    logs = workshop("sandbox", "logs", "--lines", "100000")
    assert "authorized request" in logs and f"auth.user.name={target.user}" in logs
    leaked = password in logs
    assert not leaked, "`workshop sandbox logs` shows the password"
    root = Path(__file__).resolve().parents[2]
    sources = [
        root / "notebooks" / "01-containers.ipynb",
        *(p for p in (root / "labs" / "01-containers").rglob("*") if p.is_file()),
        sandbox.home / "registry.json",
        *sandbox.layout.run.glob("*.json"),
    ]
    for source in sources:
        leaked = password in source.read_text(errors="replace")
        assert not leaked, f"{source} holds the password"
