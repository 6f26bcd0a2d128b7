"""The ovh/ovh provider's own documented examples, run with the real ``tofu`` against the
emulated OVHcloud API, each checked against what the API then shows.

The HCL is in ``ovh_provider_docs/`` (``SOURCES.md`` there names each example's page and
the commit it was read at, and why examples 4, 7, 10 and 11 of the cluster page are not
run). A reader replaces the placeholders (``"xxx…"`` service names, kube ids, pool names)
and so does ``place`` here; nothing else is changed. Examples that need an existing
cluster get one made through the API, as a reader's would have been made.

Tests run in order: the examples of one working folder follow each other, as a reader
edits the HCL and applies again.
"""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ovh
import pytest
import yaml

from tests.integration import cloudkit
from workshop.cloud import Emulator
from workshop.tools import mks, terraform
from workshop.tools import ovh as ovh_tools

pytestmark = pytest.mark.integration
DOCS = Path(__file__).parent / "ovh_provider_docs"
# a placeholder a reader replaces: "xxxxxxxx-xxxx-...", "XXXXXX", on its own line
PLACEHOLDER = re.compile(r'^(\s*)(service_name|kube_id|name)(\s*=\s*)"[xX-]+"', re.MULTILINE)
WAIT = 600.0


def place(work: terraform.Workspace, *fixtures: str, **values: str) -> None:
    """The working folder holds ``provider.tf`` and these examples, placeholders replaced
    (``service_name``, ``kube_id`` and, for data sources, ``name``)."""
    for old in work.dir.glob("*.tf"):
        if old.name != "provider.tf":
            old.unlink()
    for fixture in fixtures:
        text = (DOCS / fixture).read_text()

        def fill(found: re.Match[str]) -> str:
            return f'{found[1]}{found[2]}{found[3]}"{values[found[2]]}"'

        (work.dir / fixture).write_text(PLACEHOLDER.sub(fill, text))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with cloudkit.cloud_home(tmp_path_factory, "provider-docs-home") as home:
        yield home


@pytest.fixture(scope="module")
def emulator(home: Path) -> Iterator[Emulator]:
    with cloudkit.emulator_in(home) as em:
        yield em


@pytest.fixture(scope="module")
def api(emulator: Emulator) -> ovh.Client:
    return ovh_tools.client()


@pytest.fixture(scope="module")
def project(api: ovh.Client) -> str:
    return mks.project(api)


def new_cluster(api: ovh.Client, project: str, name: str, region: str) -> str:
    """A cluster made through the API, READY."""
    found = api.post(mks.kube_path(project), name=name, region=region)
    mks.wait_status(api, f"{mks.kube_path(project)}/{found['id']}", "READY", timeout=WAIT)
    return str(found["id"])


def remove_cluster(api: ovh.Client, project: str, kube_id: str) -> None:
    where = f"{mks.kube_path(project)}/{kube_id}"
    try:
        api.delete(where)
    except ovh.exceptions.ResourceNotFoundError:
        return
    mks.wait_gone(api, where, timeout=WAIT)


@pytest.fixture(scope="module")
def shared(api: ovh.Client, project: str) -> Iterator[dict[str, str]]:
    """An existing cluster, ``docs-shared``, with one pool ``docs-pool`` of one node."""
    kube_id = new_cluster(api, project, "docs-shared", "GRA11")
    pools = f"{mks.kube_path(project)}/{kube_id}/nodepool"
    pool = api.post(pools, name="docs-pool", flavorName="b3-8", desiredNodes=1)
    mks.wait_status(api, f"{pools}/{pool['id']}", "READY", timeout=WAIT)
    yield {"service_name": project, "kube_id": kube_id, "name": "docs-pool"}
    remove_cluster(api, project, kube_id)


