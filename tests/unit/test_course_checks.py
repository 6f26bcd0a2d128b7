"""Every check kind against hand-built objects: the verdict and the words a learner reads."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest
from pydantic import TypeAdapter

from workshop.course import RecordedCluster, fieldpath, run_check, schema, selectors
from workshop.errors import ClusterError
from workshop.kubeapi import HttpAnswer

NS = "lab-04"
CHECK = TypeAdapter(schema.Check)


def run(cluster: RecordedCluster, **spec: Any) -> tuple[bool, str, str | None]:
    result = run_check(cluster, CHECK.validate_python(spec), namespace=NS)
    return result.passed, result.message, result.hint


def meta(name: str, namespace: str | None = NS, **extra: Any) -> dict[str, Any]:
    found = {"name": name, **extra}
    if namespace:
        found["namespace"] = namespace
    return found


def deployment(
    name: str = "hello",
    *,
    replicas: int = 3,
    updated: int = 3,
    current: int | None = None,
    available: int = 3,
    generation: int = 2,
    observed: int = 2,
    image: str = "ovhplatform/hello",
    revision: str = "1",
    conditions: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(
            name,
            generation=generation,
            annotations={"deployment.kubernetes.io/revision": revision},
        ),
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "hello", "image": image}]}},
        },
        "status": {
            "observedGeneration": observed,
            "replicas": updated if current is None else current,
            "updatedReplicas": updated,
            "availableReplicas": available,
            "readyReplicas": available,
            "conditions": conditions or [],
        },
    }


def pod(
    name: str,
    labels: dict[str, str],
    *,
    ready: bool = True,
    waiting: str | None = None,
    deleting: bool = False,
) -> dict[str, Any]:
    extra = {"labels": labels}
    if deleting:
        extra["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta(name, **extra),
        "status": {
            "phase": "Pending" if waiting else "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [{"name": "c", "ready": ready, "state": state}],
        },
    }


def node(name: str, labels: dict[str, str], *, ready: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta(name, namespace=None, labels=labels),
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


# -- exists / absent --------------------------------------------------------------------------


def test_exists_names_the_missing_object_and_where() -> None:
    passed, message, hint = run(RecordedCluster(), kind="exists", object="Deployment/hello")
    assert not passed
    assert message == "deployment hello not found in namespace lab-04"
    assert hint == "`kubectl get deployment -n lab-04` lists what is there"


def test_exists_compares_fields_and_says_what_differs() -> None:
    cluster = RecordedCluster([deployment(replicas=3)])
    spec = {"kind": "exists", "object": "Deployment/hello"}
    assert run(cluster, **spec, fields={"spec.replicas": 3})[:2] == (
        True,
        "deployment hello exists with spec.replicas = 3",
    )
    passed, message, hint = run(cluster, **spec, fields={"spec.replicas": 5, "spec.paused": True})
    assert not passed
    assert message == (
        "deployment hello: spec.replicas is 3, expected 5; spec.paused is missing, expected true"
    )
    assert hint == "`kubectl get deployment/hello -n lab-04 -o yaml` shows all its fields"


@pytest.mark.parametrize(
    ("field", "ok"),
    [
        (
            {
                "path": "spec.template.spec.containers[name=hello].image",
                "equals": "ovhplatform/hello",
            },
            True,
        ),
        ({"path": "spec.template.spec.containers[0].image", "matches": "^ovhplatform/"}, True),
        ({"path": "spec.template.spec.containers[0].image", "matches": ":2.0$"}, False),
        ({"path": "metadata.annotations[deployment.kubernetes.io/revision]", "at_least": 1}, True),
        ({"path": "metadata.annotations[deployment.kubernetes.io/revision]", "at_least": 3}, False),
        ({"path": "spec.replicas", "at_most": 3}, True),
        ({"path": "spec.replicas", "at_most": 2}, False),
        ({"path": "spec.paused", "present": False}, True),
        ({"path": "spec.replicas", "present": False}, False),
        ({"path": "spec.replicas", "equals": "3"}, False),  # a string is not a number
    ],
)
def test_field_operators(field: dict[str, Any], ok: bool) -> None:
    cluster = RecordedCluster([deployment(replicas=3)])
    assert run(cluster, kind="exists", object="Deployment/hello", fields=[field])[0] is ok


def test_a_failed_comparison_reads_well() -> None:
    cluster = RecordedCluster([deployment(revision="2")])
    revision = "metadata.annotations[deployment.kubernetes.io/revision]"
    _, message, _ = run(
        cluster,
        kind="exists",
        object="Deployment/hello",
        fields=[{"path": revision, "at_least": 3}, {"path": "spec.selector", "present": True}],
    )
    assert message == (
        f"deployment hello: {revision} is '2', expected at least 3; "
        "spec.selector is missing, expected it set"
    )


def test_exists_with_a_selector_finds_any_matching_object() -> None:
    old = {**deployment(image="ovhplatform/hello"), "kind": "ReplicaSet"}
    old["metadata"] = meta("hello-1", labels={"app": "hello"})
    new = {**deployment(image="ovhplatform/hello:2.0"), "kind": "ReplicaSet"}
    new["metadata"] = meta("hello-2", labels={"app": "hello"})
    spec = {
        "kind": "exists",
        "object": "ReplicaSet",
        "selector": "app=hello",
        "fields": [
            {"path": "spec.template.spec.containers[0].image", "equals": "ovhplatform/hello:2.0"}
        ],
    }
    assert run(RecordedCluster([old, new]), **spec)[:2] == (
        True,
        "replicaset hello-2 with app=hello exists with "
        "spec.template.spec.containers[0].image = 'ovhplatform/hello:2.0'",
    )
    passed, message, _ = run(RecordedCluster([old]), **spec)
    assert not passed
    assert message == (
        "no replicaset with app=hello in namespace lab-04 has "
        "spec.template.spec.containers[0].image = 'ovhplatform/hello:2.0' (1 found; hello-1: "
        "spec.template.spec.containers[0].image is 'ovhplatform/hello', "
        "expected 'ovhplatform/hello:2.0')"
    )
    assert run(RecordedCluster([]), **spec)[1] == "no replicaset with app=hello in namespace lab-04"


def test_a_missing_event_may_have_expired_and_the_learner_is_told() -> None:
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta("crowd-1.17f"),
        "reason": "Scheduled",
        "involvedObject": {"kind": "Pod", "name": "crowd-1"},
    }
    spec = {"kind": "exists", "object": "Event", "fields": {"reason": "TriggeredScaleUp"}}
    passed, message, _ = run(RecordedCluster([event]), **spec)
    assert not passed
    assert message.startswith("no event in namespace lab-04 has reason = 'TriggeredScaleUp'")
    assert message.endswith("if you did this more than an hour ago, do it again")
    assert "an hour" in run(RecordedCluster([]), **spec)[1]
    assert run(RecordedCluster([{**event, "reason": "TriggeredScaleUp"}]), **spec)[0]
    assert "hour" not in run(RecordedCluster([]), kind="exists", object="Pod")[1]


def test_cluster_wide_objects_are_not_said_to_be_in_a_namespace() -> None:
    _, message, hint = run(RecordedCluster(), kind="exists", object="Namespace/lab-00")
    assert message == "namespace lab-00 not found"
    assert hint == "`kubectl get namespace` lists what is there"
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta("lab-00", None)}
    assert run(RecordedCluster([namespace]), kind="exists", object="Namespace/lab-00")[0]


def test_an_object_being_deleted_does_not_exist_any_more_nor_is_it_gone_yet() -> None:
    going = pod("web-1", {"app": "web"}, deleting=True)
    cluster = RecordedCluster([going])
    assert run(cluster, kind="exists", object="Pod/web-1")[:2] == (
        False,
        "pod web-1 is being deleted in namespace lab-04",
    )
    passed, message, hint = run(cluster, kind="absent", object="Pod/web-1")
    assert (passed, message) == (False, "pod web-1 is being deleted in namespace lab-04")
    assert hint and "finalizers" in hint


def test_absent() -> None:
    cluster = RecordedCluster([pod("web-1", {"app": "web"})])
    assert run(cluster, kind="absent", object="Pod/web-2")[:2] == (
        True,
        "pod web-2 does not exist in namespace lab-04",
    )
    assert run(cluster, kind="absent", object="Pod/web-1") == (
        False,
        "pod web-1 still exists in namespace lab-04",
        "`kubectl delete pod/web-1 -n lab-04` removes it",
    )


def test_the_lab_authors_hint_replaces_the_generic_one_on_failure() -> None:
    spec = {"kind": "exists", "object": "Deployment/hello", "hint": "apply hello.yaml"}
    assert run(RecordedCluster(), **spec)[2] == "apply hello.yaml"
    assert run(RecordedCluster([deployment()]), **spec)[2] is None


def test_a_check_may_look_in_another_namespace() -> None:
    elsewhere = deployment()
    elsewhere["metadata"]["namespace"] = "shared"
    cluster = RecordedCluster([elsewhere])
    assert not run(cluster, kind="exists", object="Deployment/hello")[0]
    assert run(cluster, kind="exists", object="Deployment/hello", namespace="shared")[0]


# -- rollout ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({}, "deployment hello has rolled out (3/3 ready replicas)"),
        (
            {"generation": 3, "observed": 2},
            "deployment hello: its controller has not seen the latest change yet",
        ),
        ({"updated": 1}, "deployment hello has 1/3 replicas updated"),
        ({"current": 5}, "deployment hello has 2 old replicas still terminating"),
        ({"current": 4}, "deployment hello has 1 old replica still terminating"),
        ({"available": 1}, "deployment hello has 1/3 ready replicas"),
        (
            {
                "available": 1,
                "conditions": [
                    {
                        "type": "Progressing",
                        "reason": "ProgressDeadlineExceeded",
                        "message": "too slow",
                    }
                ],
            },
            "deployment hello exceeded its progress deadline (too slow)",
        ),
    ],
)
def test_rollout_of_a_deployment_follows_kubectl(state: dict[str, Any], message: str) -> None:
    passed, said, hint = run(
        RecordedCluster([deployment(**state)]), kind="rollout", object="Deployment/hello"
    )
    assert said == message
    assert passed is (not state)
    if not passed and "controller" not in message:
        assert hint == "`kubectl rollout status deployment/hello -n lab-04` follows it"


def test_rollout_of_a_statefulset_and_a_daemonset() -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta("db", generation=1),
        "spec": {"replicas": 3},
        "status": {
            "observedGeneration": 1,
            "readyReplicas": 3,
            "updatedReplicas": 1,
            "currentRevision": "db-1",
            "updateRevision": "db-2",
        },
    }
    assert run(RecordedCluster([sts]), kind="rollout", object="StatefulSet/db")[1] == (
        "statefulset db has 1/3 pods at the new revision"
    )
    sts["status"].update(readyReplicas=2)
    assert run(RecordedCluster([sts]), kind="rollout", object="StatefulSet/db")[1] == (
        "statefulset db has 2/3 ready replicas"
    )
    sts["status"].update(readyReplicas=3, updatedReplicas=3, currentRevision="db-2")
    assert run(RecordedCluster([sts]), kind="rollout", object="StatefulSet/db")[:2] == (
        True,
        "statefulset db has rolled out (3/3 ready replicas)",
    )
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": meta("agent"),
        "status": {"desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 2},
    }
    assert run(RecordedCluster([ds]), kind="rollout", object="DaemonSet/agent")[1] == (
        "daemonset agent has 2/3 ready pods"
    )


def test_rollout_of_a_missing_deployment() -> None:
    assert run(RecordedCluster(), kind="rollout", object="Deployment/hello")[:2] == (
        False,
        "deployment hello not found in namespace lab-04",
    )


# -- pods_ready -------------------------------------------------------------------------------


def test_pods_ready_counts_exactly_and_names_a_pod_that_is_not_ready() -> None:
    cluster = RecordedCluster(
        [
            pod("hello-a", {"app": "hello"}),
            pod("hello-b", {"app": "hello"}, ready=False, waiting="ContainerCreating"),
            pod("hello-c", {"app": "hello"}, deleting=True),
            pod("other", {"app": "other"}),
        ]
    )
    assert run(cluster, kind="pods_ready", selector="app=hello", count=3) == (
        False,
        "1/3 pods with app=hello are ready in namespace lab-04; hello-b is ContainerCreating",
        "`kubectl get pods -n lab-04 -l app=hello` shows them",
    )
    assert run(cluster, kind="pods_ready", selector="app=hello", count=1)[:2] == (
        True,
        "1 pod with app=hello is ready in namespace lab-04",
    )
    assert run(cluster, kind="pods_ready", selector="app=hello", at_least=2)[1] == (
        "1 pod with app=hello is ready in namespace lab-04, expected at least 2; "
        "hello-b is ContainerCreating"
    )


def test_pods_ready_says_when_there_are_too_many_or_none() -> None:
    cluster = RecordedCluster([pod(f"web-{i}", {"app": "web"}) for i in range(4)])
    assert run(cluster, kind="pods_ready", selector="app=web", count=3)[1] == (
        "4 pods with app=web are ready in namespace lab-04, expected 3"
    )
    assert run(cluster, kind="pods_ready", selector="app=web", at_least=3)[0]
    assert run(cluster, kind="pods_ready", selector="app=debug", count=1)[1] == (
        "no pods with app=debug in namespace lab-04 (expected 1 ready)"
    )


# -- node_count -------------------------------------------------------------------------------


def test_node_count_for_a_pool() -> None:
    cluster = RecordedCluster(
        [
            node("n1", {"nodepool": "small"}),
            node("n2", {"nodepool": "small"}, ready=False),
            node("n3", {"nodepool": "big"}),
        ]
    )
    assert run(cluster, kind="node_count", selector="nodepool=small", count=2) == (
        False,
        "1 Ready node with nodepool=small (2 in all), expected 2",
        "`kubectl get nodes --show-labels` shows the nodes and their labels "
        "(`-l nodepool=small` selects these)",
    )
    assert run(cluster, kind="node_count", selector="nodepool=small", count=2, ready=False)[:2] == (
        True,
        "2 nodes with nodepool=small",
    )
    assert run(cluster, kind="node_count", at_least=2)[:2] == (True, "2 Ready nodes in the cluster")


# -- condition --------------------------------------------------------------------------------


def widget(conditions: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": meta("w1"),
        "status": {"conditions": conditions},
    }


def test_a_custom_resource_condition() -> None:
    spec = {
        "kind": "condition",
        "object": "Widget/w1",
        "api_version": "example.com/v1",
        "type": "Ready",
    }
    assert run(RecordedCluster([widget([])]), **spec)[1] == "widget w1 has no condition Ready yet"
    not_ready = widget(
        [{"type": "Ready", "status": "False", "reason": "Reconciling", "message": "2/3 shards"}]
    )
    assert run(RecordedCluster([not_ready]), **spec) == (
        False,
        "widget w1: condition Ready is False, expected True (Reconciling: 2/3 shards)",
        "`kubectl describe widget/w1 -n lab-04` shows its conditions and events",
    )
    ready = widget([{"type": "Ready", "status": "True", "reason": "Done"}])
    assert run(RecordedCluster([ready]), **spec)[:2] == (True, "widget w1: condition Ready is True")
    assert run(RecordedCluster([ready]), **spec, reason="Other")[1] == (
        "widget w1: condition Ready has reason 'Done', expected 'Other'"
    )
    assert run(RecordedCluster([ready]), **{**spec, "status": True})[0]  # YAML true is "True"


class NoWidgets(RecordedCluster):
    """A cluster without the Widget CRD: the API server answers 404 to discovery."""

    def get(self, api_version: str, kind: str, name: str, namespace: str | None) -> Any:
        if kind == "Widget":
            raise ClusterError(
                "the cluster does not serve apiVersion example.com/v1", status=404, hint="install"
            )
        return super().get(api_version, kind, name, namespace)

    def list(self, *args: Any, **kw: Any) -> Any:
        raise ClusterError("cannot reach the cluster at https://x: refused")


def test_a_kind_the_cluster_does_not_serve_fails_the_check_and_a_dead_cluster_raises() -> None:
    spec = {
        "kind": "condition",
        "object": "Widget/w1",
        "api_version": "example.com/v1",
        "type": "Ready",
    }
    assert run(NoWidgets(), **spec) == (
        False,
        "the cluster does not serve apiVersion example.com/v1",
        "install",
    )
    with pytest.raises(ClusterError, match="cannot reach"):
        run(NoWidgets(), kind="pods_ready", selector="app=x", count=1)


# -- http -------------------------------------------------------------------------------------


def service(
    *, kind: str = "LoadBalancer", ingress: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta("hello"),
        "spec": {"type": kind, "ports": [{"port": 80}]},
        "status": {"loadBalancer": {"ingress": ingress or []}},
    }


def test_http_explains_why_there_is_no_address() -> None:
    assert run(RecordedCluster([service(kind="ClusterIP")]), kind="http", service="hello")[1] == (
        "service hello is of type ClusterIP, so it has no external address"
    )
    passed, message, hint = run(RecordedCluster([service()]), kind="http", service="hello")
    assert not passed
    assert (
        message
        == "service hello has no external address yet (status.loadBalancer.ingress is empty)"
    )
    assert hint and "kubectl get service hello -n lab-04 -w" in hint
    assert run(RecordedCluster(), kind="http", service="hello")[1] == (
        "service hello not found in namespace lab-04"
    )


def test_http_asks_the_load_balancer_address() -> None:
    lb = service(ingress=[{"ip": "127.0.0.7"}])
    page = HttpAnswer(200, "<h1>Hello from hello-abc</h1>")
    cluster = RecordedCluster([lb], pages={"http://127.0.0.7/": page})
    assert run(cluster, kind="http", service="hello", contains="Hello")[:2] == (
        True,
        "http://127.0.0.7/ (service hello) answered 200",
    )
    assert cluster.calls[-1] == ("http_get", "http://127.0.0.7/")
    assert run(cluster, kind="http", service="hello", contains="Bonjour")[1] == (
        "http://127.0.0.7/ (service hello) answered 200 but the page does not contain 'Bonjour'"
    )
    broken = RecordedCluster([lb], pages={"http://127.0.0.7/": HttpAnswer(503, "no upstream")})
    assert run(broken, kind="http", service="hello")[1] == (
        "http://127.0.0.7/ (service hello) answered 503, expected 200"
    )
    dead = RecordedCluster([lb])
    passed, message, hint = run(dead, kind="http", service="hello")
    assert not passed
    assert message == (
        "http://127.0.0.7/ (service hello) did not answer: connection refused: http://127.0.0.7/"
    )
    assert hint and "endpointslices" in hint


def test_http_uses_the_port_the_load_balancer_reports() -> None:
    lb = service(
        ingress=[{"hostname": "lb.example", "ports": [{"port": 30080, "protocol": "TCP"}]}]
    )
    cluster = RecordedCluster([lb], pages={"http://lb.example:30080/health": HttpAnswer(204, "")})
    assert run(cluster, kind="http", service="hello", path="/health", status=204)[0]


def test_http_prefers_the_urls_a_local_load_balancer_announces() -> None:
    lb = service(ingress=[{"ip": "127.0.0.1"}])
    lb["metadata"]["annotations"] = {
        "sandbox.workshop.dev/load-balancer-urls": "http://127.0.0.1:41234 http://[::1]:41234"
    }
    cluster = RecordedCluster([lb], pages={"http://127.0.0.1:41234/": HttpAnswer(200, "hi")})
    assert run(cluster, kind="http", service="hello")[:2] == (
        True,
        "http://127.0.0.1:41234/ (service hello) answered 200",
    )


# -- helm_release -----------------------------------------------------------------------------


def helm_secret(
    release: str,
    version: int,
    status: str,
    *,
    chart: str = "wordpress",
    config: dict[str, Any] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    body = {
        "name": release,
        "version": version,
        "info": {
            "status": status,
            "description": description
            or ("Install complete" if status == "deployed" else "timed out"),
        },
        "chart": {"metadata": {"name": chart, "version": "24.1.0"}},
        "config": config or {},
    }
    encoded = base64.b64encode(gzip.compress(json.dumps(body).encode()))
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": meta(
            f"sh.helm.release.v1.{release}.v{version}",
            labels={"owner": "helm", "name": release, "status": status, "version": str(version)},
        ),
        "data": {"release": base64.b64encode(encoded).decode()},
    }


def test_helm_release_reads_the_latest_revision_from_its_secret() -> None:
    cluster = RecordedCluster(
        [helm_secret("blog", 1, "superseded"), helm_secret("blog", 2, "deployed")]
    )
    assert run(cluster, kind="helm_release", release="blog")[:2] == (
        True,
        "helm release blog (revision 2, chart wordpress-24.1.0) is deployed",
    )
    assert cluster.calls[-1] == ("list", "v1", "Secret", NS, "owner=helm,name=blog")
    failed = RecordedCluster([helm_secret("blog", 1, "deployed"), helm_secret("blog", 2, "failed")])
    assert run(failed, kind="helm_release", release="blog") == (
        False,
        "helm release blog (revision 2) is failed, expected deployed: timed out",
        "`helm history blog -n lab-04` shows every revision",
    )
    assert run(cluster, kind="helm_release", release="blog", chart="ghost")[1] == (
        "helm release blog (revision 2) runs chart 'wordpress', expected 'ghost'"
    )
    assert run(RecordedCluster(), kind="helm_release", release="blog")[1] == (
        "no helm release blog in namespace lab-04"
    )


def test_helm_release_values_are_those_of_the_latest_revision() -> None:
    cluster = RecordedCluster(
        [
            helm_secret("blog", 1, "superseded", config={"wordpress": {"replicas": 2}}),
            helm_secret("blog", 2, "deployed", config={"service": {"type": "ClusterIP"}}),
        ]
    )
    spec = {"kind": "helm_release", "release": "blog"}
    assert run(cluster, **spec, values={"service.type": "ClusterIP"})[0]
    assert run(cluster, **spec, values={"wordpress.replicas": 2}) == (
        False,
        "helm release blog (revision 2): values.wordpress.replicas is missing, expected 2",
        f"`helm get values blog -n {NS}` shows the values it was given",
    )
    at_least = [{"path": "wordpress.replicas", "at_least": 2}]
    assert not run(cluster, **spec, values=at_least)[0]


def test_helm_release_history_matches_some_revision_description() -> None:
    cluster = RecordedCluster(
        [
            helm_secret("blog", 1, "superseded", description="Install complete"),
            helm_secret("blog", 2, "superseded", description="Upgrade complete"),
            helm_secret("blog", 3, "deployed", description="Rollback to 1"),
        ]
    )
    spec = {"kind": "helm_release", "release": "blog"}
    assert run(cluster, **spec, history=["^Rollback to \\d+$", "^Install"])[0]
    assert run(cluster, **spec, history=["^Uninstallation complete"])[:2] == (
        False,
        "helm release blog: no revision whose description matches '^Uninstallation complete' "
        "(its 3 revision(s): Install complete; Upgrade complete; Rollback to 1)",
    )
    with pytest.raises(ValueError, match="bad regular expression"):
        CHECK.validate_python({**spec, "history": ["(unclosed"]})


def test_helm_release_with_a_damaged_secret() -> None:
    broken = helm_secret("blog", 1, "deployed")
    broken["data"]["release"] = base64.b64encode(b"not a release").decode()
    passed, message, _ = run(RecordedCluster([broken]), kind="helm_release", release="blog")
    assert not passed
    assert message.startswith("helm release blog: cannot read its Secret: data.release is not")


# -- the small parsers ------------------------------------------------------------------------


def test_field_paths() -> None:
    obj = {"a": {"b.c/d": 1, "list": [{"name": "x", "v": 1}, {"name": "y", "v": 2}]}}
    assert fieldpath.get(obj, "a[b.c/d]") == 1
    assert fieldpath.get(obj, 'a["b.c/d"]') == 1
    assert fieldpath.get(obj, "a.list[1].v") == 2
    assert fieldpath.get(obj, "a.list[name=y].v") == 2
    assert fieldpath.get(obj, "a.list[name=z].v") is fieldpath.MISSING
    assert fieldpath.get(obj, "a.list[5]") is fieldpath.MISSING
    assert fieldpath.get(obj, "a.b.c") is fieldpath.MISSING
    for bad in ["", ".a", "a.", "a[", "a[]", "a]b", "a[0]b"]:
        with pytest.raises(ValueError, match="bad field path"):
            fieldpath.parse(bad)


@pytest.mark.parametrize(
    ("selector", "labels", "selected"),
    [
        ("app=hello", {"app": "hello"}, True),
        ("app==hello", {"app": "hello"}, True),
        ("app!=hello", {"app": "hello"}, False),
        ("app!=hello", {}, True),
        ("app=hello,tier=web", {"app": "hello"}, False),
        ("env in (dev, test)", {"env": "test"}, True),
        ("env notin (dev)", {"env": "dev"}, False),
        ("explored", {"explored": "true"}, True),
        ("!explored", {"explored": "true"}, False),
        ("kubernetes.io/service-name=hello", {"kubernetes.io/service-name": "hello"}, True),
    ],
)
def test_label_selectors(selector: str, labels: dict[str, str], selected: bool) -> None:
    assert selectors.matches(selector, labels) is selected


def test_bad_label_selectors() -> None:
    for bad in ["a b", "x in (a", "=x", ""]:
        with pytest.raises(ValueError):
            selectors.parse(bad)
