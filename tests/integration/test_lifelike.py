"""The sandbox behaves like a managed cluster: load balancers, apps that answer, logs,
port-forward, volumes, image pulls and crashes, node pools and the autoscaler."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Kubectl, kubectl_binary
from workshop.sandbox import Sandbox

pytestmark = pytest.mark.integration

URLS = "sandbox.workshop.dev/load-balancer-urls"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy


def wait_for(predicate: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def get(url: str) -> tuple[int, str, dict[str, str]]:
    """One request on a new connection (a load balancer spreads connections)."""
    request = urllib.request.Request(url, headers={"Connection": "close"})
    try:
        with OPENER.open(request, timeout=10) as answer:
            return answer.status, answer.read().decode(), dict(answer.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def obj(kubectl: Kubectl, *args: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(kubectl("get", *args, "-o", "json"))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PortForward:
    """``kubectl port-forward`` in the background, stopped when the block ends."""

    def __init__(self, kubectl: Kubectl, target: str, remote: int, namespace: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                kubectl_binary(),
                f"--kubeconfig={kubectl.kubeconfig}",
                "port-forward",
                target,
                f"{self.port}:{remote}",
                "-n",
                namespace,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
        )

    def __enter__(self) -> int:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "Forwarding from" not in line:
            self.process.kill()
            pytest.fail(f"kubectl port-forward did not start: {line}")
        return self.port

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)
        if self.process.stdout:
            self.process.stdout.close()


def redis(port: int, *words: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"*%d\r\n" % len(words))
        for word in words:
            s.sendall(b"$%d\r\n%s\r\n" % (len(word.encode()), word.encode()))
        return s.recv(4096)


def pods(kubectl: Kubectl, ns: str, selector: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = obj(kubectl, "pods", "-n", ns, "-l", selector)["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


# -- load balancers, logs, port-forward --------------------------------------------------


@pytest.fixture(scope="module")
def hello(kubectl: Kubectl) -> Iterator[str]:
    """``hello`` (3 replicas) exposed with a LoadBalancer Service, in namespace lb-lab."""
    ns = "lb-lab"
    kubectl("create", "namespace", ns)
    kubectl("create", "deployment", "hello", "--image=ovhplatform/hello", "--replicas=3", "-n", ns)
    kubectl("rollout", "status", "deployment/hello", "-n", ns, "--timeout=60s")
    kubectl("expose", "deployment", "hello", "--type=LoadBalancer", "--port=80", "-n", ns)
    yield ns
    kubectl("delete", "namespace", ns, "--wait=false")


def lb_url(kubectl: Kubectl, ns: str, name: str) -> str:
    def ready() -> str | None:
        svc = obj(kubectl, "service", name, "-n", ns)
        ingress = svc["status"].get("loadBalancer", {}).get("ingress") or []
        urls = (svc["metadata"].get("annotations") or {}).get(URLS)
        return urls.split()[0] if ingress and urls else None

    url: str = wait_for(ready, timeout=15, what="the load balancer's address")
    return url


def test_a_load_balancer_serves_the_hello_page_from_every_pod(kubectl: Kubectl, hello: str) -> None:
    url = lb_url(kubectl, hello, "hello")  # waits for the address: the add-on sets it soon after
    svc = obj(kubectl, "service", "hello", "-n", hello)
    assert svc["status"]["loadBalancer"]["ingress"][0]["ip"] == "127.0.0.1"
    names = {p["metadata"]["name"] for p in pods(kubectl, hello, "app=hello")}
    served = set()
    for _ in range(9):
        status, page, headers = get(url)
        assert status == 200 and "Hello World!" in page
        named = next(n for n in names if n in page)  # the page names the pod that served
        assert headers["X-Sandbox-Pod"] == named
        served.add(named)
    assert len(served) > 1, served
    # kubectl get svc shows it like a cloud load balancer
    assert "127.0.0.1" in kubectl("get", "service", "hello", "-n", hello)


def test_the_pod_that_served_logs_the_request(kubectl: Kubectl, hello: str) -> None:
    url = lb_url(kubectl, hello, "hello")
    status, _, headers = get(url + "/?from=test-logs")
    assert status == 200
    pod = headers["X-Sandbox-Pod"]
    logs = kubectl("logs", pod, "-n", hello)
    assert "nginx/1.27.3" in logs  # its start-up lines
    assert '"GET /?from=test-logs HTTP/1.1" 200' in logs
    last = kubectl("logs", pod, "-n", hello, "--tail=1")
    assert last.count("\n") == 1 and "from=test-logs" in last


def test_workshop_sandbox_urls_lists_the_load_balancer(
    sandbox: Sandbox, kubectl: Kubectl, hello: str
) -> None:
    url = lb_url(kubectl, hello, "hello")
    assert (hello, "hello", [url]) in sandbox.urls()
    env = {**os.environ, "WORKSHOP_HOME": str(sandbox.home)}
    shown = subprocess.run(
        [sys.executable, "-m", "workshop.cli", "sandbox", "urls"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert url in shown.stdout and "hello" in shown.stdout


def test_port_forward_to_a_pod_and_to_a_service(kubectl: Kubectl, hello: str) -> None:
    pod = pods(kubectl, hello, "app=hello")[0]["metadata"]["name"]
    with PortForward(kubectl, f"pod/{pod}", 80, hello) as port:
        status, page, _ = get(f"http://127.0.0.1:{port}/?from=port-forward")
    assert status == 200 and pod in page
    assert "127.0.0.1 - - [" in kubectl("logs", pod, "-n", hello)
    with PortForward(kubectl, "service/hello", 80, hello) as port:
        status, page, headers = get(f"http://127.0.0.1:{port}/")
    assert status == 200 and headers["X-Sandbox-Pod"] in page


def test_two_load_balancers_on_port_80_get_their_own_addresses(
    kubectl: Kubectl, hello: str
) -> None:
    ns = "lb-second"
    kubectl("create", "namespace", ns)
    kubectl("create", "deployment", "web", "--image=nginx", "-n", ns)
    kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    kubectl("expose", "deployment", "web", "--type=LoadBalancer", "--port=80", "-n", ns)
    first, second = lb_url(kubectl, hello, "hello"), lb_url(kubectl, ns, "web")
    assert first != second
    assert "Hello World!" in get(first)[1]
    assert "Welcome to nginx!" in get(second)[1]
    kubectl("delete", "namespace", ns, "--wait=false")


def test_no_ready_endpoint_means_503(kubectl: Kubectl) -> None:
    ns = "lb-empty"
    kubectl("create", "namespace", ns)
    kubectl("create", "deployment", "web", "--image=nginx", "--replicas=0", "-n", ns)
    kubectl(
        "expose",
        "deployment",
        "web",
        "--type=LoadBalancer",
        "--port=8080",
        "--target-port=80",
        "-n",
        ns,
    )
    url = lb_url(kubectl, ns, "web")
    status, page, _ = get(url)
    assert status == 503 and "No server is available" in page
    kubectl("scale", "deployment/web", "--replicas=1", "-n", ns)
    kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s")
    status, page, _ = wait_for(lambda: (r := get(url))[0] == 200 and r, what="a ready endpoint")
    assert "Welcome to nginx!" in page
    kubectl("delete", "service", "web", "-n", ns)  # waits for the load balancer's finalizer
    with pytest.raises(urllib.error.URLError):  # its listener is closed: refused
        OPENER.open(url, timeout=2)


def test_logs_of_one_container_followed(kubectl: Kubectl) -> None:
    manifest = """