def workspace(emulator: Emulator, name: str) -> terraform.Workspace:
    """A working folder with the provider requirement only; ``place`` adds examples."""
    source = emulator.home / "docs-source" / name
    source.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DOCS / "provider.tf", source / "provider.tf")
    work = terraform.workspace(source, name=name)
    work.init()
    return work


def cluster_named(api: ovh.Client, project: str, name: str) -> dict[str, Any] | None:
    return mks.find_cluster(api, project, name)


def in_cluster(api: ovh.Client, shared: dict[str, str], part: str) -> Any:
    return api.get(f"{mks.kube_path(shared['service_name'])}/{shared['kube_id']}/{part}")


# -- resources/cloud_project_kube.md, examples 1, 2 and 3 in one working folder ----------------


@pytest.fixture(scope="module")
def basic(emulator: Emulator) -> terraform.Workspace:
    return workspace(emulator, "docs-kube-basic")


def test_example_1_creates_a_cluster_and_its_pool(
    basic: terraform.Workspace, api: ovh.Client, project: str
) -> None:
    place(basic, "resource-kube-1.tf", service_name=project)
    said = basic.apply()
    assert "Apply complete! Resources: 2 added, 0 changed, 0 destroyed." in said
    cluster = cluster_named(api, project, "my_kube_cluster")
    assert cluster is not None and (cluster["region"], cluster["status"]) == ("GRA11", "READY")
    [pool] = api.get(f"{mks.kube_path(project)}/{cluster['id']}/nodepool")
    assert (pool["name"], pool["flavor"], pool["desiredNodes"]) == ("my-pool-1", "b3-8", 3)
    assert basic.plan().empty


def test_example_2_outputs_the_kubeconfig_of_the_cluster(
    basic: terraform.Workspace, api: ovh.Client, project: str
) -> None:
    place(basic, "resource-kube-2.tf", service_name=project)
    plan = basic.plan()
    assert (plan.adds, plan.updates, plan.destroys) == (0, 0, 1)  # the pool is no longer in it
    basic.apply()
    cluster = cluster_named(api, project, "my_kube_cluster")
    assert cluster is not None
    config = yaml.safe_load(basic.output("kubeconfig_file"))
    assert config["clusters"][0]["cluster"]["server"].endswith(cluster["url"])
    assert basic.plan().empty


def test_example_3_outputs_the_kubeconfig_attributes(basic: terraform.Workspace) -> None:
    place(basic, "resource-kube-3.tf", service_name=basic.env["TF_VAR_service_name"])
    assert basic.plan().empty  # only outputs change
    basic.apply()
    host = basic.output("my_cluster_host")
    kubeconfig = yaml.safe_load(
        basic.state()["values"]["root_module"]["resources"][0]["values"]["kubeconfig"]
    )
    assert host == kubeconfig["clusters"][0]["cluster"]["server"]
    ca = base64.b64decode(basic.output("my_cluster_cluster_ca_certificate"))
    cert = base64.b64decode(basic.output("my_cluster_client_certificate"))
    key = base64.b64decode(basic.output("my_cluster_client_key"))
    assert ca.startswith(b"-----BEGIN CERTIFICATE-----")
    assert cert.startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE KEY-----" in key


def test_the_first_examples_are_destroyed(
    basic: terraform.Workspace, api: ovh.Client, project: str
) -> None:
    assert "Destroy complete! Resources: 1 destroyed." in basic.destroy()
    assert cluster_named(api, project, "my_kube_cluster") is None


# -- examples 5, 8 (timeouts) and 6 in another ---------------------------------------------------


@pytest.fixture(scope="module")
def custom(emulator: Emulator) -> terraform.Workspace:
    return workspace(emulator, "docs-kube-custom")


