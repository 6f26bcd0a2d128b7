"""A refused request changes nothing: one case per endpoint that changes the store.

Each case sends a request whose body is valid up to its last field (or whose target may
not change now), expects a 4xx, and compares the whole store and the object's GET view
before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.unit.test_cloud_fakes import World
from workshop.cloud.store import Node


@dataclass
class Setup:
    world: World
    cluster: str
    pool: str

    @property
    def one(self) -> str:
        return f"{self.world.kube}/{self.cluster}"


def setup(status: str = "READY") -> Setup:
    world = World()
    cluster = world.cluster(
        nodepool={"name": "pool-1", "flavorName": "b3-8", "desiredNodes": 2, "maxNodes": 4}
    )["id"]
    world.ready(cluster)
    world.ok("POST", f"{world.kube}/{cluster}/openIdConnect", _oidc())
    world.ready(cluster)
    world.store.clusters[cluster].status = status
    (pool,) = world.store.pools
    found = world.store.pools[pool]
    found.min = found.desired  # no node may go
    world.store.nodes["node-1"] = Node(
        "node-1", pool, cluster, found.project, "pool-1-node-1", "b3-8", "i-1", "READY", 0, 0
    )
    return Setup(world, cluster, pool)


def _oidc(**kw: Any) -> dict[str, Any]:
    return {"issuerUrl": "https://id.example", "clientId": "workshop", **kw}


TEMPLATE_BAD_LAST = {"metadata": {"labels": {"team": "blue", "zone": {"an": "object"}}}}
Case = tuple[str, Callable[[Setup], str], Any, int]
CASES: dict[str, Case] = {
    "create cluster, bad pool": (
        "POST",
        lambda s: s.world.kube,
        {"region": "GRA11", "name": "ok", "nodepool": {"flavorName": "b3-8", "maxNodes": -1}},
        400,
    ),
    "create cluster, name with a newline": (
        "POST",
        lambda s: s.world.kube,
        {"region": "GRA11", "name": "lab\n"},
        400,
    ),
    "rename": ("PUT", lambda s: s.one, {"name": "lab\n"}, 400),
    "delete an unknown cluster": ("DELETE", lambda s: s.world.kube + "/nope", None, 404),
    "update to a next minor": (
        "POST",
        lambda s: s.one + "/update",
        {"strategy": "NEXT_MINOR"},
        400,
    ),
    "reset, last field bad": (
        "POST",
        lambda s: s.one + "/reset",
        {"name": "renamed", "kubeProxyMode": "ipvs", "updatePolicy": "SOMETIMES"},
        400,
    ),
    "reset, bad customization": (
        "POST",
        lambda s: s.one + "/reset",
        {"name": "renamed", "customization": {"apiServer": {"admissionPlugins": {"enabled": 5}}}},
        400,
    ),
    "restart with a string": ("POST", lambda s: s.one + "/restart", {"force": "yes"}, 400),
    "update policy": ("PUT", lambda s: s.one + "/updatePolicy", {"updatePolicy": "x"}, 400),
    "customization": (
        "PUT",
        lambda s: s.one + "/customization",
        {"kubeProxy": {"iptables": {"syncPeriod": 30}}},
        400,
    ),
    "private network": (
        "PUT",
        lambda s: s.one + "/privateNetworkConfiguration",
        {"privateNetworkRoutingAsDefault": True, "defaultVrackGateway": "10.0.0.1"},
        400,
    ),
    "load balancers subnet": (
        "PUT",
        lambda s: s.one + "/updateLoadBalancersSubnetId",
        {"loadBalancersSubnetId": "x"},
        400,
    ),
    "log subscription": (
        "POST",
        lambda s: s.one + "/log/subscription",
        {"kind": "audit", "streamId": "x"},
        400,
    ),
    "replace IP restrictions": (
        "PUT",
        lambda s: s.one + "/ipRestrictions",
        {"ips": ["10.0.0.0/8", "not an address"]},
        400,
    ),
    "add IP restrictions": (
        "POST",
        lambda s: s.one + "/ipRestrictions",
        {"ips": ["10.0.0.0/8", "300.0.0.1"]},
        400,
    ),
    "remove an IP block that is not there": (
        "DELETE",
        lambda s: s.one + "/ipRestrictions/192.0.2.0/24",
        None,
        404,
    ),
    "create OIDC twice": ("POST", lambda s: s.one + "/openIdConnect", _oidc(), 409),
    "update OIDC": (
        "PUT",
        lambda s: s.one + "/openIdConnect",
        _oidc(clientId="other", signingAlgorithms=["RS256", "MD5"]),
        400,
    ),
    "create pool, last field bad": (
        "POST",
        lambda s: s.one + "/nodepool",
        {"name": "pool-2", "flavorName": "b3-8", "template": TEMPLATE_BAD_LAST},
        400,
    ),
    "resize pool, bad template": (
        "PUT",
        lambda s: f"{s.one}/nodepool/{s.pool}",
        {"desiredNodes": 3, "autoscale": True, "template": TEMPLATE_BAD_LAST},
        400,
    ),
    "resize pool, bad autoscaling": (
        "PUT",
        lambda s: f"{s.one}/nodepool/{s.pool}",
        {"autoscale": True, "autoscaling": {"scaleDownUtilizationThreshold": 2}},
        400,
    ),
    "resize pool, bad floating IPs": (
        "PUT",
        lambda s: f"{s.one}/nodepool/{s.pool}",
        {"autoscale": True, "attachFloatingIps": {"enabled": "yes"}},
        400,
    ),
    "resize pool, immutable field": (
        "PUT",
        lambda s: f"{s.one}/nodepool/{s.pool}",
        {"autoscale": True, "flavorName": "c3-4"},
        400,
    ),
    "delete an unknown pool": ("DELETE", lambda s: s.one + "/nodepool/nope", None, 404),
    "delete an unknown node": ("DELETE", lambda s: s.one + "/node/nope", None, 404),
    "delete a node below minNodes": ("DELETE", lambda s: s.one + "/node/node-1", None, 400),
    "request a consumer key, bad IPs last": (
        "POST",
        lambda s: "/auth/credential",
        {"accessRules": [{"method": "GET", "path": "/*"}], "allowedIPs": ["nope"]},
        400,
    ),
}


def views(s: Setup) -> list[Any]:
    world = s.world
    return [
        world.ok("GET", s.one),
        world.ok("GET", f"{s.one}/nodepool/{s.pool}"),
        world.ok("GET", f"{s.one}/ipRestrictions"),
        world.ok("GET", f"{s.one}/openIdConnect"),
        world.ok("GET", f"{s.one}/customization"),
        world.ok("GET", f"{s.one}/node"),
        world.ok("GET", world.kube),
    ]


@pytest.mark.parametrize("name", list(CASES))
def test_a_refused_request_changes_nothing(name: str) -> None:
    method, path, body, status = CASES[name]
    s = setup()
    before, shown = s.world.store.snapshot(), views(s)
    assert s.world.error(method, path(s), body)[0] == status
    assert views(s) == shown
    assert s.world.store.snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/ipRestrictions", {"ips": ["10.0.0.0/8"]}),
        ("POST", "/ipRestrictions", {"ips": ["10.0.0.0/8"]}),
        ("DELETE", "/openIdConnect", None),
        ("PUT", "/openIdConnect", _oidc(clientId="other")),
    ],
)
def test_a_cluster_being_deleted_takes_no_new_settings(
    method: str, path: str, body: dict[str, Any] | None
) -> None:
    s = setup(status="DELETING")
    before = s.world.store.snapshot()
    assert s.world.error(method, s.one + path, body)[0] == 409
    assert s.world.store.snapshot() == before


def test_a_refused_pool_put_keeps_autoscale() -> None:
    # the case seen: a PUT refused with 400 still turned autoscale on
    s = setup()
    pool = f"{s.one}/nodepool/{s.pool}"
    bad = {"autoscale": True, "template": {"metadata": {"labels": {"a": {"b": 1}}}}}
    assert s.world.error("PUT", pool, bad)[0] == 400
    assert s.world.ok("GET", pool)["autoscale"] is False


def test_the_web_pages_refuse_without_a_change() -> None:
    world = World()
    before = world.store.snapshot()
    assert world.page("POST", "/createApp/", form=b"applicationName=" + b"a" * 300).status == 400
    assert world.page("POST", "/auth/", form=b"credentialToken=" + b"u" * 64).status == 404
    assert world.store.snapshot() == before