apiVersion: v1
kind: Pod
metadata: {name: chatty, namespace: default}
spec:
  containers:
  - {name: web, image: nginx}
  - name: ticker
    image: busybox
    command: [sh, -c, "echo ticker up on $HOSTNAME; while true; do echo tick; sleep 1; done"]
"""
    kubectl("apply", "-f", "-", input=manifest)
    kubectl("wait", "--for=condition=Ready", "pod/chatty", "--timeout=60s")
    assert "ticker up on chatty" in kubectl("logs", "chatty", "-c", "ticker")
    assert "nginx" in kubectl("logs", "chatty", "-c", "web")
    follow = subprocess.Popen(
        [
            kubectl_binary(),
            f"--kubeconfig={kubectl.kubeconfig}",
            "logs",
            "-f",
            "chatty",
            "-c",
            "ticker",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_PROXY": "127.0.0.1,localhost"},
    )
    assert follow.stdout is not None
    lines = [follow.stdout.readline() for _ in range(4)]  # blocks until they come
    follow.terminate()
    follow.wait(10)
    follow.stdout.close()
    assert sum("tick" in line for line in lines) >= 3


# -- volumes ------------------------------------------------------------------------------

STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: storage-lab}
spec:
  serviceName: cache
  replicas: 1
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec:
      containers:
      - name: redis
        image: redis:7.4
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
"""


