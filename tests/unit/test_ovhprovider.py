"""The workshop's ovh provider: settings as the real one reads them, its schemas, its calls."""

from __future__ import annotations

from typing import Any

import ovh
import pytest
from tf.iface import CreateContext, ImportContext, PlanContext, UpdateContext
from tf.types import Unknown
from tf.utils import Diagnostics

from workshop.ovhprovider import api, kube, nodepool


def replaced(schema: Any) -> set[str]:
    return {a.name for a in schema.attributes if a.requires_replace}


def test_the_attributes_that_force_a_replacement_are_the_real_providers() -> None:
    # ForceNew in ovh/resource_cloud_project_kube.go and ..._nodepool.go (v2.19)
    assert replaced(kube.SCHEMA) == {
        "service_name",
        "region",
        "kube_proxy_mode",
        "private_network_id",
    }
    assert replaced(nodepool.SCHEMA) == {
        "service_name",
        "kube_id",
        "name",
        "flavor_name",
        "anti_affinity",
        "monthly_billed",
        "availability_zones",
    }
    computed_only = {a.name for a in kube.SCHEMA.attributes if a.computed and not a.optional}
    assert {"kubeconfig", "url", "status", "nodes_url", "is_up_to_date"} <= computed_only


def test_an_endpoint_is_a_name_python_ovh_knows_or_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ovh.client, "ENDPOINTS", dict(ovh.client.ENDPOINTS))
    assert api.endpoint_name("ovh-eu") == "ovh-eu"
    name = api.endpoint_name("http://127.0.0.1:9/1.0")
    assert ovh.client.ENDPOINTS[name] == "http://127.0.0.1:9/1.0"
    with pytest.raises(api.Failure, match="unknown endpoint 'ovh-mars'"):
        api.endpoint_name("ovh-mars")
    with pytest.raises(api.Failure, match="ends with '/'"):
        api.endpoint_name("http://127.0.0.1:9/1.0/")


def test_settings_come_from_the_provider_block_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OVH_APPLICATION_KEY", "from-env")
    assert api.setting({"application_key": "from-hcl"}, "application_key") == "from-hcl"
    assert api.setting({"application_key": None}, "application_key") == "from-env"
    monkeypatch.delenv("OVH_APPLICATION_KEY")
    monkeypatch.delenv("OVH_APPLICATION_SECRET", raising=False)
    with pytest.raises(api.Failure, match="missing authentication information"):
        api.connect({"endpoint": "ovh-eu"})
    with pytest.raises(api.Failure, match="access_token is not supported"):
        api.connect({"access_token": "x"})


def test_without_arguments_or_variables_ovh_conf_is_read_as_go_ovh_reads_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("ENDPOINT", "APPLICATION_KEY", "APPLICATION_SECRET", "CONSUMER_KEY"):
        monkeypatch.delenv(f"OVH_{name}", raising=False)
    conf = tmp_path / "ovh.conf"
    conf.write_text(
        "[default]\nendpoint=http://127.0.0.1:9/1.0\n\n[http://127.0.0.1:9/1.0]\napplication_key=ak\n"
    )
    monkeypatch.setattr(ovh.config, "CONFIG_PATH", [str(conf)])
    assert api.setting({}, "endpoint") == "http://127.0.0.1:9/1.0"
    assert api.setting({}, "application_key") == "ak"
    assert api.setting({}, "consumer_key") is None
    assert api.setting({"endpoint": "ovh-eu"}, "application_key") is None  # another section


def test_the_version_kept_is_major_minor_as_the_real_provider_keeps_it() -> None:
    assert kube.minor("1.37.2-1") == "1.37"
    assert kube.minor("1.22") == "1.22"


class FakeApi:
    """Answers like the OVHcloud API for one pool; records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.pool = {"id": "p1", "name": "my-pool", "flavor": "b2-7", "status": "READY"}

    def call(self, method: str, path: str, data: Any = None, need_auth: bool = True) -> Any:
        self.calls.append((method, path, data))
        if method == "PUT":
            self.pool.update(data)
        return dict(self.pool)

    def get(self, path: str) -> Any:
        return dict(self.pool)


class FakeProvider:
    def __init__(self, client: FakeApi) -> None:
        self._client = client

    def client(self) -> FakeApi:
        return self._client


def test_a_pool_resize_is_one_put_of_the_in_place_fields() -> None:
    fake = FakeApi()
    pool = nodepool.CloudProjectKubeNodepool(FakeProvider(fake))
    current = {"id": "p1", "service_name": "s", "kube_id": "k", "desired_nodes": 3}
    planned = {**current, "desired_nodes": 4, "max_nodes": 4, "flavor_name": "b2-7"}
    diags = Diagnostics()
    state = pool.update(UpdateContext(diags, "ovh_cloud_project_kube_nodepool"), current, planned)
    assert not diags.has_errors(), str(diags)
    assert fake.calls[0] == (
        "PUT",
        "/cloud/project/s/kube/k/nodepool/p1",
        {"desiredNodes": 4, "maxNodes": 4},
    )
    assert state is not None and state["desired_nodes"] == 4


def test_a_resize_plans_the_counts_as_known_after_apply() -> None:
    pool = nodepool.CloudProjectKubeNodepool(FakeProvider(FakeApi()))
    planned = {"desired_nodes": 4, "current_nodes": 3, "name": "my-pool"}
    context = PlanContext(Diagnostics(), "ovh_cloud_project_kube_nodepool", {"desired_nodes"})
    out = pool.plan(context, {"desired_nodes": 3}, planned)
    assert out["current_nodes"] is Unknown and out["name"] == "my-pool"


def test_a_refused_call_is_an_error_for_the_plan_output_not_a_traceback() -> None:
    class Refusing(FakeApi):
        def call(self, method: str, path: str, data: Any = None, need_auth: bool = True) -> Any:
            raise ovh.exceptions.BadParametersError("[flavorName] unknown flavor b9-99")

    pool = nodepool.CloudProjectKubeNodepool(FakeProvider(Refusing()))
    diags = Diagnostics()
    planned = {"service_name": "s", "kube_id": "k", "flavor_name": "b9-99", "name": "p"}
    assert pool.create(CreateContext(diags, "ovh_cloud_project_kube_nodepool"), planned) is None
    [error] = diags.diagnostics
    assert "calling Post /cloud/project/s/kube/k/nodepool" in error.summary
    assert "unknown flavor b9-99" in error.summary


def test_import_ids_are_the_real_providers() -> None:
    cluster = kube.CloudProjectKube(FakeProvider(FakeApi()))
    diags = Diagnostics()
    assert cluster.import_(ImportContext(diags, "ovh_cloud_project_kube"), "only-one-part") is None
    assert diags.diagnostics[0].summary == "import Id is not service_name/kubeid formatted"
