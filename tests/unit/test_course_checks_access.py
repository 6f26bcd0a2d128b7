"""The log, can_i, refused and server_version checks against recorded clusters: verdicts
and messages."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from workshop.course import RecordedCluster, run_check, schema
from workshop.course.checks import access
from workshop.errors import ClusterError

NS = "lab-07"
DEV = "system:serviceaccount:lab-07:developer"
CHECK = TypeAdapter(schema.Check)


def run(cluster: RecordedCluster, **spec: Any) -> tuple[bool, str, str | None]:
    result = run_check(cluster, CHECK.validate_python(spec), namespace=NS)
    return result.passed, result.message, result.hint


def pod(name: str, *containers: str, deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": NS}
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": c} for c in containers or ("main",)]},
    }


SKIPPING = "PostgreSQL Database directory appears to contain a database; Skipping initialization"


def test_log_passes_when_the_pod_log_says_the_words() -> None:
    cluster = RecordedCluster([pod("db-0")], logs={f"{NS}/db-0/main": f"\n{SKIPPING}\n"})
    ok, message, _ = run(cluster, kind="log", object="Pod/db-0", contains="Skipping initialization")
    assert ok, message
    assert message == "the log of pod db-0 says 'Skipping initialization'"
    assert ("logs", NS, "db-0", "main") in cluster.calls  # the first container, by name


def test_log_fails_with_the_command_that_shows_it() -> None:
    cluster = RecordedCluster([pod("db-0", "postgres", "sidecar")])
    cluster.pod_logs[f"{NS}/db-0/sidecar"] = "init\nstarting\n"
    ok, message, hint = run(
        cluster, kind="log", object="Pod/db-0", container="sidecar", contains="Skipping"
    )
    assert not ok
    assert message == "the log of pod db-0 (2 lines) does not say 'Skipping'"
    assert hint == f"`kubectl logs db-0 -n {NS} -c sidecar` shows what it says"


def test_log_of_a_missing_pod_or_one_not_started() -> None:
    ok, message, hint = run(RecordedCluster(), kind="log", object="Pod/db-0", contains="x")
    assert (ok, message) == (False, f"pod db-0 not found in namespace {NS}")
    assert hint and "kubectl get pods" in hint
    ok, message, _ = run(
        RecordedCluster([pod("db-0", deleting=True)]), kind="log", object="Pod/db-0", contains="x"
    )
    assert not ok and "being deleted" in message
    ok, message, hint = run(
        RecordedCluster([pod("db-0")]), kind="log", object="Pod/db-0", contains="x"
    )
    assert not ok and message.startswith("the log of pod db-0 cannot be read yet")
    assert hint == f"`kubectl describe pod db-0 -n {NS}` shows why"


def test_log_reads_pods_only() -> None:
    with pytest.raises(ValidationError, match="log reads a Pod's log"):
        CHECK.validate_python({"kind": "log", "object": "StatefulSet/db", "contains": "x"})


def test_can_i_asks_a_subject_access_review_with_the_service_accounts_groups() -> None:
    check = CHECK.validate_python(
        {"kind": "can_i", "user": DEV, "verb": "create", "resource": "deployments.apps"}
    )
    assert access.review_spec(check, NS) == {
        "user": DEV,
        "groups": [
            "system:serviceaccounts",
            "system:serviceaccounts:lab-07",
            "system:authenticated",
        ],
        "resourceAttributes": {
            "namespace": NS,
            "verb": "create",
            "resource": "deployments",
            "group": "apps",
        },
    }
    logs = CHECK.validate_python(
        {"kind": "can_i", "user": "alice", "verb": "get", "resource": "pods/log"}
    )
    spec = access.review_spec(logs, NS)
    assert spec["resourceAttributes"] == {
        "namespace": NS,
        "verb": "get",
        "resource": "pods",
        "subresource": "log",
    }
    assert "groups" not in spec


def test_can_i_allowed_and_denied() -> None:
    cluster = RecordedCluster(grants=[(DEV, "create", "deployments.apps", NS)])
    ok, message, _ = run(
        cluster, kind="can_i", user=DEV, verb="create", resource="deployments.apps"
    )
    assert ok, message
    assert message == f"may: {DEV} create deployments.apps in namespace {NS}"
    ok, message, hint = run(
        cluster, kind="can_i", user=DEV, verb="delete", resource="deployments.apps"
    )
    assert (ok, message) == (False, f"not allowed: {DEV} delete deployments.apps in namespace {NS}")
    assert hint and f"kubectl auth can-i delete deployments.apps -n {NS} --as {DEV}" in hint
    ok, message, _ = run(
        cluster, kind="can_i", user=DEV, verb="get", resource="secrets", allowed=False
    )
    assert ok and message.startswith("may not:")
    ok, message, hint = run(
        cluster, kind="can_i", user=DEV, verb="create", resource="deployments.apps", allowed=False
    )
    assert not ok and message.startswith("allowed, but should not be")
    assert hint and "grant only what the user needs" in hint


@pytest.mark.parametrize(
    ("field", "value"), [("verb", "Create"), ("resource", "Deployments"), ("user", "")]
)
def test_can_i_rejects_malformed_questions(field: str, value: str) -> None:
    spec = {"kind": "can_i", "user": DEV, "verb": "get", "resource": "pods", field: value}
    with pytest.raises(ValidationError):
        CHECK.validate_python(spec)


PRIVILEGED = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "privileged", "namespace": "lab-07-restricted"},
    "spec": {"containers": [{"name": "shell", "image": "busybox"}]},
}
PSA = (
    'pods "privileged" is forbidden: violates PodSecurity "restricted:latest": privileged '
    '(container "shell" must not set securityContext.privileged=true)'
)


def test_refused_passes_on_the_expected_refusal_and_quotes_it() -> None:
    cluster = RecordedCluster(refusals={"Pod/privileged": f"POST /api/v1/... refused (403): {PSA}"})
    ok, message, _ = run(
        cluster, kind="refused", manifest=PRIVILEGED, matches="violates PodSecurity"
    )
    assert ok, message
    assert message == f"the cluster refuses pod privileged in namespace lab-07-restricted: {PSA}"
    assert ("dry_run_create", "Pod/privileged", "lab-07-restricted") in cluster.calls


def test_refused_fails_when_accepted_or_refused_for_another_reason() -> None:
    ok, message, hint = run(
        RecordedCluster(), kind="refused", manifest=PRIVILEGED, matches="violates PodSecurity"
    )
    assert (ok, message) == (
        False,
        "the cluster accepts pod privileged in namespace lab-07-restricted "
        "(tried as a dry run: nothing was created)",
    )
    assert hint == "expected a refusal matching 'violates PodSecurity'"
    quota = 'pods "privileged" is forbidden: exceeded quota: team, requested: requests.cpu=16'
    cluster = RecordedCluster(refusals={"Pod/privileged": quota})
    ok, message, _ = run(cluster, kind="refused", manifest=PRIVILEGED, matches="PodSecurity")
    assert not ok and message.endswith(f"not for the expected reason: {quota}")


def test_refused_raises_when_the_cluster_cannot_judge() -> None:
    class Down(RecordedCluster):
        def dry_run_create(self, obj: dict[str, Any], *, namespace: str | None = None) -> Any:
            raise ClusterError("cannot reach the cluster at https://127.0.0.1:1")

    with pytest.raises(ClusterError, match="cannot reach"):
        run(Down(), kind="refused", manifest=PRIVILEGED, matches="x")


@pytest.mark.parametrize(
    "manifest",
    [
        {"kind": "Pod", "metadata": {"name": "x"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {}},
    ],
)
def test_refused_needs_a_whole_manifest(manifest: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="a manifest needs"):
        CHECK.validate_python({"kind": "refused", "manifest": manifest, "matches": "x"})


def plan(version: object) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "upgrade-plan", "namespace": NS},
        "data": {"kubernetes-version": version},
    }


@pytest.mark.parametrize("written", ["1.37", "v1.37", "1.37.2", " 1.37 "])
def test_server_version_passes_when_the_field_names_the_servers_minor(written: str) -> None:
    cluster = RecordedCluster([plan(written)], server_version={"major": "1", "minor": "37+"})
    ok, message, _ = run(
        cluster,
        kind="server_version",
        object="ConfigMap/upgrade-plan",
        path="data[kubernetes-version]",
    )
    assert ok, message
    assert message == (
        "configmap upgrade-plan: data[kubernetes-version] names the server's version (1.37)"
    )


@pytest.mark.parametrize("written", ["1.36", "1.3", "1.370", "", None])
def test_server_version_fails_on_another_version(written: object) -> None:
    cluster = RecordedCluster([plan(written)], server_version={"gitVersion": "v1.37.2"})
    ok, message, hint = run(
        cluster,
        kind="server_version",
        object="ConfigMap/upgrade-plan",
        path="data[kubernetes-version]",
    )
    assert not ok
    assert message.endswith("but the API server runs Kubernetes 1.37"), message
    assert hint == "`kubectl version` shows the server's version: write its MAJOR.MINOR"


def test_server_version_of_a_missing_object_and_a_bad_path() -> None:
    ok, message, _ = run(
        RecordedCluster(), kind="server_version", object="ConfigMap/upgrade-plan", path="data.v"
    )
    assert (ok, message) == (False, f"configmap upgrade-plan not found in namespace {NS}")
    with pytest.raises(ValidationError, match="bad field path"):
        CHECK.validate_python(
            {"kind": "server_version", "object": "ConfigMap/x", "path": "data..v"}
        )
