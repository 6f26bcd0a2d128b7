"""The sandbox is real Kubernetes: the real kubectl against it, as a learner would type it."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import Kubectl
from workshop.sandbox import nodes as sandbox_nodes

pytestmark = pytest.mark.integration


def wait_for(predicate, timeout: float = 60, what: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def pods(kubectl: Kubectl, ns: str, selector: str) -> list[dict]:  # type: ignore[type-arg]
    items: list[dict] = json.loads(kubectl("get", "pods", "-n", ns, "-l", selector, "-o", "json"))[
        "items"
    ]  # type: ignore[type-arg]
    return items


def test_nodes_are_ready_and_look_managed(kubectl: Kubectl) -> None:
    nodes = json.loads(kubectl("get", "nodes", "-o", "json"))["items"]
    assert len(nodes) == 3
    for node in nodes:
        ready = {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"]
        assert ready == "True"
        # the flavor's id, as OVHcloud sets the label; the name is the NodePool's
        assert node["metadata"]["labels"]["node.kubernetes.io/instance-type"] == (
            sandbox_nodes.flavor_id("b3-8")
        )
        assert node["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.37")
    table = kubectl("get", "nodes")
    assert table.count(" Ready ") == 3


def test_server_version_is_the_pinned_release(kubectl: Kubectl) -> None:
    version = json.loads(kubectl("version", "-o", "json"))
    assert version["serverVersion"]["gitVersion"].startswith("v1.37.")
    assert version["serverVersion"]["minor"] == "37"


def test_deployment_rollout_scale_update_undo(kubectl: Kubectl) -> None:
    ns = "hello-lab"
    kubectl("create", "namespace", ns)
    kubectl("create", "deployment", "hello", "--image=ovhplatform/hello", "--replicas=3", "-n", ns)
    kubectl("rollout", "status", "deployment/hello", "-n", ns, "--timeout=60s")
    running = pods(kubectl, ns, "app=hello")
    assert len(running) == 3
    for pod in running:
        assert pod["status"]["phase"] == "Running"
        assert pod["spec"]["nodeName"]
        assert pod["status"]["podIP"]
        assert all(c["ready"] for c in pod["status"]["containerStatuses"])
    assert len({p["status"]["podIP"] for p in running}) == 3

    kubectl("scale", "deployment/hello", "--replicas=5", "-n", ns)
    kubectl("rollout", "status", "deployment/hello", "-n", ns, "--timeout=60s")
    assert len(pods(kubectl, ns, "app=hello")) == 5

    kubectl("set", "image", "deployment/hello", "hello=ovhplatform/hello:2.0", "-n", ns)
    kubectl("rollout", "status", "deployment/hello", "-n", ns, "--timeout=60s")
    images = {
        p["spec"]["containers"][0]["image"]
        for p in pods(kubectl, ns, "app=hello")
        if not p["metadata"].get("deletionTimestamp")
    }
    assert images == {"ovhplatform/hello:2.0"}
    history = kubectl("rollout", "history", "deployment/hello", "-n", ns)
    assert "2" in history.split()

    kubectl("rollout", "undo", "deployment/hello", "-n", ns)
    kubectl("rollout", "status", "deployment/hello", "-n", ns, "--timeout=60s")
    deployment = json.loads(kubectl("get", "deployment/hello", "-n", ns, "-o", "json"))
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "ovhplatform/hello"
    wait_for(
        lambda: (
            {p["spec"]["containers"][0]["image"] for p in pods(kubectl, ns, "app=hello")}
            == {"ovhplatform/hello"}
        ),
        what="old pods gone after undo",
    )


def test_a_deleted_pod_is_replaced(kubectl: Kubectl) -> None:
    ns = "self-healing"
    kubectl("create", "namespace", ns)
    kubectl("create", "deployment", "web", "--image=nginx", "--replicas=2", "-n", ns)
    kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    before = {p["metadata"]["name"] for p in pods(kubectl, ns, "app=web")}
    victim = sorted(before)[0]
    kubectl("delete", "pod", victim, "-n", ns, "--wait=true")

    def replaced() -> bool:
        now = pods(kubectl, ns, "app=web")
        names = {p["metadata"]["name"] for p in now}
        return (
            victim not in names
            and len(now) == 2
            and all(p["status"].get("phase") == "Running" for p in now)
        )

    wait_for(replaced, what="a replacement pod")


MANIFEST = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: default
data:
  greeting: {greeting}
"""


