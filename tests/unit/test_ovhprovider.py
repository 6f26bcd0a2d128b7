"""The workshop's ovh provider: settings as the real one reads them, its schemas, its calls."""

from __future__ import annotations

import json
import zlib
from typing import Any, ClassVar

import ovh
import pytest
from tf.gen import tfplugin_pb2 as pb
from tf.iface import (
    CreateContext,
    DeleteContext,
    ImportContext,
    PlanContext,
    ReadDataContext,
    UpdateContext,
    is_importable,
)
from tf.schema import NestMode
from tf.types import Unknown
from tf.utils import Diagnostics, read_dynamic_value, to_dynamic_value

from tests.unit.test_cloud_fakes import FakeBackend, World
from workshop.cloud.store import Cluster
from workshop.ovhprovider import access, api, checks, datasources, kube, nodepool, servicer
from workshop.ovhprovider.fields import NUMBER
from workshop.ovhprovider.provider import OvhProvider


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
    # CloudProjectKubeNodePoolUpdateOpts: the sizes given, autoscaling (the settings given)
    # and the template, empty when the configuration has none
    assert fake.calls[0] == (
        "PUT",
        "/cloud/project/s/kube/k/nodepool/p1",
        {
            "desiredNodes": 4,
            "maxNodes": 4,
            "autoscaling": {},
            "template": {
                "metadata": {"annotations": {}, "finalizers": [], "labels": {}},
                "spec": {"taints": [], "unschedulable": False},
            },
        },
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


# -- the schemas, as ovh/resource_cloud_project_kube*.go and data_cloud_project_kube*.go -----


def blocks_by_name(found: Any) -> dict[str, Any]:
    return {b.type_name: b for b in found.block_types}


def test_nested_blocks_have_the_real_names_nesting_and_limits() -> None:
    cluster = blocks_by_name(kube.SCHEMA)
    assert set(cluster) == {
        "customization_apiserver",
        "customization",
        "customization_kube_proxy",
        "customization_cilium",
        "ip_allocation_policy",
        "private_network_configuration",
        "timeouts",
    }
    proxy = cluster["customization_kube_proxy"]
    assert (proxy.nesting_mode, proxy.max_items) == (NestMode.Set, 1)
    ipvs = blocks_by_name(proxy.block)["ipvs"]
    assert {a.name for a in ipvs.block.attributes} == {
        "min_sync_period",
        "sync_period",
        "scheduler",
        "tcp_timeout",
        "tcp_fin_timeout",
        "udp_timeout",
    }
    assert cluster["timeouts"].nesting_mode is NestMode.Single
    network = {a.name: a for a in cluster["private_network_configuration"].block.attributes}
    assert network["default_vrack_gateway"].required
    assert network["private_network_routing_as_default"].required
    attributes = {a.name: a for a in kube.SCHEMA.attributes}
    assert json.loads(attributes["kubeconfig_attributes"].type.tf_type()) == [
        "list",
        [
            "object",
            {
                "host": "string",
                "cluster_ca_certificate": "string",
                "client_certificate": "string",
                "client_key": "string",
            },
        ],
    ]
    assert attributes["kubeconfig_attributes"].sensitive
    template = blocks_by_name(nodepool.SCHEMA)["template"]
    for part in ("metadata", "spec"):
        assert blocks_by_name(template.block)[part].min_items == 1  # Required in the real one
    taints = {a.name: a for a in blocks_by_name(template.block)["spec"].block.attributes}
    assert json.loads(taints["taints"].type.tf_type()) == ["list", ["map", "string"]]
    ips = {a.name: a for a in access.CloudProjectKubeIpRestrictions.SCHEMA.attributes}["ips"]
    assert ips.required and json.loads(ips.type.tf_type()) == ["set", "string"]


def test_the_provider_has_the_real_resources_and_data_sources() -> None:
    provider = OvhProvider()
    assert {f"ovh_{r.get_name()}" for r in provider.get_resources()} == {
        "ovh_cloud_project_kube",
        "ovh_cloud_project_kube_nodepool",
        "ovh_cloud_project_kube_iprestrictions",
        "ovh_cloud_project_kube_oidc",
    }
    assert {f"ovh_{d.get_name()}" for d in provider.get_data_sources()} == {
        "ovh_cloud_project_kube",
        "ovh_cloud_project_kube_nodepool",
        "ovh_cloud_project_kube_nodepool_nodes",
        "ovh_cloud_project_kube_nodes",
        "ovh_cloud_project_kube_iprestrictions",
        "ovh_cloud_project_kube_oidc",
    }
    # every resource can be imported (tf calls import_ only when it is overridden)
    assert all(is_importable(r) for r in provider.get_resources())


# -- planning --------------------------------------------------------------------------------


def plan_parts(found: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return {a.name: a for a in found.attributes}, {b.type_name: b for b in found.block_types}


def test_a_new_cluster_plans_what_the_api_computes_as_known_after_apply() -> None:
    attrs, nested = plan_parts(kube.SCHEMA)
    config = {name: None for name in attrs} | {name: [] for name in nested}
    config |= {"service_name": "s", "region": "GRA11", "timeouts": None}
    planned = servicer.plan_values(attrs, nested, None, config)
    # as the kube-proxy guide's plan shows: customization and customization_apiserver with
    # their plugins "(known after apply)"; nothing for the blocks the API may leave out
    [apiserver] = planned["customization_apiserver"]
    [plugins] = apiserver["admissionplugins"]
    assert plugins == {"enabled": Unknown, "disabled": Unknown}
    assert planned["customization"][0]["apiserver"][0]["admissionplugins"] == [plugins]
    assert planned["customization_kube_proxy"] == [] and planned["customization_cilium"] == []
    assert planned["version"] is Unknown and planned["region"] == "GRA11"


def test_a_block_left_out_keeps_its_prior_value_and_a_new_cidr_forces_a_new_cluster() -> None:
    attrs, nested = plan_parts(kube.SCHEMA)
    prior = {name: None for name in attrs} | {name: [] for name in nested} | {"timeouts": None}
    prior["customization_apiserver"] = [
        {"admissionplugins": [{"enabled": ["NodeRestriction"], "disabled": []}]}
    ]
    prior["ip_allocation_policy"] = [
        {"pods_ipv4_cidr": "10.244.0.0/16", "services_ipv4_cidr": "10.96.0.0/16"}
    ]
    proposed = {**prior, "customization_apiserver": [], "ip_allocation_policy": []}
    planned = servicer.plan_values(attrs, nested, prior, proposed)
    assert planned["customization_apiserver"] == prior["customization_apiserver"]
    assert servicer.replacing(attrs, nested, prior, planned) == []
    proposed["ip_allocation_policy"] = [{"pods_ipv4_cidr": "10.7.0.0/16"}]
    planned = servicer.plan_values(attrs, nested, prior, proposed)
    # the configured CIDR, the other one "(known after apply)" as the API will choose it
    assert planned["ip_allocation_policy"] == [
        {"pods_ipv4_cidr": "10.7.0.0/16", "services_ipv4_cidr": Unknown}
    ]
    assert servicer.replacing(attrs, nested, prior, planned) == ["ip_allocation_policy"]


def test_a_state_from_an_older_release_gets_the_new_attributes_and_blocks() -> None:
    service = servicer.Servicer(OvhProvider())
    old = {"id": "k1", "service_name": "s", "region": "GRA11", "name": "n", "gone": 1}
    request = pb.UpgradeResourceState.Request(
        type_name="ovh_cloud_project_kube",
        version=0,
        raw_state=pb.RawState(json=json.dumps(old).encode()),
    )
    answer = service.UpgradeResourceState(request, None)
    state = read_dynamic_value(answer.upgraded_state)
    attrs, nested = plan_parts(kube.SCHEMA)
    assert set(state) == set(attrs) | set(nested)  # OpenTofu refuses an object with fewer
    assert state["name"] == "n" and state["customization_apiserver"] == []
    assert state["timeouts"] is None


def test_numbers_opentofu_sends_as_text_reach_the_api_as_numbers() -> None:
    # cty sends 0.4 as "0.4" (no float64 holds it exactly)
    assert NUMBER.decode("0.4") == 0.4 and NUMBER.decode("900") == 900
    assert NUMBER.decode(3) == 3


# -- checks (tofu validate) ------------------------------------------------------------------


def errors(resource: Any, config: dict[str, Any]) -> list[str]:
    diags = Diagnostics()
    resource.validate(diags, "t", config)
    return [d.summary for d in diags.diagnostics if d.severity == "error"]


def test_validation_gives_the_real_providers_messages() -> None:
    cluster = kube.CloudProjectKube(FakeProvider(FakeApi()))
    assert errors(cluster, {"kube_proxy_mode": "nftables"}) == [
        "Value nftables is not among valid values ([iptables ipvs])"
    ]
    proxy = [{"iptables": [], "ipvs": [{"scheduler": "wrr", "sync_period": "30s"}]}]
    assert errors(cluster, {"customization_kube_proxy": proxy}) == [
        "Value wrr is not among valid values ([rr lc dh sh sed nq])",
        "30s does not match RFC3339 duration",
    ]
    assert errors(cluster, {"nodes_subnet_id": "sub"}) == [
        '"nodes_subnet_id": all of `nodes_subnet_id,private_network_id` must be specified'
    ]
    both = {"customization": [{"apiserver": []}], "customization_apiserver": [{}]}
    assert '"customization": conflicts with customization_apiserver' in errors(cluster, both)
    assert errors(cluster, {"timeouts": {"create": "1 hour"}}) == [
        'time: invalid duration "1 hour"'
    ]
    assert errors(cluster, {"timeouts": {"create": "1h30m"}, "plan": "free"}) == []
    pool = nodepool.CloudProjectKubeNodepool(FakeProvider(FakeApi()))
    template = [{"spec": [{"taints": [{"key": "k", "effect": "Sometimes"}]}]}]
    [message] = errors(pool, {"template": template})
    assert message.startswith("effect: Sometimes is not a allowable taint")


def test_durations_compare_as_durations() -> None:
    assert checks.seconds("PT0S") == checks.seconds("P0D") == 0
    assert checks.seconds("PT1M30S") == 90 and checks.seconds("P1W") == 7 * 86400
    assert checks.seconds("30s") is None
    assert checks.go_duration("1h30m") == 5400 and checks.go_duration("50s") == 50


# -- the resources against the emulated API's handlers (no socket, no cluster) ---------------


class KubeconfigBackend(FakeBackend):
    """The fake backend, handing out a kubeconfig shaped as the service's."""

    def kubeconfig(self, cluster: Cluster) -> str:
        return (
            "apiVersion: v1\nkind: Config\n"
            f"clusters:\n- name: {cluster.name}\n  cluster:\n"
            f"    server: https://127.0.0.1:{cluster.port}\n    certificate-authority-data: Q0E=\n"
            f"users:\n- name: admin\n  user:\n"
            "    client-certificate-data: Q0VSVA==\n    client-key-data: S0VZ\n"
        )


class WorldClient:
    """python-ovh's client as the provider uses it, answered by the emulator's own handlers
    in memory; each operation finishes at once, as the reconciler would finish it."""

    ERRORS: ClassVar[dict[int, type[Exception]]] = {
        400: ovh.exceptions.BadParametersError,
        404: ovh.exceptions.ResourceNotFoundError,
        409: ovh.exceptions.ResourceConflictError,
    }

    def __init__(self) -> None:
        self.world = World(backend=KubeconfigBackend())
        self.sent: list[tuple[str, str, Any]] = []

    def call(self, method: str, path: str, data: Any = None, need_auth: bool = True) -> Any:
        if method != "GET":
            self.sent.append((method, path, data))
        status, answer = self.world.call(method, path, data)
        if status >= 400:
            raise self.ERRORS.get(status, ovh.exceptions.APIError)(answer["message"])
        self.finish()
        return answer

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def finish(self) -> None:
        store = self.world.store
        for cluster in list(store.clusters.values()):
            if cluster.status == "DELETING":
                del store.clusters[cluster.id]
            elif cluster.operation is not None:
                cluster.status, cluster.operation = "READY", None
        for pool in list(store.pools.values()):
            if pool.status == "DELETING":
                del store.pools[pool.id]
            elif pool.operation is not None:
                pool.current = pool.available = pool.desired
                pool.status, pool.operation = "READY", None


def world_provider() -> tuple[FakeProvider, WorldClient]:
    client = WorldClient()
    return FakeProvider(client), client  # type: ignore[arg-type]


def planned_state(resource: Any, config: dict[str, Any], prior: Any = None) -> dict[str, Any]:
    """What OpenTofu would hand the resource to apply: the configuration, planned."""
    attrs, nested = plan_parts(resource.SCHEMA)
    proposed = {name: None for name in attrs} | {
        name: (None if b.single else []) for name, b in nested.items()
    }
    if prior is not None:
        proposed |= {k: v for k, v in prior.items() if attrs.get(k) and attrs[k].computed}
    proposed |= config
    return servicer.plan_values(attrs, nested, prior, proposed)


def applied(resource: Any, planned: dict[str, Any], current: Any = None) -> dict[str, Any]:
    diags = Diagnostics()
    if current is None:
        state = resource.create(CreateContext(diags, "t"), planned)
    else:
        state = resource.update(UpdateContext(diags, "t"), current, planned)
    assert not diags.has_errors(), str(diags)
    assert state is not None
    for name, value in planned.items():  # what OpenTofu checks: the plan was kept
        if value is not Unknown and not isinstance(value, list | dict):
            assert state[name] == value, name
    return dict(state)


def test_a_cluster_is_created_with_the_real_body_and_its_customization_read_back() -> None:
    provider, client = world_provider()
    cluster = kube.CloudProjectKube(provider)
    service = client.world.project
    iptables = {"min_sync_period": "PT0S", "sync_period": "PT30S"}
    proxy = [{"iptables": [iptables], "ipvs": []}]
    config = {"service_name": service, "name": "docs", "region": "GRA11"}
    state = applied(cluster, planned_state(cluster, {**config, "customization_kube_proxy": proxy}))
    method, where, body = client.sent[0]
    assert (method, where) == ("POST", f"/cloud/project/{service}/kube")
    # CloudProjectKubeCreateOpts: customization and the private network configuration are
    # always sent, empty when the configuration has none
    assert body == {
        "name": "docs",
        "region": "GRA11",
        "privateNetworkConfiguration": {
            "defaultVrackGateway": "",
            "privateNetworkRoutingAsDefault": False,
        },
        "customization": {
            "apiServer": {"admissionPlugins": {}},
            "kubeProxy": {"iptables": {"minSyncPeriod": "PT0S", "syncPeriod": "PT30S"}, "ipvs": {}},
        },
    }
    assert state["customization_kube_proxy"] == proxy
    plugins = {"enabled": ["NodeRestriction"], "disabled": ["AlwaysPullImages"]}
    assert state["customization_apiserver"] == [{"admissionplugins": [plugins]}]
    [attributes] = state["kubeconfig_attributes"]
    assert set(attributes) == {"host", "cluster_ca_certificate", "client_certificate", "client_key"}
    assert state["version"].count(".") == 1 and state["ip_allocation_policy"][0]["pods_ipv4_cidr"]

    # a state written before customization_apiserver existed, then the block configured:
    # one PUT of that part only, and the API keeps the kube-proxy settings it had
    older = {**state, "customization_apiserver": []}
    wanted = [{"admissionplugins": [plugins]}]
    replan = planned_state(
        cluster,
        {**config, "customization_kube_proxy": proxy, "customization_apiserver": wanted},
        older,
    )
    client.sent.clear()
    state = applied(cluster, {**replan, "id": state["id"]}, current=older)
    assert client.sent == [
        (
            "PUT",
            f"/cloud/project/{service}/kube/{state['id']}/customization",
            {"apiServer": {"admissionPlugins": plugins}},
        )
    ]
    assert state["customization_kube_proxy"] == proxy


def test_the_kube_proxy_settings_are_one_put_and_the_api_answer_keeps_their_spelling() -> None:
    provider, client = world_provider()
    cluster = kube.CloudProjectKube(provider)
    config = {"service_name": client.world.project, "region": "GRA11"}
    state = applied(cluster, planned_state(cluster, config))
    assert state["customization_kube_proxy"] == []  # nothing set, nothing shown
    proxy = [{"iptables": [], "ipvs": [{"scheduler": "rr", "tcp_timeout": "P0D"}]}]
    client.sent.clear()
    replan = planned_state(cluster, {**config, "customization_kube_proxy": proxy}, state)
    state = applied(cluster, {**replan, "id": state["id"]}, current=state)
    [(method, _, body)] = client.sent
    assert method == "PUT"
    assert body == {"kubeProxy": {"iptables": {}, "ipvs": {"scheduler": "rr", "tcpTimeout": "P0D"}}}
    ipvs = state["customization_kube_proxy"][0]["ipvs"][0]
    assert (ipvs["scheduler"], ipvs["tcp_timeout"], ipvs["udp_timeout"]) == ("rr", "P0D", None)


def test_a_version_change_follows_the_real_providers_rules() -> None:
    kube.check_upgrade("1.36", "1.37")
    for old, new, words in (
        ("1.37", "1.36", "cannot downgrade cluster from 1.37 to 1.36"),
        ("1.35", "1.37", "only next minor version is authorized"),
        ("1.37", "2.0", "the only supported major version is 1"),
        ("1.37", "latest", "version latest does not match a semver"),
    ):
        with pytest.raises(api.Failure, match=words):
            kube.check_upgrade(old, new)


def test_a_pool_template_is_sent_and_read_back_as_written() -> None:
    provider, client = world_provider()
    cluster = client.world.cluster(name="c")
    client.world.ready(cluster["id"])
    pool = nodepool.CloudProjectKubeNodepool(provider)
    template = [
        {
            "metadata": [{"annotations": {"k1": "v1"}, "finalizers": [], "labels": {"k3": "v3"}}],
            "spec": [
                {"unschedulable": False, "taints": [{"effect": "PreferNoSchedule", "key": "k"}]}
            ],
        }
    ]
    config = {
        "service_name": client.world.project,
        "kube_id": cluster["id"],
        "name": "my-pool",
        "flavor_name": "b3-8",
        "desired_nodes": 2,
        "autoscaling_scale_down_utilization_threshold": 0.4,
        "template": template,
    }
    state = applied(pool, planned_state(pool, config))
    _, _, body = client.sent[0]
    assert body["template"]["spec"]["taints"] == [
        {"effect": "PreferNoSchedule", "key": "k", "value": ""}
    ]
    assert body["autoscaling"] == {"scaleDownUtilizationThreshold": 0.4}
    assert (body["antiAffinity"], body["monthlyBilled"], body["availabilityZones"]) == (
        False,
        False,
        [],
    )
    assert state["template"] == template  # the taint keeps its form (no "value" written)
    assert state["attach_floating_ips"] == [{"enabled": False}]
    found = client.world.ok("GET", f"{client.world.kube}/{cluster['id']}/nodepool/{state['id']}")
    assert found["template"]["metadata"]["labels"] == {"k3": "v3"}


def test_ip_restrictions_put_the_list_and_destroy_empties_it() -> None:
    provider, client = world_provider()
    cluster = client.world.cluster(name="c")
    client.world.ready(cluster["id"])
    ips = access.CloudProjectKubeIpRestrictions(provider)
    config = {"service_name": client.world.project, "kube_id": cluster["id"], "ips": ["127.0.0.1"]}
    state = applied(ips, planned_state(ips, config))
    where = f"{client.world.kube}/{cluster['id']}/ipRestrictions"
    assert client.sent[0] == ("PUT", where, {"ips": ["127.0.0.1"]})
    assert client.world.ok("GET", where) == ["127.0.0.1/32"]
    assert state["ips"] == ["127.0.0.1"] and state["id"] == cluster["id"]
    # the same block written otherwise is no change
    context = PlanContext(Diagnostics(), "t", {"ips"})
    again = ips.plan(context, state, {**state, "ips": ["127.0.0.1/32"]})
    assert again["ips"] == ["127.0.0.1"]
    ips.delete(DeleteContext(Diagnostics(), "t"), state)
    assert client.world.ok("GET", where) == []


def test_oidc_sends_every_field_and_reads_empty_ones_as_null() -> None:
    provider, client = world_provider()
    cluster = client.world.cluster(name="c")
    client.world.ready(cluster["id"])
    oidc = access.CloudProjectKubeOidc(provider)
    config = {
        "service_name": client.world.project,
        "kube_id": cluster["id"],
        "client_id": "xxx",
        "issuer_url": "https://ovh.com",
        "oidc_groups_claim": ["groups"],
    }
    state = applied(oidc, planned_state(oidc, config))
    _, _, body = client.sent[0]
    assert body == {
        "clientId": "xxx",
        "issuerUrl": "https://ovh.com",
        "usernameClaim": "",
        "usernamePrefix": "",
        "groupsPrefix": "",
        "caContent": "",
        "groupsClaim": ["groups"],
        "requiredClaim": [],
        "signingAlgorithms": [],
    }
    assert state["id"] == f"{client.world.project}/{cluster['id']}"
    assert state["oidc_signing_algs"] is None and state["oidc_groups_claim"] == ["groups"]
    diags = Diagnostics()
    imported = oidc.import_(ImportContext(diags, "t"), state["id"])
    assert imported is not None and imported["client_id"] == "xxx"


@pytest.mark.parametrize(
    ("resource", "bad", "message"),
    [
        (kube.CloudProjectKube, "a", "import Id is not service_name/kubeid formatted"),
        (
            nodepool.CloudProjectKubeNodepool,
            "a/b",
            "import Id is not service_name/kubeid/poolid formatted",
        ),
        (
            access.CloudProjectKubeIpRestrictions,
            "a/b/c",
            "Import Id is not service_name/kubeid formatted",
        ),
        (access.CloudProjectKubeOidc, "a", "import Id is not service_name/kubeid formatted"),
    ],
)
def test_import_ids_have_the_real_shapes_and_messages(
    resource: Any, bad: str, message: str
) -> None:
    diags = Diagnostics()
    assert resource(FakeProvider(FakeApi())).import_(ImportContext(diags, "t"), bad) is None
    assert diags.diagnostics[0].summary == message


def test_data_sources_find_a_pool_by_name_and_list_its_nodes() -> None:
    provider, client = world_provider()
    cluster = client.world.cluster(name="c")
    client.world.ready(cluster["id"])
    created = client.world.ok(
        "POST",
        f"{client.world.kube}/{cluster['id']}/nodepool",
        {"name": "p", "flavorName": "b3-8", "desiredNodes": 1},
    )
    client.finish()
    config = {"service_name": client.world.project, "kube_id": cluster["id"], "name": "p"}
    diags = Diagnostics()
    found = datasources.CloudProjectKubeNodepoolData(provider).read(
        ReadDataContext(diags, "t"), config
    )
    assert not diags.has_errors(), str(diags)
    assert found is not None and (found["id"], found["max_nodes"]) == (created["id"], 100)
    missing = {**config, "name": "nope"}
    datasources.CloudProjectKubeNodepoolNodesData(provider).read(
        ReadDataContext(diags, "t"), missing
    )
    assert diags.diagnostics[0].summary == (
        f"The nodepool named nope cannot be found for cluster {cluster['id']} "
        f"in project {client.world.project}"
    )


def test_a_list_of_nodes_gets_the_id_the_real_data_sources_give_it() -> None:
    # hashcode.Strings of ["", "", "a", "b"]: CRC-32 of "--a-b-", as a positive number
    expected = str(zlib.crc32(b"--a-b-"))
    assert datasources.nodes_id([{"id": "b"}, {"id": "a"}]) == expected


def test_any_change_to_a_pool_plans_its_counts_as_known_after_apply() -> None:
    # a new timeouts block alone is still a PUT of the pool: its update time changes
    pool = nodepool.CloudProjectKubeNodepool(FakeProvider(FakeApi()))
    current = {"desired_nodes": 3, "updated_at": "then", "timeouts": None}
    planned = {**current, "timeouts": {"update": "45m"}}
    out = pool.plan(PlanContext(Diagnostics(), "t", {"timeouts"}), current, planned)
    assert out["updated_at"] is Unknown and out["desired_nodes"] == 3
    same = pool.plan(PlanContext(Diagnostics(), "t", set()), current, dict(current))
    assert same["updated_at"] == "then"


def test_the_servicer_plans_a_new_cluster_through_the_plugin_protocol() -> None:
    service = servicer.Servicer(OvhProvider())
    attrs, nested = plan_parts(kube.SCHEMA)
    proposed = {name: None for name in attrs} | {name: [] for name in nested}
    proposed |= {"service_name": "s", "region": "GRA11", "timeouts": None}
    request = pb.PlanResourceChange.Request(
        type_name="ovh_cloud_project_kube",
        prior_state=to_dynamic_value(None),
        proposed_new_state=to_dynamic_value(proposed),
        config=to_dynamic_value(proposed),
    )
    answer = service.PlanResourceChange(request, None)
    assert not answer.diagnostics and not answer.requires_replace
    planned = read_dynamic_value(answer.planned_state)
    assert set(planned) == set(attrs) | set(nested)
    assert planned["kubeconfig"] is Unknown and planned["customization_kube_proxy"] == []
    [plugins] = planned["customization_apiserver"][0]["admissionplugins"]
    assert plugins["enabled"] is Unknown


def test_a_data_source_state_has_every_attribute_of_its_schema() -> None:
    provider = OvhProvider()
    client = WorldClient()
    provider._client = client
    cluster = client.world.cluster(name="c")
    client.world.ready(cluster["id"])
    config = {"service_name": client.world.project, "kube_id": cluster["id"]}
    request = pb.ReadDataSource.Request(
        type_name="ovh_cloud_project_kube_iprestrictions", config=to_dynamic_value(config)
    )
    answer = servicer.Servicer(provider).ReadDataSource(request, None)
    assert not answer.diagnostics
    assert read_dynamic_value(answer.state) == {**config, "id": cluster["id"], "ips": []}