def test_a_statefulset_pod_comes_back_to_its_volume_and_data(
    sandbox: Sandbox, kubectl: Kubectl
) -> None:
    ns = "storage-lab"
    kubectl("create", "namespace", ns)
    kubectl("apply", "-f", "-", input=STATEFULSET)
    kubectl("rollout", "status", "statefulset/cache", "-n", ns, "--timeout=60s")
    claim = obj(kubectl, "pvc", "data-cache-0", "-n", ns)
    assert claim["status"]["phase"] == "Bound"
    assert claim["spec"]["storageClassName"] == "csi-cinder-high-speed"
    volume = claim["spec"]["volumeName"]
    assert obj(kubectl, "pv", volume)["spec"]["csi"]["driver"] == "cinder.csi.openstack.org"
    with PortForward(kubectl, "pod/cache-0", 6379, ns) as port:
        assert redis(port, "SET", "greeting", "kept on a volume") == b"+OK\r\n"
    first = obj(kubectl, "pod", "cache-0", "-n", ns)["metadata"]["uid"]
    kubectl("delete", "pod", "cache-0", "-n", ns)
    wait_for(
        lambda: obj(kubectl, "pod", "cache-0", "-n", ns)["metadata"]["uid"] != first,
        what="a new cache-0",
    )
    kubectl("wait", "--for=condition=Ready", "pod/cache-0", "-n", ns, "--timeout=60s")
    assert obj(kubectl, "pvc", "data-cache-0", "-n", ns)["spec"]["volumeName"] == volume
    with PortForward(kubectl, "pod/cache-0", 6379, ns) as port:
        assert redis(port, "GET", "greeting") == b"$16\r\nkept on a volume\r\n"
    assert (sandbox.home / "sandbox" / "volumes" / volume / "dump.json").exists()


