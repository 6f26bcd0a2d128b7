"""The class's attack matrix: learner A (alice) against learner B (bob) and the instructor.

Each row is an attack a learner of a class could try with their own kubeconfig, and what
stops it: RBAC (``forbidden``), Pod Security (``violates PodSecurity``), the class's
ValidatingAdmissionPolicies, a ResourceQuota or LimitRange, or, inside ``kubectl exec``,
kwok's jail. Every row runs and its refusal is asserted; the README's instructor section
shows the same table (``test_the_readme_shows_the_matrix``). Rows that still get through
are marked ``xfail(strict=True)`` with the reason: the day they are refused, the suite
says so.

One class (``t13``: alice and bob, lab 04) on the session's sandbox, for the module.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import Kubectl
from workshop.cli import cli
from workshop.cluster import Cluster
from workshop.course import reporting

pytestmark = pytest.mark.integration

CLASS = "t13"
URLS = "sandbox.workshop.dev/load-balancer-urls"
ROOT = Path(__file__).resolve().parents[2]
A_HOME, A_LAB = f"{CLASS}-alice", f"{CLASS}-alice-lab-04"
B_HOME, B_LAB = f"{CLASS}-bob", f"{CLASS}-bob-lab-04"
SA_A = f"system:serviceaccount:{A_HOME}:learner"
SA_B = f"system:serviceaccount:{B_HOME}:learner"

RBAC, PSA, RULES, QUOTA, LIMIT, JAIL = (
    "RBAC",
    "Pod Security",
    "class rule",
    "quota",
    "LimitRange",
    "exec jail",
)
SAYS = {  # what the refusal says, by what refuses it
    RBAC: "forbidden",
    PSA: "violates PodSecurity",
    RULES: "ValidatingAdmissionPolicy",
    QUOTA: "exceeded quota",
    LIMIT: "maximum cpu usage per Container",
}


def pod(name: str, **spec: Any) -> str:
    container = {"name": "c", "image": "nginx"} | spec.pop("container", {})
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name},
            "spec": {"containers": [container], **spec},
        }
    )


@dataclass(frozen=True)
class Attack:
    id: str
    what: str  # a line of the README's table
    stopped_by: str
    args: tuple[str, ...] = ()  # kubectl, as alice ({pod}: bob's pod)
    stdin: str | None = None
    open_because: str = ""  # still gets through: why (the row is a strict xfail)
    extra: dict[str, Any] = field(default_factory=dict)


CSR = json.dumps(
    {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": "alice-admin"},
        "spec": {
            "request": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K",
            "signerName": "kubernetes.io/kube-apiserver-client",
            "usages": ["client auth"],
        },
    }
)
PROGRESS = json.dumps(
    {
        "apiVersion": reporting.API_VERSION,
        "kind": reporting.KIND,
        "metadata": {
            "name": "bob-04-fake",
            "labels": {"workshop.dev/class": CLASS, "workshop.dev/learner": "bob"},
        },
        "spec": {"learner": "bob", "lab": "04-hello-world", "step": "deploy", "state": "passed"},
    }
)
OPEN_BINDING = json.dumps(
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "everyone"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": f"workshop-class:{CLASS}:learner",
        },
        "subjects": [
            {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Group",
                "name": "system:unauthenticated",
            }
        ],
    }
)
TOKEN_SECRET = json.dumps(
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": {
            "name": "forever",
            "annotations": {"kubernetes.io/service-account.name": "learner"},
        },
    }
)

ATTACKS = [
    # B's work
    Attack("secret", "read B's Secret", RBAC, ("get", "secret", "b-secret", "-n", B_LAB)),
    Attack("configmaps", "list B's ConfigMaps", RBAC, ("get", "configmaps", "-n", B_LAB)),
    Attack("pods", "list B's pods", RBAC, ("get", "pods", "-n", B_LAB)),
    Attack("logs", "read B's pod logs", RBAC, ("logs", "{pod}", "-n", B_LAB)),
    Attack("all-secrets", "list every Secret of the cluster", RBAC, ("get", "secrets", "-A")),
    Attack(
        "kube-system",
        "read the instructor's kube-system",
        RBAC,
        ("get", "pods", "-n", "kube-system"),
    ),
    # B's pods
    Attack("exec", "exec into B's pod", RBAC, ("exec", "{pod}", "-n", B_LAB, "--", "id")),
    Attack("attach", "attach to B's pod", RBAC, ("attach", "{pod}", "-n", B_LAB)),
    Attack(
        "port-forward",
        "port-forward to B's pod",
        RBAC,
        ("port-forward", "{pod}", "0:80", "-n", B_LAB),
    ),
    # rights
    Attack(
        "clusterrole",
        "create a ClusterRole",
        RBAC,
        ("create", "clusterrole", "mine", "--verb=get", "--resource=pods"),
    ),
    Attack(
        "bind-admin",
        "bind cluster-admin in one's own namespace",
        RBAC,
        (
            "create",
            "rolebinding",
            "me-admin",
            "--clusterrole=cluster-admin",
            f"--serviceaccount={A_HOME}:learner",
            "-n",
            A_LAB,
        ),
    ),
    Attack(
        "wider-role",
        "a Role granting more than one holds",
        RBAC,
        ("create", "role", "all", "--verb=*", "--resource=*", "-n", A_LAB),
    ),
    Attack(
        "impersonate",
        "act as B (impersonation)",
        RBAC,
        ("get", "pods", "-n", B_LAB, f"--as={SA_B}"),
    ),
    Attack(
        "b-token",
        "a token for B's ServiceAccount",
        RBAC,
        ("create", "token", "learner", "-n", B_HOME),
    ),
    Attack(
        "long-token",
        "a token outliving the class (--hours)",
        RULES,
        ("create", "token", "learner", "-n", A_HOME, "--duration=240h"),
    ),
    Attack(
        "token-secret",
        "a never-expiring token Secret",
        RULES,
        ("create", "-n", A_HOME, "-f", "-"),
        stdin=TOKEN_SECRET,
    ),
    Attack("csr", "a client certificate (CSR)", RBAC, ("create", "-f", "-"), stdin=CSR),
    Attack(
        "anonymous",
        "open one's namespace to anonymous requests",
        RULES,
        ("create", "-n", A_LAB, "-f", "-"),
        stdin=OPEN_BINDING,
    ),
    Attack(
        "fake-progress",
        "write B's progress to the board",
        RULES,
        ("create", "-n", A_HOME, "-f", "-"),
        stdin=PROGRESS,
    ),
    Attack("namespace", "create a namespace", RBAC, ("create", "namespace", "alice-extra")),
    Attack("node", "label a node", RBAC, ("label", "nodes", "--all", "pwned=1")),
    Attack(
        "own-quota",
        "lift one's own quota",
        RBAC,
        (
            "patch",
            "resourcequota",
            "learner",
            "-n",
            A_LAB,
            "--type=merge",
            "-p",
            '{"spec":{"hard":{"pods":"1000"}}}',
        ),
    ),
    # the node, through a pod
    Attack(
        "privileged",
        "a privileged pod",
        PSA,
        ("create", "-n", A_LAB, "-f", "-"),
        stdin=pod("priv", container={"securityContext": {"privileged": True}}),
    ),
    Attack(
        "hostpath",
        "a hostPath volume",
        PSA,
        ("create", "-n", A_LAB, "-f", "-"),
        stdin=pod("hp", volumes=[{"name": "root", "hostPath": {"path": "/"}}]),
    ),
    Attack(
        "hostnetwork",
        "a pod on the host's network",
        PSA,
        ("create", "-n", A_LAB, "-f", "-"),
        stdin=pod("hn", hostNetwork=True),
    ),
    Attack(
        "hostpid",
        "a pod in the host's PID namespace",
        PSA,
        ("create", "-n", A_LAB, "-f", "-"),
        stdin=pod("hpid", hostPID=True),
    ),
    # limits
    Attack(
        "quota",
        "ask more than one's quota",
        QUOTA,
        ("create", "-n", A_LAB, "-f", "-"),
        stdin=pod("greedy", container={"resources": {"limits": {"cpu": "1500m"}}}),
    ),
    Attack(
        "limitrange",
        "a container bigger than the LimitRange allows",
        LIMIT,
        ("create", "-n", A_LAB, "-f", "-"),
        stdin=pod("huge", container={"resources": {"limits": {"cpu": "4"}}}),
    ),
]

# Inside `kubectl exec` on one's own pod (the sandbox run as root, with its jail): the
# shell command, and what its output must show for the attack to have failed.
EXEC_ATTACKS = [
    Attack(
        "exec-env",
        "read the instructor's environment from exec",
        JAIL,
        ("env",),
        extra={"absent": ("OVH_", "KUBECONFIG", "JUPYTER", "WORKSHOP_HOME", "PYTEST")},
    ),
    Attack(
        "exec-ps",
        "see or kill the machine's processes from exec",
        JAIL,
        ("ps", "-e", "-o", "comm="),
        extra={"only": {"bwrap", "kwok", "ps", "sleep"}},  # sleep: B's, the row below
    ),
    Attack(
        "exec-b-processes",
        "see or signal B's exec processes",
        JAIL,
        ("sh", "-c", "pgrep -l sleep; pkill -0 sleep && echo signalled"),
        extra={"absent": ("sleep", "signalled")},
        open_because="every learner's exec runs as the same user, nobody",
    ),
    Attack(
        "exec-disk",
        "fill the disk from exec",
        JAIL,
        ("sh", "-c", "dd if=/dev/zero of=fill bs=1M count=400 2>&1; rm -f fill"),
        extra={"contains": "No space left on device"},
    ),
    Attack(
        "exec-forkbomb",
        "a fork bomb from exec",
        JAIL,
        ("sh", "-c", "grep 'Max processes' /proc/self/limits | tr -s ' '"),
        extra={"contains": "Max processes 256 256"},
    ),
    Attack(
        "exec-kubelet",
        "reach kwok's kubelet port from exec (B's logs, exec)",
        JAIL,
        (
            "python3",
            "-c",
            "import urllib.request as u; "
            "print(u.urlopen('http://127.0.0.1:{kwok}/healthz', timeout=3).read())",
        ),
        extra={"absent": ("b'ok'",)},
    ),
    Attack(
        "exec-loopback",
        "reach the machine's listeners from exec (etcd, B's load balancers)",
        JAIL,
        (
            "python3",
            "-c",
            "import socket\nfor port in ({etcd}, {lb}):\n    try:\n"
            "        socket.create_connection(('127.0.0.1', port), 3); print('reached', port)\n"
            "    except OSError:\n        pass",
        ),
        extra={"absent": ("reached",)},
    ),
]


# A LoadBalancer Service of a learner listens on the instructor's machine: on which port?
LOAD_BALANCER = Attack(
    "lb-port",
    "a LoadBalancer on the instructor's ports (443, JupyterLab's 8888)",
    "load balancer add-on",
)


def everything() -> list[Attack]:
    return [*ATTACKS, *EXEC_ATTACKS, LOAD_BALANCER]


@pytest.fixture(scope="module")
def room(
    sandbox: Any, cluster: Cluster, kubectl: Kubectl, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The class, B's pod, Secret and ConfigMap, and A's own pod (for the exec rows)."""
    out = tmp_path_factory.mktemp("class-attacks")
    (out / "roster.csv").write_text("name\nAlice\nBob\n")
    result = CliRunner().invoke(
        cli,
        ["class", "create", CLASS, "--roster", str(out / "roster.csv"), "--labs", "04",
         "--hours", "1", "--out", str(out / "files"), "--overcommit",
         "--kubeconfig", str(sandbox.kubeconfig)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    alice = Kubectl(out / "files" / "alice.kubeconfig")
    bob = Kubectl(out / "files" / "bob.kubeconfig")
    pods = {}
    for who, ns in ((bob, B_LAB), (alice, A_LAB)):
        who("create", "deployment", "web", "--image=nginx", "-n", ns)
        who("rollout", "status", "deployment/web", "-n", ns, "--timeout=120s")
        pods[ns] = who("get", "pods", "-n", ns, "-o", "jsonpath={.items[0].metadata.name}")
    bob("create", "secret", "generic", "b-secret", "--from-literal=password=hunter2", "-n", B_LAB)
    bob("create", "configmap", "b-config", "--from-literal=k=v", "-n", B_LAB)
    if sandbox.status().exec_jailed:  # B leaves a process running, as a learner may
        behind = "setsid sleep 600 </dev/null >/dev/null 2>&1 &"
        bob("exec", pods[B_LAB], "-n", B_LAB, "--", "sh", "-c", behind)
    bob("expose", "deployment", "web", "--type=LoadBalancer", "--port=80", "-n", B_LAB)
    ports = json.loads(Path(sandbox.layout.state_file).read_text())["ports"]
    yield {
        "alice": alice,
        "b_pod": pods[B_LAB],
        "a_pod": pods[A_LAB],
        "ports": {"kwok": ports["kwok"], "etcd": ports["etcd"], "lb": listening_port(bob)},
    }
    gone = CliRunner().invoke(
        cli,
        ["class", "delete", CLASS, "--yes", "--kubeconfig", str(sandbox.kubeconfig)],
        catch_exceptions=False,
    )
    assert gone.exit_code == 0, gone.output


def listening_port(bob: Kubectl) -> int:
    """The port B's LoadBalancer Service listens on, on the instructor's machine."""
    deadline = time.monotonic() + 60
    while True:
        service = json.loads(bob("get", "service", "web", "-n", B_LAB, "-o", "json"))
        urls = (service["metadata"].get("annotations") or {}).get(URLS, "")
        if urls:
            return int(urls.split()[0].rsplit(":", 1)[1])
        assert time.monotonic() < deadline, "B's load balancer never listened"
        time.sleep(0.5)


def _open(attack: Attack) -> Any:
    if not attack.open_because:
        return attack.id
    return pytest.param(attack.id, marks=pytest.mark.xfail(strict=True, reason=attack.open_because))


@pytest.mark.parametrize("attack_id", [_open(a) for a in ATTACKS])
def test_the_attack_is_refused(room: dict[str, Any], attack_id: str) -> None:
    attack = next(a for a in ATTACKS if a.id == attack_id)
    args = [arg.replace("{pod}", room["b_pod"]) for arg in attack.args]
    result = room["alice"].run(*args, input=attack.stdin, check=False, timeout=30)
    assert result.returncode != 0, f"{attack.what}: it went through\n{result.stdout}"
    assert SAYS[attack.stopped_by] in result.stderr, f"{attack.what}: {result.stderr}"


@pytest.mark.parametrize("attack_id", [_open(a) for a in EXEC_ATTACKS])
def test_the_attack_from_exec_fails(room: dict[str, Any], sandbox: Any, attack_id: str) -> None:
    if os.geteuid() != 0:  # no jail for an ordinary user: the class gives no exec at all
        pytest.skip("no exec for learners here: the class leaves pods/exec out of their role")
    assert sandbox.status().exec_jailed, "as root, with make setup's bubblewrap and nftables"
    attack = next(a for a in EXEC_ATTACKS if a.id == attack_id)
    command = [arg.format(**room["ports"]) if "{" in arg else arg for arg in attack.args]
    result = room["alice"].run(
        "exec", room["a_pod"], "-n", A_LAB, "--", *command, check=False, timeout=60
    )
    seen = result.stdout.strip()
    for text in attack.extra.get("absent", ()):
        assert text not in seen, f"{attack.what}: {text!r} in\n{seen}"
    if "only" in attack.extra:
        assert set(seen.split()) <= attack.extra["only"], f"{attack.what}: {seen}"
    if "contains" in attack.extra:
        assert attack.extra["contains"] in seen, f"{attack.what}: {seen}"


def test_a_learners_load_balancer_keeps_off_the_instructors_ports(room: dict[str, Any]) -> None:
    alice = room["alice"]
    alice("create", "service", "loadbalancer", "https", "--tcp=443:80", "-n", A_LAB)
    deadline = time.monotonic() + 60
    while True:
        service = json.loads(alice("get", "service", "https", "-n", A_LAB, "-o", "json"))
        urls = (service["metadata"].get("annotations") or {}).get(URLS, "")
        if urls:
            break
        assert time.monotonic() < deadline, f"{LOAD_BALANCER.what}: no load balancer"
        time.sleep(0.5)
    node_port = service["spec"]["ports"][0]["nodePort"]
    assert urls == f"http://127.0.0.1:{node_port}", f"{LOAD_BALANCER.what}: {urls}"
    assert 30000 <= node_port <= 32767


def test_the_readme_shows_the_matrix() -> None:
    """Each row, with what stops it (or why it is still open), in the README's table."""
    readme = (ROOT / "README.md").read_text()
    for attack in everything():
        stopped = f"still open: {attack.open_because}" if attack.open_because else attack.stopped_by
        assert f"| {attack.what} | {stopped} |" in readme, attack.what