def test_example_5_sets_the_admission_plugins(
    custom: terraform.Workspace, api: ovh.Client, project: str
) -> None:
    place(custom, "resource-kube-5.tf", service_name=project)
    assert "1 added" in custom.apply()
    cluster = cluster_named(api, project, "my_kube_cluster")
    assert cluster is not None
    shown = api.get(f"{mks.kube_path(project)}/{cluster['id']}/customization")
    assert shown["apiServer"]["admissionPlugins"] == {
        "enabled": ["NodeRestriction"],
        "disabled": ["AlwaysPullImages"],
    }
    assert custom.plan().empty


def test_the_timeouts_block_changes_the_cluster_in_place(custom: terraform.Workspace) -> None:
    place(custom, "resource-kube-8.tf", service_name=custom.env["TF_VAR_service_name"])
    plan = custom.plan()
    assert (plan.adds, plan.updates, plan.destroys) == (0, 1, 0)
    custom.apply()
    assert custom.plan().empty


def test_example_6_ipvs_needs_a_new_cluster_with_its_kube_proxy_settings(
    custom: terraform.Workspace, api: ovh.Client, project: str
) -> None:
    place(custom, "resource-kube-6.tf", service_name=project)
    plan = custom.plan()
    change = plan.change("ovh_cloud_project_kube.my_cluster")
    assert (change.action, change.replaced_by) == ("replace", ("kube_proxy_mode",))
    custom.apply()
    cluster = cluster_named(api, project, "my_kube_cluster")
    assert cluster is not None and cluster["kubeProxyMode"] == "ipvs"
    proxy = api.get(f"{mks.kube_path(project)}/{cluster['id']}/customization")["kubeProxy"]
    assert proxy["ipvs"]["scheduler"] == "rr" and proxy["ipvs"]["udpTimeout"] == "PT0S"
    assert proxy["iptables"] == {"minSyncPeriod": "PT0S", "syncPeriod": "PT0S"}
    assert custom.plan().empty
    assert "Destroy complete! Resources: 1 destroyed." in custom.destroy()


def test_example_9_plans_a_cluster_in_a_private_network(emulator: Emulator, project: str) -> None:
    work = workspace(emulator, "docs-kube-network")
    place(work, "resource-kube-9.tf", service_name=project)
    plan = work.plan()
    assert (plan.adds, plan.updates, plan.destroys) == (4, 0, 0)
    cluster = {
        a.name: a.after
        for a in plan.change("ovh_cloud_project_kube.my_multizone_cluster").attributes
    }
    assert (cluster["plan"], cluster["region"]) == ("standard", "EU-WEST-PAR")
    # the provider sends the network as the real one does; this API has no such network
    with pytest.raises(terraform.TerraformError, match="privateNetworkId"):
        work.apply()
    assert work.resources() == []


# -- node pools, IP restrictions and OIDC on an existing cluster --------------------------------


def test_nodepool_examples_1_and_3_on_an_existing_cluster(
    emulator: Emulator, api: ovh.Client, shared: dict[str, str]
) -> None:
    work = workspace(emulator, "docs-nodepool")
    place(work, "resource-nodepool-1.tf", **shared)
    assert "1 added" in work.apply()
    pools = {p["name"]: p for p in in_cluster(api, shared, "nodepool")}
    assert pools["my-pool-1"]["desiredNodes"] == 3 and pools["my-pool-1"]["currentNodes"] == 3
    assert work.plan().empty
    place(work, "resource-nodepool-3.tf", **shared)
    plan = work.plan()
    assert (plan.adds, plan.updates, plan.destroys) == (0, 1, 0)
    work.apply()
    assert work.plan().empty
    assert "1 destroyed" in work.destroy()
    assert "my-pool-1" not in {p["name"] for p in in_cluster(api, shared, "nodepool")}


def test_nodepool_example_2_gives_every_node_its_template(
    emulator: Emulator, api: ovh.Client, shared: dict[str, str]
) -> None:
    work = workspace(emulator, "docs-nodepool-template")
    place(work, "resource-nodepool-2.tf", **shared)
    work.apply()
    pool = {p["name"]: p for p in in_cluster(api, shared, "nodepool")}["my-pool"]
    template = pool["template"]
    assert template["metadata"]["labels"] == {"k3": "v3", "k4": "v4"}
    assert template["metadata"]["annotations"] == {"k1": "v1", "k2": "v2"}
    assert template["spec"]["taints"] == [{"effect": "PreferNoSchedule", "key": "k", "value": "v"}]
    assert work.plan().empty
    work.destroy()


