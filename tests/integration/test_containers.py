"""Images for real: a Dockerfile built into an OCI layout, pushed to the sandbox's registry
and pulled back with crane, run by a Deployment; a missing tag ends in ImagePullBackOff;
Helm charts go to the same registry as OCI artifacts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Kubectl, kubectl_binary
from workshop import binaries
from workshop.containers import builder, oci
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
def ns(kubectl: Kubectl) -> Iterator[str]:
    name = f"img-{uuid.uuid4().hex[:6]}"
    kubectl("create", "namespace", name)
    yield name
    kubectl("delete", "namespace", name, "--wait=false")


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


def test_instructions_that_need_an_engine_say_so(context: Path, tmp_path: Path) -> None:
    (context / "Dockerfile").write_text("FROM workshop/base\nCOPY site/ /srv/\nRUN make\n")
    answer = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "image", "build", str(context), "-t", "site:1.0"],
        capture_output=True,
        text=True,
        env={**os.environ, "WORKSHOP_ENGINE": "none", "WORKSHOP_HOME": str(tmp_path)},
        check=False,
    )
    assert answer.returncode == 1
    assert "line 3: RUN make" in answer.stderr
    assert "RUN needs a container engine" in answer.stderr
    assert "Traceback" not in answer.stderr
    assert not (tmp_path / "images" / "site" / "1.0").exists()
    (context / "Dockerfile").write_text("FROM python:3.12\n")
    with pytest.raises(builder.BuildError, match=r"cannot pull python:3\.12"):
        builder.build(context, "site:1.0", output=tmp_path / "out")


def test_helm_pushes_a_chart_to_the_registry_as_an_oci_artifact(
    tmp_path: Path, target: registries.Registry
) -> None:
    helm = str(binaries.find("helm"))
    assert target.ca is not None
    env = {**target.env(), "HELM_REGISTRY_CONFIG": str(tmp_path / "registry.json")}

    def run(*args: str) -> str:
        done = subprocess.run(
            [helm, *args], capture_output=True, text=True, env=env, cwd=tmp_path, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr

    run("create", "hello")
    run("package", "hello")
    pushed = run(
        "push", "hello-0.1.0.tgz", f"oci://{target.host}/charts", "--ca-file", str(target.ca)
    )
    assert f"Pushed: {target.host}/charts/hello:0.1.0" in pushed
    shown = run(
        "show", "chart", f"oci://{target.host}/charts/hello", "--version", "0.1.0",
        "--ca-file", str(target.ca),
    )  # fmt: skip
    assert "name: hello" in shown
    manifest = json.loads(crane(target, "manifest", f"{target.host}/charts/hello:0.1.0"))
    assert manifest["config"]["mediaType"] == "application/vnd.cncf.helm.config.v1+json"
