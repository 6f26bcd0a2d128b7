"""Node pools: defaults, the service's sizing rules, immutable fields, resizing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.test_cloud_fakes import World

# What the Terraform provider always sends when it creates a node pool.
PROVIDER_POOL = {
    "flavorName": "b3-8",
    "name": "tf-pool",
    "desiredNodes": 1,
    "autoscale": False,
    "antiAffinity": False,
    "monthlyBilled": False,
    "availabilityZones": [],
    "autoscaling": {},
    "template": {
        "metadata": {"annotations": {}, "finalizers": [], "labels": {}},
        "spec": {"taints": [], "unschedulable": False},
    },
}


def pools(world: World, region: str = "GRA11") -> str:
    cluster = world.cluster(region=region)
    world.ready(cluster["id"])
    return f"{world.kube}/{cluster['id']}/nodepool"


def test_a_pool_with_defaults() -> None:
    world = World()
    path = pools(world)
    pool = world.ok("POST", path, {"flavorName": "c3-4"})
    assert pool["name"].startswith("nodepool-")
    assert (pool["minNodes"], pool["desiredNodes"], pool["maxNodes"]) == (0, 0, 100)
    assert pool["status"] == "INSTALLING"
    assert pool["flavor"] == "c3-4"
    assert pool["autoscaling"] == {
        "scaleDownUtilizationThreshold": 0.5,
        "scaleDownUnneededTimeSeconds": 600,
        "scaleDownUnreadyTimeSeconds": 1200,
    }
    assert world.ok("GET", path) == [pool]  # a list of full objects, as the provider reads it
    assert world.ok("GET", f"{path}/{pool['id']}") == pool


def test_the_providers_pool_body_is_accepted_and_echoed() -> None:
    world = World()
    pool = world.ok("POST", pools(world), PROVIDER_POOL)
    assert pool["flavor"] == PROVIDER_POOL["flavorName"]  # flavor_name is ForceNew
    assert pool["template"] == PROVIDER_POOL["template"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"flavorName": "z9-99"}, "Flavor z9-99 is not available"),
        ({}, "[flavorName] Property is mandatory"),
        (
            {"flavorName": "b3-8", "minNodes": 3, "maxNodes": 2},
            "minNodes (3) must be lower or equal",
        ),
        (
            {"flavorName": "b3-8", "desiredNodes": 5, "maxNodes": 3},
            "desiredNodes (5) must be between",
        ),
        (
            {"flavorName": "b3-8", "desiredNodes": 1, "minNodes": 2},
            "desiredNodes (1) must be between",
        ),
        ({"flavorName": "b3-8", "desiredNodes": 101}, "between 0 and 100"),
        ({"flavorName": "b3-8", "antiAffinity": True, "maxNodes": 6}, "can not exceed 5"),
        ({"flavorName": "b3-8", "name": "p" * 41}, "too long"),
        ({"flavorName": "b3-8", "name": "my_pool"}, "'_' and '.' are not"),
        ({"flavorName": "b3-8", "name": "my.pool"}, "'_' and '.' are not"),
        ({"flavorName": "b3-8", "name": "MyPool"}, "only lowercase"),
        ({"flavorName": "b3-8", "desiredNodes": "2"}, "is not an integer"),
        (
            {
                "flavorName": "b3-8",
                "template": {"spec": {"taints": [{"key": "k", "effect": "Bad"}]}},
            },
            "Bad",
        ),
        ({"flavorName": "b3-8", "availabilityZones": ["eu-west-par-a"]}, "not in region GRA11"),
    ],
)
def test_bad_pools_are_refused(body: dict[str, Any], words: str) -> None:
    world = World()
    path = pools(world)
    status, message = world.error("POST", path, body)
    assert status == 400
    assert words in message
    assert world.ok("GET", path) == []


def test_anti_affinity_caps_the_default_maximum() -> None:
    world = World()
    pool = world.ok("POST", pools(world), {"flavorName": "b3-8", "antiAffinity": True})
    assert pool["maxNodes"] == 5


def test_a_three_zone_region_needs_zones() -> None:
    world = World()
    path = pools(world, region="EU-WEST-PAR")
    assert world.error("POST", path, {"flavorName": "b3-8"}) == (
        400,
        "availabilityZones is mandatory",
    )
    pool = world.ok("POST", path, {"flavorName": "b3-8", "availabilityZones": ["eu-west-par-b"]})
    assert pool["availabilityZones"] == ["eu-west-par-b"]


def test_pool_names_are_unique_in_a_cluster() -> None:
    world = World()
    path = pools(world)
    world.ok("POST", path, {"flavorName": "b3-8", "name": "pool-1"})
    assert world.error("POST", path, {"flavorName": "b3-8", "name": "pool-1"})[0] == 409


def test_resize_and_bounds() -> None:
    world = World()
    path = pools(world)
    pool = world.ok("POST", path, {"flavorName": "b3-8", "desiredNodes": 1, "maxNodes": 3})
    one = f"{path}/{pool['id']}"
    world.store.pools[pool["id"]].current = 1
    world.ok("PUT", one, {"desiredNodes": 3})
    got = world.ok("GET", one)
    assert (got["desiredNodes"], got["status"], got["sizeStatus"]) == (
        3,
        "UPSCALING",
        "UNDER_CAPACITY",
    )
    world.store.pools[pool["id"]].current = 3
    world.ok("PUT", one, {"desiredNodes": 2})
    assert world.ok("GET", one)["status"] == "DOWNSCALING"
    assert world.error("PUT", one, {"desiredNodes": 4})[0] == 400  # above maxNodes 3
    assert world.error("PUT", one, {"maxNodes": 1})[0] == 400  # below desiredNodes 2
    world.ok("PUT", one, {"minNodes": 1, "maxNodes": 2, "autoscale": True})
    got = world.ok("GET", one)
    assert (got["minNodes"], got["maxNodes"], got["autoscale"]) == (1, 2, True)
    assert world.store.pools[pool["id"]].pushed is False  # the reconciler has work


@pytest.mark.parametrize("field", ["flavorName", "name", "antiAffinity"])
def test_immutable_fields(field: str) -> None:
    world = World()
    path = pools(world)
    pool = world.ok("POST", path, {"flavorName": "b3-8"})
    value: Any = {"flavorName": "c3-8", "name": "other", "antiAffinity": True}[field]
    status, message = world.error("PUT", f"{path}/{pool['id']}", {field: value})
    assert status == 400 and field in message and "can not be modified" in message


def test_nodes_to_remove_must_belong_to_the_pool() -> None:
    world = World()
    path = pools(world)
    pool = world.ok("POST", path, {"flavorName": "b3-8", "desiredNodes": 1})
    status, message = world.error("PUT", f"{path}/{pool['id']}", {"nodesToRemove": ["ghost"]})
    assert status == 400 and "ghost" in message


def test_delete_marks_the_pool_deleting() -> None:
    world = World()
    path = pools(world)
    pool = world.ok("POST", path, {"flavorName": "b3-8"})
    world.ok("DELETE", f"{path}/{pool['id']}")
    assert world.ok("GET", f"{path}/{pool['id']}")["status"] == "DELETING"
    assert world.error("PUT", f"{path}/{pool['id']}", {"desiredNodes": 1})[0] == 400
    assert world.error("GET", f"{path}/nope")[0] == 404