def test_nodepool_example_4_puts_a_pool_in_one_zone(
    emulator: Emulator, api: ovh.Client, project: str
) -> None:
    kube_id = new_cluster(api, project, "docs-zones", "EU-WEST-PAR")
    try:
        work = workspace(emulator, "docs-nodepool-zone")
        place(work, "resource-nodepool-4.tf", service_name=project, kube_id=kube_id)
        work.apply()
        [pool] = api.get(f"{mks.kube_path(project)}/{kube_id}/nodepool")
        assert (pool["name"], pool["availabilityZones"]) == ("my-pool-zone-a", ["eu-west-par-a"])
        assert work.plan().empty
        work.destroy()
    finally:
        remove_cluster(api, project, kube_id)


def test_iprestrictions_examples_put_the_list_and_destroy_empties_it(
    emulator: Emulator, api: ovh.Client, shared: dict[str, str]
) -> None:
    work = workspace(emulator, "docs-iprestrictions")
    place(work, "resource-iprestrictions-1.tf", **shared)
    work.apply()
    assert in_cluster(api, shared, "ipRestrictions") == ["10.42.0.0/16"]
    assert work.plan().empty
    place(work, "resource-iprestrictions-2.tf", **shared)
    work.apply()
    assert work.plan().empty
    work.destroy()
    assert in_cluster(api, shared, "ipRestrictions") == []


def test_oidc_examples_on_an_imported_cluster(
    emulator: Emulator, api: ovh.Client, shared: dict[str, str]
) -> None:
    work = workspace(emulator, "docs-oidc")
    work.env["TF_VAR_projectid"] = shared["service_name"]
    place(work, "resource-oidc-cluster.tf", "resource-oidc-1.tf")
    address = "ovh_cloud_project_kube.mykube"
    assert "Import successful!" in work.import_(
        address, f"{shared['service_name']}/{shared['kube_id']}"
    )
    plan = work.plan()
    assert plan.change(address).action == "no-op"
    assert (plan.adds, plan.updates, plan.destroys) == (1, 0, 0)
    work.apply()
    shown = in_cluster(api, shared, "openIdConnect")
    assert (shown["clientId"], shown["issuerUrl"]) == ("xxx", "https://ovh.com")
    assert (shown["usernameClaim"], shown["groupsClaim"]) == ("an-email", ["groups"])
    assert shown["requiredClaim"] == ["claim1=val1"] and shown["signingAlgorithms"] == ["RS512"]
    assert base64.b64decode(shown["caContent"]).startswith(b"-----BEGIN CERTIFICATE-----")
    assert work.plan().empty
    place(work, "resource-oidc-cluster.tf", "resource-oidc-2.tf")
    work.apply()
    assert work.plan().empty
    work.run("state rm", address)  # the cluster is not this folder's to destroy
    assert "1 destroyed" in work.destroy()
    with pytest.raises(ovh.exceptions.ResourceNotFoundError):
        in_cluster(api, shared, "openIdConnect")


# -- data sources -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def configured(api: ovh.Client, shared: dict[str, str]) -> Iterator[dict[str, str]]:
    """The shared cluster with IP restrictions and OIDC set through the API."""
    where = f"{mks.kube_path(shared['service_name'])}/{shared['kube_id']}"
    api.put(f"{where}/ipRestrictions", ips=["10.42.0.0/16", "127.0.0.1/32"])
    mks.wait_status(api, where, "READY", timeout=WAIT)
    api.post(f"{where}/openIdConnect", clientId="docs-client", issuerUrl="https://ovh.com")
    mks.wait_status(api, where, "READY", timeout=WAIT)
    yield shared
    api.delete(f"{where}/openIdConnect")
    mks.wait_status(api, where, "READY", timeout=WAIT)
    api.put(f"{where}/ipRestrictions", ips=[])
    mks.wait_status(api, where, "READY", timeout=WAIT)


