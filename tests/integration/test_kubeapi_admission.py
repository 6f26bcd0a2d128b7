"""KubeApi's questions to the API server against the sandbox: a pod's log, a
SubjectAccessReview, a dry run that admission judges and that stores nothing; and the
sandbox's etcd, which holds a Secret in clear (lab 07's etcd lesson)."""

from __future__ import annotations

import base64
import contextlib
import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from workshop.cluster import Cluster, connect
from workshop.errors import ClusterError

pytestmark = pytest.mark.integration

NS = "kubeapi-admission"


@pytest.fixture(scope="module")
def cluster(sandbox: Any) -> Iterator[Cluster]:
    connected = connect(sandbox.context, kubeconfig=sandbox.kubeconfig)
    connected.api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    yield connected
    connected.api.delete("v1", "Namespace", NS, None)
    connected.close()


def test_a_dry_run_is_judged_by_admission_and_stores_nothing(cluster: Cluster) -> None:
    api = cluster.api
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dry"}}
    answer = api.dry_run_create(config, namespace=NS)
    assert answer["metadata"]["namespace"] == NS and answer["metadata"]["uid"]
    assert api.get("v1", "ConfigMap", "dry", NS) is None

    api.apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": f"{NS}-restricted",
                "labels": {"pod-security.kubernetes.io/enforce": "restricted"},
            },
        }
    )
    try:
        privileged = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "privileged"},
            "spec": {
                "containers": [
                    {"name": "c", "image": "busybox", "securityContext": {"privileged": True}}
                ]
            },
        }
        with pytest.raises(ClusterError) as refused:
            api.dry_run_create(privileged, namespace=f"{NS}-restricted")
        assert refused.value.status == 403
        assert 'violates PodSecurity "restricted:latest": privileged' in refused.value.message
    finally:
        api.delete("v1", "Namespace", f"{NS}-restricted", None)


def test_a_subject_access_review_answers_like_auth_can_i(cluster: Cluster) -> None:
    attributes = {"namespace": NS, "verb": "get", "resource": "secrets"}
    nobody = cluster.api.review_access({"user": "nobody", "resourceAttributes": attributes})
    assert nobody["allowed"] is False
    admins = cluster.api.review_access(
        {"user": "admin", "groups": ["system:masters"], "resourceAttributes": attributes}
    )
    assert admins["allowed"] is True


def test_a_pods_log_and_a_missing_one(cluster: Cluster) -> None:
    api = cluster.api
    api.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "talker"},
            "spec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "busybox",
                        "command": ["sh", "-c", "echo hello; sleep 3600"],
                    }
                ]
            },
        },
        namespace=NS,
    )
    deadline = time.monotonic() + 60
    log = ""
    while "hello" not in log and time.monotonic() < deadline:
        with contextlib.suppress(ClusterError):  # not started yet
            log = api.logs("talker", NS)
        if "hello" not in log:
            time.sleep(0.3)
    assert log.splitlines()[0] == "hello"
    with pytest.raises(ClusterError) as missing:
        api.logs("nobody-here", NS)
    assert missing.value.status == 404


def test_the_sandbox_etcd_holds_a_secret_in_clear(sandbox: Any, cluster: Cluster) -> None:
    cluster.api.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "plain"},
            "stringData": {"word": "visible-in-etcd"},
        },
        namespace=NS,
    )
    etcd = sandbox.etcd()  # TLS, with the sandbox's etcd client certificate
    assert etcd.url == sandbox.status().etcd_url and etcd.url.startswith("https://127.0.0.1:")
    key = base64.b64encode(f"/registry/secrets/{NS}/plain".encode()).decode()
    request = urllib.request.Request(
        f"{etcd.url}/v3/kv/range", data=json.dumps({"key": key}).encode()
    )
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=etcd.ssl_context())
    )
    with opener.open(request, timeout=10) as answer:
        stored = base64.b64decode(json.load(answer)["kvs"][0]["value"])
    assert stored.startswith(b"k8s\x00")  # protobuf, not k8s:enc:...: no encryption at rest
    assert b"visible-in-etcd" in stored
