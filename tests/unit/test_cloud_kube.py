"""Managed Kubernetes clusters: fields, statuses and the API's answers to bad input."""

from __future__ import annotations

import pytest

from tests.unit.test_cloud_fakes import World
from workshop.cloud import catalog

# What the Terraform provider (ovh/ovh) always sends when it creates a cluster.
PROVIDER_CREATE = {
    "region": "GRA11",
    "name": "tf-cluster",
    "customization": {
        "apiServer": {"admissionPlugins": {}},
        "kubeProxy": {"iptables": {}, "ipvs": {}},
    },
    "privateNetworkConfiguration": {
        "defaultVrackGateway": "",
        "privateNetworkRoutingAsDefault": False,
    },
}


def test_a_new_cluster_is_installing_with_the_fields_the_provider_reads() -> None:
    world = World()
    cluster = world.cluster(name="my-cluster")
    assert cluster["status"] == "INSTALLING"
    assert cluster["version"] == catalog.patch_version()
    major_minor, _, build = cluster["version"].rpartition("-")
    assert major_minor.count(".") == 2 and build  # "1.37.2-1": the provider cuts it at a dot
    for field in (
        "controlPlaneIsUpToDate", "id", "isUpToDate", "loadBalancersSubnetId", "name",
        "nextUpgradeVersions", "nodesSubnetId", "nodesUrl", "privateNetworkId", "region",
        "status", "updatePolicy", "url", "version", "plan", "customization",
        "kubeProxyMode", "ipAllocationPolicy",
    ):  # fmt: skip
        assert field in cluster, field
    assert cluster["customization"]["apiServer"]["admissionPlugins"]["enabled"] == [
        "NodeRestriction"
    ]
    assert world.ok("GET", world.kube) == [cluster["id"]]
    assert world.ok("GET", f"{world.kube}/{cluster['id']}")["name"] == "my-cluster"
    assert world.backend.wakes == 1


def test_the_providers_create_body_is_accepted() -> None:
    world = World()
    assert world.cluster(**PROVIDER_CREATE)["status"] == "INSTALLING"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"region": "XX9"}, "XX9"),
        ({"region": None}, "[region] Property is mandatory"),
        ({"version": "1.20"}, "1.20"),
        ({"name": "n" * 65}, "at most 64"),
        ({"name": "my cluster!"}, "Invalid cluster name"),
        ({"updatePolicy": "SOMETIMES"}, "SOMETIMES"),
        ({"desiredNodes": 3}, "Invalid body parameter 'desiredNodes'"),
        ({"privateNetworkId": "pn-123"}, "does not exist"),
        ({"ipAllocationPolicy": {"podsIpv4Cidr": "10.9.0.0/16"}}, "ipAllocationPolicy"),
        (
            {
                "customization": {
                    "apiServer": {"admissionPlugins": {"enabled": ["AlwaysPullImages"]}}
                }
            },
            "cannot switch admission plugins",
        ),
    ],
)
def test_bad_cluster_bodies_are_refused(body: dict[str, object], words: str) -> None:
    world = World()
    status, message = world.error("POST", world.kube, {"region": "GRA11", **body})
    assert status == 400
    assert words in message
    assert not world.store.clusters


def test_a_cluster_with_its_first_node_pool() -> None:
    world = World()
    cluster = world.cluster(nodepool={"name": "pool-1", "flavorName": "b3-8", "desiredNodes": 2})
    pools = world.ok("GET", f"{world.kube}/{cluster['id']}/nodepool")
    assert [(p["name"], p["desiredNodes"], p["status"]) for p in pools] == [
        ("pool-1", 2, "INSTALLING")
    ]
    status, message = world.error(
        "POST", world.kube, {"region": "GRA11", "nodepool": {"flavorName": "z9-99"}}
    )
    assert status == 400 and "z9-99" in message
    assert len(world.store.clusters) == 1  # the bad pool refused its whole cluster


def test_unknown_project_and_cluster_are_not_found() -> None:
    world = World()
    assert world.error("GET", "/cloud/project/nope/kube")[0] == 404
    status, message = world.error("GET", f"{world.kube}/0000")
    assert status == 404 and "0000" in message


def test_kubeconfig_once_installed() -> None:
    world = World()
    cluster = world.cluster(name="c1")
    status, message = world.error("POST", f"{world.kube}/{cluster['id']}/kubeconfig")
    assert status == 400 and "INSTALLING" in message
    world.ready(cluster["id"])
    assert "# c1" in world.ok("POST", f"{world.kube}/{cluster['id']}/kubeconfig")["content"]