def test_wait_for_first_consumer_and_reclaim_delete(sandbox: Sandbox, kubectl: Kubectl) -> None:
    manifest = """
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: cinder-wffc}
provisioner: cinder.csi.openstack.org
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: later, namespace: default}
spec:
  storageClassName: cinder-wffc
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 2Gi}}
"""
    kubectl("apply", "-f", "-", input=manifest)
    # the PV controller has seen the claim, and decided to wait: no consumer yet
    wait_for(
        lambda: any(e.startswith("WaitForFirstConsumer: ") for e in events(kubectl, "later")),
        what="the WaitForFirstConsumer event",
    )
    claim = obj(kubectl, "pvc", "later")
    assert claim["status"]["phase"] == "Pending"
    assert "volume.kubernetes.io/selected-node" not in claim["metadata"].get("annotations", {})
    consumer = """
apiVersion: v1
kind: Pod
metadata: {name: consumer, namespace: default}
spec:
  containers:
  - name: db
    image: postgres:17
    volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: later}}]
"""
    kubectl("apply", "-f", "-", input=consumer)
    kubectl("wait", "--for=condition=Ready", "pod/consumer", "--timeout=60s")
    claim = obj(kubectl, "pvc", "later")
    assert claim["status"]["phase"] == "Bound" and claim["status"]["capacity"]["storage"] == "2Gi"
    volume = claim["spec"]["volumeName"]
    folder = sandbox.home / "sandbox" / "volumes" / volume
    logs = kubectl("logs", "consumer")
    assert "PostgreSQL init process complete" in logs  # first start: an empty volume
    assert (folder / "PG_VERSION").exists()
    kubectl("delete", "pod", "consumer")
    kubectl("delete", "pvc", "later")
    wait_for(
        lambda: kubectl.run("get", "pv", volume, check=False).returncode != 0,
        what="the released volume to be deleted",
    )
    assert not folder.exists()


# -- image pulls and failures -------------------------------------------------------------


def container_state(kubectl: Kubectl, pod: str, ns: str = "default") -> dict[str, Any]:
    statuses = obj(kubectl, "pod", pod, "-n", ns)["status"].get("containerStatuses") or [{}]
    state: dict[str, Any] = statuses[0]
    return state


def events(kubectl: Kubectl, pod: str, ns: str = "default") -> list[str]:
    selector = f"involvedObject.name={pod}"
    found = obj(kubectl, "events", "-n", ns, "--field-selector", selector)["items"]
    return [f"{e['reason']}: {e['message']}" for e in found]


def test_an_unknown_image_ends_in_image_pull_back_off(kubectl: Kubectl) -> None:
    kubectl("run", "typo", "--image=nginx:doesnotexist")
    wait_for(
        lambda: (
            container_state(kubectl, "typo").get("state", {}).get("waiting", {}).get("reason")
            == "ImagePullBackOff"
        ),
        what="ImagePullBackOff",
    )
    assert obj(kubectl, "pod", "typo")["status"]["phase"] == "Pending"
    # events are written beside the status, as the kubelet does: wait for the last one
    said = wait_for(
        lambda: (
            e
            if 'BackOff: Back-off pulling image "nginx:doesnotexist"'
            in (e := events(kubectl, "typo"))
            else None
        ),
        what="the BackOff event",
    )
    assert any(e.startswith('Failed: Failed to pull image "nginx:doesnotexist"') for e in said)
    assert "Failed: Error: ErrImagePull" in said
    # kubectl's STATUS column follows the retry cycle, as with a real kubelet: each new
    # pull attempt shows ErrImagePull again before the next back-off
    shown = kubectl("get", "pod", "typo")
    assert "ImagePullBackOff" in shown or "ErrImagePull" in shown


def test_a_crashing_container_loops_with_a_growing_back_off(kubectl: Kubectl, ns: str) -> None:
    created = json.loads(
        kubectl(
            "run",
            "crasher",
            "-n",
            ns,
            "--image=busybox",
            "-o",
            "json",
            "--",
            "sh",
            "-c",
            "echo about to fail; exit 1",
        )
    )
    since = created["metadata"]["resourceVersion"]
    back_offs: dict[int, str] = {}  # restartCount -> the back-off its CrashLoopBackOff said
    path = f"/api/v1/namespaces/{ns}/pods?fieldSelector=metadata.name%3Dcrasher"
    path += f"&resourceVersion={since}"
    with kubectl.watch(path) as changes:
        for change in changes:
            if change["type"] == "ERROR":
                pytest.fail(f"the watch failed: {change['object'].get('message')}")
            status = (change["object"].get("status", {}).get("containerStatuses") or [{}])[0]
            waiting = status.get("state", {}).get("waiting", {})
            if waiting.get("reason") == "CrashLoopBackOff":
                back_offs[status["restartCount"]] = waiting["message"].split()[1]
            if len(back_offs) >= 5:
                break
    # the instant profile's back-off: 1s, doubling each time, up to 8s
    assert back_offs == {1: "1s", 2: "2s", 3: "4s", 4: "8s", 5: "8s"}, back_offs
    status = container_state(kubectl, "crasher", ns)
    assert status["lastState"]["terminated"]["exitCode"] == 1
    assert status["lastState"]["terminated"]["reason"] == "Error"
    assert "about to fail" in kubectl("logs", "crasher", "-n", ns, "--previous")
    # events are written beside the status, as the kubelet does: wait for them
    wait_for(
        lambda: any(
            e.startswith("BackOff: Back-off restarting failed container")
            for e in events(kubectl, "crasher", ns)
        ),
        what="the BackOff event",
    )


