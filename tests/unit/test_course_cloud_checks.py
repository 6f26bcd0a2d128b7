"""The OVHcloud check kinds against an API held in memory: the verdict and the words shown."""

from __future__ import annotations

from typing import Any

import ovh
import pytest
from pydantic import TypeAdapter, ValidationError

from workshop.course import RecordedCluster, run_check, schema
from workshop.errors import CloudError

CHECK = TypeAdapter(schema.Check)
PROJECT = "p1"
KUBE = f"/cloud/project/{PROJECT}/kube"


class FakeCloud:
    """Answers GETs from a dict of paths; records every call (a seam, not a mock of ovh)."""

    def __init__(self, answers: dict[str, Any], *, refuse: bool = False) -> None:
        self.answers = answers
        self.refuse = refuse
        self.calls: list[tuple[str, str]] = []

    def get(self, path: str, _need_auth: bool = True, **kwargs: Any) -> Any:
        self.calls.append(("GET", path))
        if self.refuse:
            raise ovh.exceptions.NotGrantedCall("This call has not been granted")
        if path not in self.answers:
            raise ovh.exceptions.ResourceNotFoundError(f"{path} does not exist")
        return self.answers[path]

    def post(self, path: str, _need_auth: bool = True, **kwargs: Any) -> Any:
        self.calls.append(("POST", path))
        raise AssertionError("checks only read")


def cloud(
    status: str = "READY", *, pools: list[dict[str, Any]] | None = None, ips: Any = None
) -> FakeCloud:
    return FakeCloud(
        {
            "/cloud/project": [PROJECT],
            KUBE: ["k1", "k2"],
            f"{KUBE}/k1": {"id": "k1", "name": "other", "status": "READY"},
            f"{KUBE}/k2": {
                "id": "k2",
                "name": "lab-08",
                "status": status,
                "updatePolicy": "ALWAYS_UPDATE",
            },
            f"{KUBE}/k2/nodepool": pools or [],
            f"{KUBE}/k2/ipRestrictions": ips if ips is not None else [],
        }
    )


def run(api: FakeCloud, reader: RecordedCluster | None = None, **spec: Any) -> tuple[bool, str]:
    found = reader or RecordedCluster(cloud=api)
    result = run_check(found, CHECK.validate_python(spec), namespace="lab-08")
    return result.passed, result.message


def test_a_cluster_is_found_by_name_and_its_fields_compared() -> None:
    assert run(cloud(), kind="ovh_cluster", cluster="lab-08", fields={"status": "READY"}) == (
        True,
        "cluster lab-08 exists with status=READY",
    )
    passed, message = run(
        cloud("INSTALLING"), kind="ovh_cluster", cluster="lab-08", fields={"status": "READY"}
    )
    assert not passed and message == "cluster lab-08: status is 'INSTALLING', expected 'READY'"


def test_a_missing_cluster_fails_and_says_so() -> None:
    passed, message = run(cloud(), kind="ovh_cluster", cluster="nope")
    assert (passed, message) == (False, "no Managed Kubernetes cluster named 'nope'")


def test_a_refusal_of_the_api_is_an_error_the_learner_can_act_on() -> None:
    with pytest.raises(CloudError, match="refused: This call has not been granted"):
        run(FakeCloud({}, refuse=True), kind="ovh_cluster", cluster="lab-08")


def test_a_node_pool_is_found_by_name_in_its_cluster() -> None:
    pool = {"id": "np1", "name": "workers", "flavor": "b3-8", "desiredNodes": 2}
    api = cloud(pools=[pool])
    spec = {"kind": "ovh_nodepool", "cluster": "lab-08", "pool": "workers"}
    assert run(api, **spec, fields={"flavor": "b3-8", "desiredNodes": 2})[0]
    passed, message = run(api, **spec, fields={"desiredNodes": 3})
    assert not passed and message == "node pool workers: desiredNodes is 2, expected 3"
    passed, message = run(api, **{**spec, "pool": "other"})
    assert not passed and message == "cluster lab-08 has no node pool named 'other'"


def test_ip_restrictions_must_include_each_address() -> None:
    spec = {"kind": "ovh_ip_restrictions", "cluster": "lab-08", "includes": ["203.0.113.0/24"]}
    passed, message = run(cloud(), **spec)
    assert not passed
    assert message.endswith("(now: none (every address may connect))")
    assert run(cloud(ips=["203.0.113.0/24", "127.0.0.1/32"]), **spec) == (
        True,
        "cluster lab-08 accepts only 203.0.113.0/24, 127.0.0.1/32",
    )
    with pytest.raises(ValidationError):
        CHECK.validate_python({**spec, "includes": []})


def test_a_check_runs_inside_a_managed_cluster() -> None:
    inside = RecordedCluster(
        [
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "hello", "namespace": "default"},
            }
        ]
    )
    reader = RecordedCluster(cloud=cloud(), managed={"lab-08": inside})
    spec = {
        "kind": "in_managed_cluster",
        "cluster": "lab-08",
        "check": {"kind": "exists", "object": "Deployment/hello", "namespace": "default"},
    }
    assert run(cloud(), reader, **spec) == (
        True,
        "on cluster lab-08: deployment hello exists",
    )
    passed, message = run(cloud(), reader, **{**spec, "cluster": "gone"})
    assert (passed, message) == (False, "no Managed Kubernetes cluster named 'gone'")
    # the inner check's namespace defaults to the lab's
    passed, message = run(
        cloud(), reader, **{**spec, "check": {"kind": "exists", "object": "Deployment/hello"}}
    )
    assert not passed and "lab-08" in message


def test_checks_cannot_nest_twice() -> None:
    inner = {
        "kind": "in_managed_cluster",
        "cluster": "a",
        "check": {"kind": "exists", "object": "Pod"},
    }
    with pytest.raises(ValidationError):
        CHECK.validate_python({"kind": "in_managed_cluster", "cluster": "b", "check": inner})


def test_a_cleanup_may_call_python() -> None:
    action = schema.CleanupAction.model_validate({"python": "solution:teardown"})
    assert action.python == "solution:teardown"
    with pytest.raises(ValidationError, match="exactly one"):
        schema.CleanupAction.model_validate({"python": "a:b", "kubectl": "get pods"})
