"""The ``ovh_kube`` check reads the OVHcloud API; ``python`` cleanup actions are allowed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from workshop.course.checks import cloud
from workshop.course.schema import Check, CleanupAction, OvhKubeCheck
from workshop.errors import CloudError

CHECK = TypeAdapter(Check)


class FakeApi:
    def __init__(self, pools: list[dict[str, Any]], status: str = "READY") -> None:
        self.answers: dict[str, Any] = {
            "/cloud/project": ["p"],
            "/cloud/project/p/kube": ["k"],
            "/cloud/project/p/kube/k": {"id": "k", "name": "my_kube_cluster", "status": status},
            "/cloud/project/p/kube/k/nodepool": pools,
        }

    def get(self, path: str) -> Any:
        return self.answers[path]


def pool(nodes: int, status: str = "READY") -> dict[str, Any]:
    return {"name": "my-pool", "status": status, "desiredNodes": nodes, "currentNodes": nodes}


def run(api: Any, monkeypatch: pytest.MonkeyPatch, **fields: Any) -> cloud.CheckResult:
    monkeypatch.setattr(cloud, "connect", lambda: api)
    check = CHECK.validate_python({"kind": "ovh_kube", "cluster": "my_kube_cluster", **fields})
    assert isinstance(check, OvhKubeCheck)
    return cloud.managed_cluster(None, check, "lab-10")  # type: ignore[arg-type]


def test_a_ready_cluster_with_its_pool_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(FakeApi([pool(3)]), monkeypatch, pool="my-pool", nodes=3)
    assert result.passed
    assert result.message == "node pool my-pool of my_kube_cluster is READY with 3 nodes"


@pytest.mark.parametrize(
    ("api", "fields", "message"),
    [
        (FakeApi([]), {}, "is INSTALLING"),
        (FakeApi([pool(3)]), {"pool": "other"}, "has no node pool other (pools: my-pool)"),
        (FakeApi([pool(3)]), {"pool": "my-pool", "nodes": 4}, "wants 3 nodes and has 3"),
        (FakeApi([pool(4, "RESIZING")]), {"pool": "my-pool"}, "is RESIZING, not READY"),
    ],
)
def test_what_is_missing_is_named(
    api: FakeApi, fields: dict[str, Any], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not fields:
        api.answers["/cloud/project/p/kube/k"]["status"] = "INSTALLING"
    result = run(api, monkeypatch, **fields)
    assert not result.passed and message in result.message


def test_no_cluster_and_no_api_fail_with_a_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    empty = FakeApi([])
    empty.answers["/cloud/project/p/kube"] = []
    result = run(empty, monkeypatch)
    assert not result.passed and "no Managed Kubernetes cluster my_kube_cluster" in result.message
    assert result.hint and "tofu apply" in result.hint

    def unreachable() -> Any:
        raise CloudError("the emulated OVHcloud API did not start", hint="workshop cloud up")

    monkeypatch.setattr(cloud, "connect", unreachable)
    check = CHECK.validate_python({"kind": "ovh_kube", "cluster": "x"})
    result = cloud.managed_cluster(None, check, "lab-10")  # type: ignore[arg-type]
    assert not result.passed and result.hint == "workshop cloud up"


def test_a_cleanup_may_call_python_but_only_one_thing() -> None:
    assert CleanupAction.model_validate({"python": "solution:destroy"}).python == "solution:destroy"
    with pytest.raises(ValidationError):
        CleanupAction.model_validate({"python": "solution:destroy", "kubectl": "get pods"})


def test_absent_passes_only_once_the_cluster_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi([pool(3)])
    result = run(api, monkeypatch, absent=True)
    assert not result.passed
    assert result.message == "Managed Kubernetes cluster my_kube_cluster still exists (READY)"
    assert result.hint and "tofu destroy" in result.hint
    api.answers["/cloud/project/p/kube/k"]["status"] = "DELETING"
    result = run(api, monkeypatch, absent=True)
    assert not result.passed and "is being deleted (DELETING), not gone yet" in result.message
    api.answers["/cloud/project/p/kube"] = []
    result = run(api, monkeypatch, absent=True)
    assert result.passed
    assert (
        result.message
        == "no Managed Kubernetes cluster my_kube_cluster in the OVHcloud project: it is gone"
    )


@pytest.mark.parametrize("fields", [{"pool": "my-pool"}, {"nodes": 0}])
def test_absent_with_a_pool_or_nodes_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="absent: true checks that the cluster is gone"):
        CHECK.validate_python({"kind": "ovh_kube", "cluster": "c", "absent": True, **fields})