def test_a_memory_limit_too_low_is_oom_killed(kubectl: Kubectl) -> None:
    overrides = {
        "spec": {
            "containers": [
                {"name": "tight", "image": "nginx", "resources": {"limits": {"memory": "4Mi"}}}
            ]
        }
    }
    kubectl("run", "tight", "--image=nginx", f"--overrides={json.dumps(overrides)}")
    wait_for(
        lambda: (
            container_state(kubectl, "tight")
            .get("lastState", {})
            .get("terminated", {})
            .get("reason")
            == "OOMKilled"
        ),
        what="OOMKilled",
    )
    assert container_state(kubectl, "tight")["lastState"]["terminated"]["exitCode"] == 137


def test_a_job_runs_to_completion_and_logs_its_output(kubectl: Kubectl) -> None:
    kubectl("create", "job", "hello-job", "--image=busybox", "--", "echo", "job done")
    kubectl("wait", "--for=condition=Complete", "job/hello-job", "--timeout=60s")
    assert kubectl("logs", "job/hello-job").strip() == "job done"


# -- node pools and the autoscaler (a sandbox of their own) --------------------------------


@pytest.fixture(scope="module")
def scaling_box(tmp_path_factory: pytest.TempPathFactory, sandbox: Sandbox) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path_factory.mktemp("autoscale-home"), nodes=1, profile="instant")
    box.up()
    yield box
    box.down()


POOL = """
apiVersion: kube.cloud.ovh.com/v1alpha1
kind: NodePool
metadata: {name: burst}
spec:
  flavor: b3-8
  desiredNodes: 1
  minNodes: 1
  maxNodes: 6
  autoscale: true
  autoscaling: {scaleDownUnneededTimeSeconds: 2}
  template:
    metadata: {labels: {workload: burst}}
"""
BIG = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: default}
spec:
  replicas: 4
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec:
      nodeSelector: {workload: burst}
      containers:
      - {name: web, image: nginx, resources: {requests: {cpu: "1", memory: 256Mi}}}