def read_example(emulator: Emulator, fixture: str, values: dict[str, str]) -> terraform.Workspace:
    work = workspace(emulator, "docs-" + fixture.removesuffix(".tf"))
    place(work, fixture, **values)
    assert "Apply complete! Resources: 0 added, 0 changed, 0 destroyed." in work.apply()
    return work


def test_the_cluster_data_source_example_is_refused_as_written(
    emulator: Emulator, configured: dict[str, str]
) -> None:
    work = workspace(emulator, "docs-data-kube-as-written")
    place(work, "data-kube.tf", **configured)
    with pytest.raises(terraform.TerraformError, match="Output refers to sensitive values"):
        work.plan()


def test_the_cluster_data_source_reads_the_cluster(
    emulator: Emulator, api: ovh.Client, configured: dict[str, str]
) -> None:
    work = workspace(emulator, "docs-data-kube")
    place(work, "data-kube.tf", **configured)
    hcl = work.dir / "data-kube.tf"
    fixed = hcl.read_text().replace(
        "kubeconfig_attributes[0].host\n}", "kubeconfig_attributes[0].host\n  sensitive = true\n}"
    )
    assert fixed != hcl.read_text()
    hcl.write_text(fixed)
    work.apply()
    cluster = api.get(f"{mks.kube_path(configured['service_name'])}/{configured['kube_id']}")
    assert work.output("version") == ".".join(cluster["version"].split(".")[:2])
    kubeconfig = yaml.safe_load(work.output("kubeconfig"))
    assert work.output("kube_host") == kubeconfig["clusters"][0]["cluster"]["server"]


def test_the_nodepool_data_source_finds_the_pool_by_name(
    emulator: Emulator, api: ovh.Client, configured: dict[str, str]
) -> None:
    work = read_example(emulator, "data-kube_nodepool.tf", configured)
    pool = {p["name"]: p for p in in_cluster(api, configured, "nodepool")}["docs-pool"]
    assert work.output("max_nodes") == pool["maxNodes"]


def test_the_nodepool_nodes_data_source_lists_the_pools_nodes(
    emulator: Emulator, api: ovh.Client, configured: dict[str, str]
) -> None:
    work = read_example(emulator, "data-kube_nodepool_nodes.tf", configured)
    pool = {p["name"]: p for p in in_cluster(api, configured, "nodepool")}["docs-pool"]
    nodes = in_cluster(api, configured, f"nodepool/{pool['id']}/nodes")
    listed = work.output("nodes")["nodes"]
    assert sorted(n["name"] for n in listed) == sorted(n["name"] for n in nodes)
    assert {n["node_pool_id"] for n in listed} == {pool["id"]}


def test_the_nodes_data_source_lists_the_clusters_nodes(
    emulator: Emulator, api: ovh.Client, configured: dict[str, str]
) -> None:
    work = read_example(emulator, "data-kube_nodes.tf", configured)
    nodes = in_cluster(api, configured, "node")
    assert sorted(n["id"] for n in work.output("nodes")["nodes"]) == sorted(n["id"] for n in nodes)


def test_the_ip_restrictions_and_oidc_data_sources_read_the_settings(
    emulator: Emulator, configured: dict[str, str]
) -> None:
    work = read_example(emulator, "data-kube_iprestrictions.tf", configured)
    assert sorted(work.output("ips")) == ["10.42.0.0/16", "127.0.0.1/32"]
    work = read_example(emulator, "data-kube_oidc.tf", configured)
    assert work.output("oidc-val") == "docs-client"
