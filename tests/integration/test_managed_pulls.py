"""A managed cluster's nodes pull from the workshop's registry as OVHcloud's pull from a
Managed Private Registry: with the login of the pod's ``imagePullSecrets``, and only so.

The managed cluster is the one the emulated OVHcloud API starts (``ManagedCluster``, with
no registry of its own), given the session sandbox's ``registry.json`` as the emulator gives
it its home's; a NodePool made with kubectl gives it a node.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Kubectl
from workshop.cloud.managed import ManagedCluster
from workshop.containers import builder
from workshop.sandbox.nodes import POOL_GROUP, POOL_VERSION
from workshop.tools import registry as registries

pytestmark = pytest.mark.integration

DOCKERFILE = """\
FROM workshop/base
COPY index.html /srv/
EXPOSE 8080
USER app
CMD ["httpd", "-f", "-p", "8080", "-h", "/srv"]
"""


@pytest.fixture(scope="module")
def target(sandbox: Any) -> registries.Registry:
    return registries.find(sandbox.home)


@pytest.fixture(scope="module")
def image(target: registries.Registry, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An image pushed to the session sandbox's registry (which asks for a login)."""
    folder = tmp_path_factory.mktemp("private-image")
    (folder / "index.html").write_text("<h1>private</h1>\n")
    (folder / "Dockerfile").write_text(DOCKERFILE)
    repository = f"private-{uuid.uuid4().hex[:6]}"
    built = builder.build(folder, f"{repository}:1.0", output=folder / "layout").image
    registries.push(target, built.layout, repository, "1.0")
    return target.reference(repository, "1.0")


@pytest.fixture(scope="module")
def managed(sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubectl]:
    """A managed cluster whose nodes trust the session sandbox's registry; one node."""
    cluster = ManagedCluster(
        tmp_path_factory.mktemp("managed") / "cluster",
        registry_file=sandbox.home / "registry.json",
    )
    cluster.up(nodes=1)
    try:
        kubectl = Kubectl(cluster.layout.kubeconfig)
        pool = {
            "apiVersion": f"{POOL_GROUP}/{POOL_VERSION}",
            "kind": "NodePool",
            "metadata": {"name": "pool-1"},
            "spec": {"flavor": "b3-8", "desiredNodes": 1, "template": {}},
        }
        kubectl("apply", "-f", "-", input=json.dumps(pool))
        kubectl("wait", "--for=condition=Ready", "node", "--all", "--timeout=90s")
        yield kubectl
    finally:
        cluster.destroy()


def pull_secret(name: str, host: str, user: str, password: str) -> str:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    config = json.dumps({"auths": {host: {"auth": auth}}})
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name},
            "type": "kubernetes.io/dockerconfigjson",
            "data": {".dockerconfigjson": base64.b64encode(config.encode()).decode()},
        }
    )


def run_pod(kubectl: Kubectl, ns: str, name: str, image: str, secret: str | None) -> None:
    spec: dict[str, Any] = {"containers": [{"name": "web", "image": image}]}
    if secret:
        spec["imagePullSecrets"] = [{"name": secret}]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}
    kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(pod))


def waiting(kubectl: Kubectl, ns: str, name: str) -> tuple[str, str]:
    """The pod's phase, or the reason and message its container waits with."""
    pod = json.loads(kubectl("get", "pod", name, "-n", ns, "-o", "json"))
    for status in pod.get("status", {}).get("containerStatuses") or []:
        state = status.get("state") or {}
        if "waiting" in state:
            return state["waiting"].get("reason", ""), state["waiting"].get("message", "")
    return pod.get("status", {}).get("phase", ""), ""


def wait_for(what: str, check: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


def test_a_managed_cluster_pulls_a_private_image_only_with_the_pod_s_pull_secret(
    managed: Kubectl, target: registries.Registry, image: str
) -> None:
    ns = f"t-{uuid.uuid4().hex[:6]}"
    managed("create", "namespace", ns)
    assert target.password_file is not None and target.user is not None
    password = target.password_file.read_text().strip()
    managed(
        "apply", "-n", ns, "-f", "-", input=pull_secret("good", target.host, target.user, password)
    )
    managed(
        "apply", "-n", ns, "-f", "-", input=pull_secret("bad", target.host, target.user, "nope")
    )
    run_pod(managed, ns, "with-login", image, "good")
    run_pod(managed, ns, "without", image, None)
    run_pod(managed, ns, "wrong-login", image, "bad")

    wait_for(
        "the pod with the login to run", lambda: waiting(managed, ns, "with-login")[0] == "Running"
    )
    events = managed(
        "get", "events", "-n", ns, "--field-selector", "involvedObject.name=with-login"
    )
    assert f'Successfully pulled image "{image}"' in events

    def backing_off(name: str) -> str:
        reason, message = waiting(managed, ns, name)
        return message if reason == "ImagePullBackOff" else ""

    anonymous = wait_for("ImagePullBackOff without a login", lambda: backing_off("without"))
    assert "pull access denied" in anonymous and "authorization failed" in anonymous
    wrong = wait_for("ImagePullBackOff with a wrong login", lambda: backing_off("wrong-login"))
    assert f'"{image}"' in wrong and "failed to authorize" in wrong and "401 Unauthorized" in wrong
    leaked = password in wrong  # a plain bool: a failed assertion must not show it
    assert not leaked
    warnings = managed("get", "events", "-n", ns, "--field-selector", "type=Warning")
    assert "Error: ErrImagePull" in warnings and "Error: ImagePullBackOff" in warnings