"""


def test_the_default_pool_and_its_nodes(scaling_box: Sandbox) -> None:
    kubectl = Kubectl(scaling_box.kubeconfig)
    pool = obj(kubectl, "nodepool", "nodepool")
    assert pool["spec"]["flavor"] == "b3-8" and pool["spec"]["desiredNodes"] == 1
    assert pool["status"]["currentNodes"] == pool["status"]["availableNodes"] == 1
    table = kubectl("get", "nodepools")
    assert "AUTOSCALED" in table and "DESIRED" in table
    refused = kubectl.run(
        "patch",
        "nodepool",
        "nodepool",
        "--type=merge",
        "-p",
        '{"spec": {"flavor": "c3-4"}}',
        check=False,
    )
    assert refused.returncode != 0 and "flavor cannot be changed" in refused.stderr


def test_a_deployment_that_does_not_fit_scales_the_pool_up_then_down(scaling_box: Sandbox) -> None:
    kubectl = Kubectl(scaling_box.kubeconfig)
    kubectl("apply", "-f", "-", input=POOL)
    wait_for(
        lambda: len(obj(kubectl, "nodes", "-l", "nodepool=burst")["items"]) == 1,
        what="the pool's node",
    )
    kubectl("apply", "-f", "-", input=BIG)  # 4 x 1 CPU: a b3-8 node takes one
    kubectl("rollout", "status", "deployment/big", "--timeout=120s")
    assert obj(kubectl, "nodepool", "burst")["spec"]["desiredNodes"] == 4
    assert len(obj(kubectl, "nodes", "-l", "nodepool=burst")["items"]) == 4
    # node-group events go where upstream's go: on kube-system/cluster-autoscaler-status,
    # which holds the autoscaler's status (the pool's target and bounds)
    group_events = events(kubectl, "cluster-autoscaler-status", "kube-system")
    assert any(
        e.startswith("ScaledUpGroup: Scale-up: setting group burst size to") for e in group_events
    )
    status = obj(kubectl, "configmap", "cluster-autoscaler-status", "-n", "kube-system")
    groups = {g["name"]: g for g in yaml.safe_load(status["data"]["status"])["nodeGroups"]}
    assert groups["burst"]["health"]["cloudProviderTarget"] == 4
    pod_events = [
        e
        for p in pods(kubectl, "default", "app=big")
        for e in events(kubectl, p["metadata"]["name"])
    ]
    assert any(
        e.startswith("TriggeredScaleUp: pod triggered scale-up: [{burst 1->") for e in pod_events
    )

    kubectl("scale", "deployment/big", "--replicas=1")
    wait_for(
        lambda: len(obj(kubectl, "nodes", "-l", "nodepool=burst")["items"]) == 1,
        timeout=120,
        what="the autoscaler to remove the idle nodes",
    )
    assert obj(kubectl, "nodepool", "burst")["spec"]["desiredNodes"] == 1  # minNodes
    group_events = events(kubectl, "cluster-autoscaler-status", "kube-system")
    assert any(e.startswith(("ScaleDown: ", "ScaleDownEmpty: ")) for e in group_events)
    assert pods(kubectl, "default", "app=big")[0]["status"]["phase"] == "Running"


def test_pods_that_fit_no_pool_say_why(scaling_box: Sandbox) -> None:
    kubectl = Kubectl(scaling_box.kubeconfig)
    overrides = {
        "spec": {
            "nodeSelector": {"workload": "burst"},
            "containers": [
                {"name": "huge", "image": "nginx", "resources": {"requests": {"cpu": "16"}}}
            ],
        }
    }
    kubectl("run", "huge", "--image=nginx", f"--overrides={json.dumps(overrides)}")
    said = wait_for(
        lambda: [e for e in events(kubectl, "huge") if e.startswith("NotTriggerScaleUp")],
        what="the autoscaler's refusal",
    )
    assert "Insufficient cpu" in said[0]
    assert obj(kubectl, "nodepool", "burst")["spec"]["desiredNodes"] == 1


def test_resizing_the_default_pool_with_up(scaling_box: Sandbox) -> None:
    Sandbox(scaling_box.home, nodes=2).up()
    kubectl = Kubectl(scaling_box.kubeconfig)
    assert len(obj(kubectl, "nodes", "-l", "nodepool=nodepool")["items"]) == 2
    assert obj(kubectl, "nodepool", "nodepool")["spec"]["desiredNodes"] == 2


def test_the_addons_answer_to_their_own_identity(scaling_box: Sandbox) -> None:
    kubectl = Kubectl(scaling_box.kubeconfig)
    who = "--as=workshop:sandbox-addons"
    assert kubectl("auth", "can-i", "patch", "pods", who).strip() == "yes"
    assert (
        kubectl.run("auth", "can-i", "delete", "deployments", who, check=False).stdout.strip()
        == "no"
    )
    assert Path(scaling_box.log_file("addons")).read_text().count("running nodepools") >= 1
