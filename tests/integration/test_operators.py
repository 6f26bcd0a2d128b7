"""Lab 11's reference operator, in both forms (plain client, kopf), against the sandbox.

One scenario per form, in its own namespace: a KeyValueStore gets its children with owner
references and a status; a deleted child comes back; scaling through the scale
subresource moves the StatefulSet; a new version rolls out; a Backup gets a Job; the
autopilot scales on the load signal; a restarted operator catches up with what changed
while it was down; deleting the store runs the finalizer's cleanup.
"""

from __future__ import annotations

import gc
import importlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import Kubectl
from workshop import course
from workshop.cluster import Cluster, connect

pytestmark = pytest.mark.integration

LAB = course.find_lab("11")
solution: Any = course.load_module(LAB, "solution")
kopf_form: Any = importlib.import_module(f"{solution.__name__}.kopf_operator")
GROUP = "db.workshop.dev/v1"
T = TypeVar("T")


def _finished_crds() -> Path:
    """The CRDs as the learner finishes them: the file the solution of the step
    printer-column applies (the starting manifests/crds.yaml plus the Phase column)."""
    (step,) = [s for s in LAB.steps if s.id == "printer-column"]
    (applied,) = [a.apply for a in step.solution if a.apply is not None]
    return LAB.dir / applied


CRDS = _finished_crds()


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 90.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def cluster(sandbox: Any, kubectl: Kubectl) -> Iterator[Cluster]:
    solution.stop_operators()  # those lab 11's solutions started (tests/integration/test_labs.py)
    connected = connect(sandbox.context, kubeconfig=sandbox.kubeconfig)
    # the CRDs as they are once the learner has added the Phase column (step printer-column)
    kubectl("apply", "-f", str(CRDS))
    kubectl("wait", "--for=condition=Established", "crd/keyvaluestores.db.workshop.dev")
    kubectl("wait", "--for=condition=Established", "crd/backups.db.workshop.dev")
    yield connected
    # leave the cluster as lab 11 starts: without its CRDs
    kubectl("delete", "-f", str(CRDS), "--ignore-not-found", "--wait=false")
    connected.close()


def start(form: str, cluster: Cluster, namespace: str) -> Any:
    if form == "plain":
        return solution.plain.operator(cluster.api_client, namespace, resync=5.0).start()
    return kopf_form.operator(cluster.api_client, namespace).start()


def events(cluster: Cluster, namespace: str, name: str, reason: str) -> list[dict[str, Any]]:
    return [
        e
        for e in cluster.api.list("v1", "Event", namespace=namespace)
        if e["involvedObject"]["name"] == name and e["reason"] == reason
    ]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("form", ["plain", "kopf"])