def test_rename_update_policy_and_delete() -> None:
    world = World()
    one = f"{world.kube}/{world.cluster()['id']}"
    world.ok("PUT", one, {"name": "renamed"})
    world.ok("PUT", f"{one}/updatePolicy", {"updatePolicy": "NEVER_UPDATE"})
    got = world.ok("GET", one)
    assert (got["name"], got["updatePolicy"]) == ("renamed", "NEVER_UPDATE")
    assert world.error("PUT", f"{one}/updatePolicy", {"updatePolicy": "NOW"})[0] == 400
    world.ok("DELETE", one)
    assert world.ok("GET", one)["status"] == "DELETING"


def test_update_reset_and_restart_need_a_ready_cluster() -> None:
    world = World()
    cid = world.cluster()["id"]
    one = f"{world.kube}/{cid}"
    assert world.error("POST", f"{one}/update", {"strategy": "LATEST_PATCH"})[0] == 409
    world.ready(cid)
    status, message = world.error("POST", f"{one}/update", {"strategy": "NEXT_MINOR"})
    assert status == 400 and "no next minor" in message
    world.ok("POST", f"{one}/update", {"strategy": "LATEST_PATCH"})
    assert world.ok("GET", one)["status"] == "UPDATING"
    world.ready(cid)
    world.ok("POST", f"{one}/reset", {"workerNodesPolicy": "delete", "name": "fresh"})
    got = world.ok("GET", one)
    assert (got["status"], got["name"]) == ("REDEPLOYING", "fresh")
    assert world.store.clusters[cid].operation.body == {"workerNodesPolicy": "delete"}  # type: ignore[union-attr]


def test_ip_restrictions_replace_add_remove_and_redeploy() -> None:
    world = World()
    cid = world.cluster()["id"]
    ips = f"{world.kube}/{cid}/ipRestrictions"
    world.ready(cid)
    assert world.ok("GET", ips) == []
    world.ok("PUT", ips, {"ips": ["203.0.113.0/24", "198.51.100.7"]})
    assert world.ok("GET", ips) == ["203.0.113.0/24", "198.51.100.7/32"]
    assert world.ok("GET", f"{world.kube}/{cid}")["status"] == "REDEPLOYING"
    world.ready(cid)
    world.ok("POST", ips, {"ips": ["127.0.0.1/32"]})
    world.ok("DELETE", f"{ips}/203.0.113.0/24")
    assert world.ok("GET", ips) == ["198.51.100.7/32", "127.0.0.1/32"]
    assert world.error("DELETE", f"{ips}/192.0.2.0/24")[0] == 404
    status, message = world.error("PUT", ips, {"ips": ["not-an-ip"]})
    assert status == 400 and "not-an-ip" in message


def test_open_id_connect_is_absent_until_configured() -> None:
    world = World()
    oidc = f"{world.kube}/{world.cluster()['id']}/openIdConnect"
    assert world.error("GET", oidc)[0] == 404
    assert world.error("POST", oidc, {"clientId": "k8s", "issuerUrl": "http://insecure"})[0] == 400
    world.ok("POST", oidc, {"clientId": "k8s", "issuerUrl": "https://id.example.org"})
    world.ok("PUT", oidc, {"usernameClaim": "email"})
    assert world.ok("GET", oidc)["usernameClaim"] == "email"
    world.ok("DELETE", oidc)
    assert world.error("GET", oidc)[0] == 404


def test_capabilities_regions_and_flavors() -> None:
    world = World()
    base = f"/cloud/project/{world.project}/capabilities/kube"
    assert "GRA11" in world.ok("GET", f"{base}/regions")
    flavors = world.ok("GET", f"{base}/flavors", query="region=GRA11")
    b38 = next(f for f in flavors if f["name"] == "b3-8")
    assert b38 == {
        "name": "b3-8",
        "category": "b",
        "state": "available",
        "vCPUs": 2,
        "ram": 8,
        "gpus": 0,
    }
    assert world.error("GET", f"{base}/flavors", query="region=XX9")[0] == 400


def test_a_customization_put_replaces_the_parts_it_names_and_keeps_the_others() -> None:
    # OVHcloud's kube-proxy guide: "Update only kubeProxy and keep existing apiServer
    # customization"; the provider's update sends only the part that changed
    world = World()
    cluster = world.cluster(customization={"kubeProxy": {"iptables": {"syncPeriod": "PT30S"}}})
    world.ready(cluster["id"])
    one = f"{world.kube}/{cluster['id']}"
    world.ok("PUT", f"{one}/customization", {"apiServer": {"admissionPlugins": {}}})
    shown = world.ok("GET", f"{one}/customization")["kubeProxy"]
    assert shown == {"iptables": {"syncPeriod": "PT30S"}, "ipvs": {}}
    world.ready(cluster["id"])
    world.ok("PUT", f"{one}/customization", {"kubeProxy": {"ipvs": {"scheduler": "rr"}}})
    shown = world.ok("GET", f"{one}/customization")["kubeProxy"]
    assert shown == {"iptables": {}, "ipvs": {"scheduler": "rr"}}  # the part given, whole