def test_apply_is_declarative(kubectl: Kubectl) -> None:
    first = kubectl("apply", "-f", "-", input=MANIFEST.format(greeting="hello"))
    assert "configmap/settings created" in first
    again = kubectl("apply", "-f", "-", input=MANIFEST.format(greeting="hello"))
    assert "configmap/settings unchanged" in again
    changed = kubectl("apply", "-f", "-", input=MANIFEST.format(greeting="bonjour"))
    assert "configmap/settings configured" in changed
    assert kubectl("get", "configmap/settings", "-o", "jsonpath={.data.greeting}") == "bonjour"


def test_explain_uses_the_servers_openapi(kubectl: Kubectl) -> None:
    out = kubectl("explain", "deployment.spec.replicas")
    assert "KIND:" in out and "Deployment" in out
    assert "replicas" in out and "<integer>" in out


def test_invalid_manifest_gets_the_apiservers_own_error(kubectl: Kubectl) -> None:
    bad = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: broken}
spec:
  replicas: -1
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: back}}
    spec: {containers: [{name: c, image: nginx}]}
"""
    result = kubectl.run("apply", "-f", "-", input=bad, check=False)
    assert result.returncode != 0
    assert 'The Deployment "broken" is invalid' in result.stderr
    assert "spec.replicas: Invalid value: -1" in result.stderr
    assert "`selector` does not match template `labels`" in result.stderr


def test_malformed_yaml_is_refused_by_kubectl(kubectl: Kubectl) -> None:
    result = kubectl.run("apply", "-f", "-", input="kind: ConfigMap\n  bad: [indent\n", check=False)
    assert result.returncode != 0
    assert "error" in result.stderr.lower()


def test_logs_and_exec_are_answered_by_kwok(kubectl: Kubectl) -> None:
    kubectl(
        "run", "shell", "--image=busybox", "--restart=Always", "--",
        "sh", "-c", "echo hello from the workshop sandbox; sleep 3600",
    )  # fmt: skip
    kubectl("wait", "--for=condition=Ready", "pod/shell", "--timeout=60s")
    logs = kubectl("logs", "shell")
    assert "hello from the workshop sandbox" in logs
    out = kubectl("exec", "shell", "--", "echo", "hello-from-exec")
    assert out.strip() == "hello-from-exec"


def test_rbac_forbids_a_service_account(kubectl: Kubectl, tmp_path) -> None:  # type: ignore[no-untyped-def]
    kubectl("create", "namespace", "rbac-lab")
    kubectl("create", "serviceaccount", "learner", "-n", "rbac-lab")
    kubectl("create", "role", "pod-reader", "--verb=get,list", "--resource=pods", "-n", "rbac-lab")
    kubectl(
        "create",
        "rolebinding",
        "learner-reads",
        "--role=pod-reader",
        "--serviceaccount=rbac-lab:learner",
        "-n",
        "rbac-lab",
    )
    token = kubectl("create", "token", "learner", "-n", "rbac-lab", "--duration=10m").strip()
    config = json.loads(kubectl("config", "view", "--raw", "-o", "json"))
    config["users"] = [{"name": "learner", "user": {"token": token}}]
    config["contexts"][0]["context"]["user"] = "learner"
    path = tmp_path / "learner.kubeconfig"
    path.write_text(json.dumps(config))
    learner = Kubectl(path)

    assert learner.run("get", "pods", "-n", "rbac-lab").returncode == 0
    denied = learner.run("get", "pods", "-n", "default", check=False)
    assert denied.returncode != 0
    assert "Forbidden" in denied.stderr
    assert (
        'User "system:serviceaccount:rbac-lab:learner" cannot list resource "pods"' in denied.stderr
    )
    assert learner("auth", "can-i", "delete", "pods", "-n", "rbac-lab", check=False).strip() == "no"


def test_the_official_python_client(sandbox) -> None:  # type: ignore[no-untyped-def]
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=str(sandbox.kubeconfig)))
    names = [n.metadata.name for n in api.list_node().items]
    assert len(names) == 3
    created = api.create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name="from-python"))
    )
    assert created.metadata.uid
    with pytest.raises(client.ApiException) as info:
        api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="from-python")))
    assert info.value.status == 409