def test_the_operator_runs_a_key_value_store_from_birth_to_cleanup(
    cluster: Cluster, kubectl: Kubectl, form: str
) -> None:
    ns = f"op-{form}"
    api = cluster.api
    kubectl("create", "namespace", ns)
    operator = start(form, cluster, ns)
    try:
        # CR -> children, owned, and a status that says which generation it describes
        kubectl("apply", "-n", ns, "-f", str(LAB.dir / "manifests" / "demo.yaml"))
        store = wait_for(
            "a Ready store",
            lambda: (
                (s := api.get(GROUP, "KeyValueStore", "demo", ns))
                and (s.get("status") or {}).get("phase") == "Ready"
                and s
            ),
        )
        assert store["status"]["observedGeneration"] == store["metadata"]["generation"]
        assert store["status"]["conditions"][0]["type"] == "Ready"
        assert store["status"]["conditions"][0]["status"] == "True"
        assert store["status"]["version"] == "7.2"
        assert store["metadata"]["finalizers"], "a finalizer guards the cleanup"
        uid = store["metadata"]["uid"]
        for kind, name in (("StatefulSet", "demo"), ("Service", "demo"), ("Secret", "demo-auth")):
            child = api.get("apps/v1" if kind == "StatefulSet" else "v1", kind, name, ns)
            assert child is not None, f"{kind}/{name} was not created"
            owner = child["metadata"]["ownerReferences"][0]
            assert (owner["kind"], owner["uid"], owner["controller"]) == (
                "KeyValueStore",
                uid,
                True,
            )
        password = api.get("v1", "Secret", "demo-auth", ns)["data"]["password"]  # type: ignore[index]

        # delete a child -> recreated
        service_uid = api.get("v1", "Service", "demo", ns)["metadata"]["uid"]  # type: ignore[index]
        kubectl("delete", "service", "demo", "-n", ns)
        wait_for(
            "the Service back",
            lambda: (
                (s := api.get("v1", "Service", "demo", ns)) and s["metadata"]["uid"] != service_uid
            ),
        )
        wait_for("a Recreated event", lambda: events(cluster, ns, "demo", "Recreated"))
        # idempotent: reconciling again changed nothing, not even the password
        assert api.get("v1", "Secret", "demo-auth", ns)["data"]["password"] == password  # type: ignore[index]

        # scale the CR (its scale subresource) -> the StatefulSet follows
        kubectl("scale", "keyvaluestore/demo", "--replicas=3", "-n", ns)
        wait_for(
            "3 ready instances",
            lambda: (
                (api.get(GROUP, "KeyValueStore", "demo", ns) or {})
                .get("status", {})
                .get("instances")
                == 3
            ),
        )
        assert api.get("apps/v1", "StatefulSet", "demo", ns)["spec"]["replicas"] == 3  # type: ignore[index]
        header, row = kubectl("get", "kvs", "demo", "-n", ns).splitlines()[:2]
        assert header.split()[:5] == ["NAME", "INSTANCES", "READY", "VERSION", "PHASE"]
        assert row.split()[1:3] == ["3", "3"], "the printer columns show spec and status"

        # change the version -> a rolling upgrade of the StatefulSet
        kubectl(
            "patch", "kvs", "demo", "-n", ns, "--type=merge", "-p", '{"spec":{"version":"7.4"}}'
        )
        sts = wait_for(
            "the new image",
            lambda: (
                (s := api.get("apps/v1", "StatefulSet", "demo", ns))
                and s["spec"]["template"]["spec"]["containers"][0]["image"] == "redis:7.4"
                and s
            ),
        )
        assert sts["spec"]["updateStrategy"]["type"] == "RollingUpdate"
        kubectl("rollout", "status", "statefulset/demo", "-n", ns, "--timeout=120s")
        wait_for(
            "version 7.4 in the status",
            lambda: (
                (api.get(GROUP, "KeyValueStore", "demo", ns) or {}).get("status", {}).get("version")
                == "7.4"
            ),
        )

        # a Backup -> a Job, owned by the Backup
        kubectl("apply", "-n", ns, "-f", str(LAB.dir / "manifests" / "backup.yaml"))
        job = wait_for("the backup Job", lambda: api.get("batch/v1", "Job", "backup-first", ns))
        assert job["metadata"]["ownerReferences"][0]["kind"] == "Backup"
        assert "redis-cli" in job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
        wait_for(
            "the Backup's phase",
            lambda: (
                (api.get(GROUP, "Backup", "first", ns) or {}).get("status", {}).get("phase")
                in ("Running", "Succeeded")
            ),
        )

        # level 5: the autopilot scales on the load signal
        kubectl(
            "patch", "kvs", "demo", "-n", ns, "--type=merge",
            "-p", json.dumps({"spec": {"autopilot": {"maxInstances": 5, "opsPerInstance": 1000}}}),
        )  # fmt: skip
        kubectl("annotate", "kvs", "demo", "-n", ns, "db.workshop.dev/load=4200", "--overwrite")
        wait_for(
            "5 instances",
            lambda: (
                (api.get("apps/v1", "StatefulSet", "demo", ns) or {})
                .get("spec", {})
                .get("replicas")
                == 5
            ),
        )
        wait_for("an AutoScaled event", lambda: events(cluster, ns, "demo", "AutoScaled"))
        kubectl("annotate", "kvs", "demo", "-n", ns, "db.workshop.dev/load-")
        kubectl(
            "patch",
            "kvs",
            "demo",
            "-n",
            ns,
            "--type=json",
            "-p",
            '[{"op":"remove","path":"/spec/autopilot"}]',
        )

        # restart: what changed while the operator was down is caught up on at start
        operator.stop()
        # stopped: none of its threads runs any more, so nothing can recreate what goes
        running = [t.name for t in threading.enumerate() if t.name.startswith(f"{operator.name}-")]
        assert running == [], running
        kubectl("delete", "service", "demo", "-n", ns)
        kubectl("scale", "keyvaluestore/demo", "--replicas=2", "-n", ns)
        assert api.get("v1", "Service", "demo", ns) is None
        operator = start(form, cluster, ns)
        wait_for("the Service back after the restart", lambda: api.get("v1", "Service", "demo", ns))
        wait_for(
            "2 replicas after the restart",
            lambda: (
                (api.get("apps/v1", "StatefulSet", "demo", ns) or {})
                .get("spec", {})
                .get("replicas")
                == 2
            ),
        )

        # delete the CR -> the finalizer deletes the data volumes, then lets it go
        claims = api.list("v1", "PersistentVolumeClaim", namespace=ns)
        assert any(c["metadata"]["name"] == "data-demo-0" for c in claims)
        kubectl("delete", "kvs", "demo", "-n", ns, "--wait=false")
        wait_for("the store gone", lambda: api.get(GROUP, "KeyValueStore", "demo", ns) is None)
        wait_for("a CleanedUp event", lambda: events(cluster, ns, "demo", "CleanedUp"))
        wait_for(
            "the data volumes gone",
            lambda: (
                not [
                    c
                    for c in api.list("v1", "PersistentVolumeClaim", namespace=ns)
                    if c["metadata"]["name"].startswith("data-demo-")
                    and not c["metadata"].get("deletionTimestamp")
                ]
            ),
        )
        errors = [r.line() for r in operator.journal.errors]
        assert not errors, errors
    finally:
        operator.stop()
        api.delete("v1", "Namespace", ns, None)
    # a stopped operator leaves no connection open (a leak is an unraisable warning: an error)
    gc.collect()


