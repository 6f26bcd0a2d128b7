"""Control plane audit logs: the policy kube-apiserver runs with, and reading who did what."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from workshop.cloud import audit
from workshop.cloud.layout import CloudLayout
from workshop.cloud.store import Cluster, Store
from workshop.errors import CloudError
from workshop.sandbox import audit as audit_policy
from workshop.sandbox import components
from workshop.sandbox.layout import Layout


def event(verb: str, resource: str, name: str, user: str, **kw: object) -> str:
    data = {
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Request",
        "stage": kw.get("stage", "ResponseComplete"),
        "requestURI": f"/apis/apps/v1/namespaces/default/{resource}/{name}",
        "verb": verb,
        "user": {"username": user, "groups": ["system:masters", "system:authenticated"]},
        "sourceIPs": ["127.0.0.1"],
        "userAgent": "kubectl/v1.37.1 (linux/amd64) kubernetes/abcdef",
        "objectRef": {
            "resource": resource,
            "namespace": "default",
            "name": name,
            "apiGroup": "apps",
            "apiVersion": "v1",
        },
        "responseStatus": {"metadata": {}, "code": kw.get("code", 200)},
        "requestReceivedTimestamp": "2026-01-01T10:00:00.000000Z",
        "stageTimestamp": "2026-01-01T10:00:00.010000Z",
    }
    return json.dumps(data)


def test_the_policy_is_a_valid_audit_policy_and_reaches_kube_apiserver(tmp_path: Path) -> None:
    path = audit_policy.write_policy(tmp_path / "policy.yaml")
    policy = yaml.safe_load(path.read_text())
    assert (policy["apiVersion"], policy["kind"]) == ("audit.k8s.io/v1", "Policy")
    assert policy["rules"][-1] == {"level": "Metadata"}  # everything else is kept
    levels = {r["level"] for r in policy["rules"]}
    assert levels <= {"None", "Metadata", "Request", "RequestResponse"}
    names = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
    found = {n: Path(f"/opt/bin/{n}") for n in names}
    ports = components.Ports(apiserver=16443, etcd=12379, etcd_peer=12380, kwok=10250)
    layout = Layout(tmp_path)
    plain = components.control_plane(layout, binaries=found, ports=ports)
    audited = components.control_plane(layout, binaries=found, ports=ports, audit_policy=path)
    argv = {c.name: c.argv for c in audited}["kube-apiserver"]
    assert f"--audit-policy-file={path}" in argv
    assert f"--audit-log-path={layout.log_file('audit')}" in argv
    assert not any("audit" in a for a in {c.name: c.argv for c in plain}["kube-apiserver"])


def test_who_deleted_the_deployment(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.write_text(
        "\n".join(
            [
                event("create", "deployments", "hello", "kubernetes-admin"),
                event(
                    "update",
                    "deployments",
                    "hello",
                    "system:serviceaccount:kube-system:deployment-controller",
                ),
                event(
                    "delete", "deployments", "hello", "kubernetes-admin", stage="RequestReceived"
                ),
                event("delete", "deployments", "hello", "kubernetes-admin"),
                "not json",
            ]
        )
        + "\n"
    )
    found = list(audit.read(log))
    assert [e.verb for e in found] == ["create", "update", "delete"]  # finished requests only
    deleted = found[-1]
    assert (deleted.user, deleted.target, deleted.code) == (
        "kubernetes-admin",
        "default/hello",
        200,
    )
    assert deleted.source_ips == ("127.0.0.1",)
    assert deleted.user_agent.startswith("kubectl/")
    assert found[1].by_system and not deleted.by_system


def test_events_by_cluster_name_with_filters(tmp_path: Path) -> None:
    layout = CloudLayout(tmp_path)
    store = Store(layout.state)
    store.clusters["c-1"] = Cluster(
        id="c-1",
        project="p",
        name="demo",
        region="GRA11",
        version="1.37.2-1",
        port=1,
        created=0,
        updated=0,
    )
    store.save()
    log = Layout(layout.cluster("c-1")).log_file("audit")
    log.parent.mkdir(parents=True)
    log.write_text(
        event("delete", "deployments", "hello", "kubernetes-admin")
        + "\n"
        + event(
            "delete", "pods", "hello-1", "system:serviceaccount:kube-system:replicaset-controller"
        )
        + "\n"
    )
    rotated = log.with_name("audit-2026-01-01T09-00-00.000.log")
    rotated.write_text(event("create", "deployments", "hello", "kubernetes-admin") + "\n")
    assert [e.verb for e in audit.events(tmp_path, "demo")] == ["create", "delete"]
    assert [e.resource for e in audit.events(tmp_path, "c-1", verb="delete", system=True)] == [
        "deployments",
        "pods",
    ]
    assert audit.events(tmp_path, "demo", name="other") == []
    with pytest.raises(CloudError, match="no managed cluster named 'nope'"):
        audit.events(tmp_path, "nope")


def test_a_robot_service_account_is_not_the_cluster_itself() -> None:
    def event(user: str) -> audit.AuditEvent:
        line = json.dumps(
            {
                "kind": "Event",
                "stage": "ResponseComplete",
                "verb": "delete",
                "user": {"username": user},
                "objectRef": {"resource": "deployments", "namespace": "default", "name": "c"},
            }
        )
        found = audit.parse(line)
        assert found is not None
        return found

    assert not event("system:serviceaccount:default:deployer").by_system
    assert event("system:serviceaccount:kube-system:deployment-controller").by_system
    assert event("system:kube-scheduler").by_system