def test_a_stale_status_write_gets_409_and_is_retried_with_a_fresh_copy(
    cluster: Cluster, kubectl: Kubectl
) -> None:
    ns = "op-conflict"
    kubectl("create", "namespace", ns)
    try:
        kubectl("apply", "-n", ns, "-f", str(LAB.dir / "manifests" / "demo.yaml"))
        kube = solution.kube.Kube(cluster.api_client)
        stale = kube.read("KeyValueStore", "demo", ns)
        kubectl("scale", "keyvaluestore/demo", "--replicas=2", "-n", ns)  # a newer version
        done = kube.update_status(stale, {"phase": "Creating", "observedGeneration": 1})
        assert done[0].startswith("status: 409 Conflict"), done
        assert done[-1].startswith("status: Creating"), done
        fresh = kube.read("KeyValueStore", "demo", ns)
        assert fresh["status"]["phase"] == "Creating"
        assert fresh["spec"]["instances"] == 2, "the retry kept the newer spec"
    finally:
        api = cluster.api
        api.delete("v1", "Namespace", ns, None)


def test_reconcile_is_idempotent(cluster: Cluster, kubectl: Kubectl) -> None:
    ns = "op-idempotent"
    kubectl("create", "namespace", ns)
    try:
        kubectl("apply", "-n", ns, "-f", str(LAB.dir / "manifests" / "demo.yaml"))
        reconcile = solution.plain.Reconciler(cluster.api_client)
        kube = solution.kube.Kube(cluster.api_client)
        first = reconcile(kube.read("KeyValueStore", "demo", ns))
        assert any(a.startswith("created statefulset/demo") for a in first), first
        wait_for(
            "a ready StatefulSet",
            lambda: (
                (kube.read("StatefulSet", "demo", ns) or {}).get("status", {}).get("readyReplicas")
            ),
        )
        reconcile(kube.read("KeyValueStore", "demo", ns))  # writes the Ready status
        again = reconcile(kube.read("KeyValueStore", "demo", ns))
        assert again == [], f"a second reconcile of an unchanged store did {again}"
    finally:
        obj = cluster.api.get(GROUP, "KeyValueStore", "demo", ns)
        if obj:
            cluster.api.request(
                "PATCH",
                cluster.api.resource(GROUP, "KeyValueStore").path(ns, "demo"),
                body={"metadata": {"finalizers": None}},
                content_type="application/merge-patch+json",
            )
        cluster.api.delete("v1", "Namespace", ns, None)


def test_reset_releases_the_finalizers_when_no_operator_runs(
    cluster: Cluster, kubectl: Kubectl
) -> None:
    """A finalizer whose operator is gone holds its object, and so its namespace, forever:
    `workshop reset 11` must still bring the lab back to its start."""
    kubectl("apply", "-f", str(LAB.dir / "manifests" / "crds.yaml"))
    kubectl("wait", "--for=condition=Established", "crd/keyvaluestores.db.workshop.dev")
    course.prepare(cluster, LAB)
    kubectl("apply", "-n", LAB.namespace, "-f", str(LAB.dir / "manifests" / "demo.yaml"))
    kubectl(
        "patch", "kvs", "demo", "-n", LAB.namespace, "--type=merge",
        "-p", '{"metadata": {"finalizers": ["db.workshop.dev/cleanup"]}}',
    )  # fmt: skip
    assert solution.running_operator(cluster, LAB.namespace) is None
    removed = course.reset(cluster, LAB, timeout=60)
    assert f"removed namespace {LAB.namespace}" in removed
    assert "removed customresourcedefinition keyvaluestores.db.workshop.dev" in removed
    assert cluster.api.get("v1", "Namespace", LAB.namespace, None) is None
