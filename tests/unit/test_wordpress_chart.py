"""The workshop's WordPress chart, rendered and linted by the real helm (no cluster needed):
lint-clean, the objects the lab talks about, and the schema refusing wrong values."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from workshop.tools import helm

CHART = Path(__file__).resolve().parents[2] / "labs" / "05-helm-wordpress" / "chart"


def by_kind(manifests: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for m in manifests:
        found.setdefault(m["kind"], []).append(m)
    return found


def test_lint_is_clean_even_strict() -> None:
    result = helm.lint(CHART, strict=True)
    assert result.ok, result.output
    assert result.messages == (), result.output


def test_two_pods_a_persistent_volume_a_load_balancer_and_a_secret() -> None:
    kinds = by_kind(helm.template(CHART, release="blog", namespace="lab-05"))
    assert sorted(kinds) == ["Deployment", "Pod", "Secret", "Service", "StatefulSet"]
    [database] = kinds["StatefulSet"]
    assert database["metadata"]["name"] == "blog-mariadb"
    [claim] = database["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data"  # the claim: data-blog-mariadb-0
    assert claim["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert database["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Retain"
    [web] = kinds["Deployment"]
    assert web["metadata"]["name"] == "blog-wordpress"
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "wordpress:6.7.1-apache"
    env = {e["name"]: e for e in container["env"]}
    assert env["WORDPRESS_DB_HOST"]["value"] == "blog-mariadb:3306"
    assert env["WORDPRESS_DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "blog-wordpress-db",
        "key": "mariadb-password",
    }
    services = {s["metadata"]["name"]: s["spec"] for s in kinds["Service"]}
    assert services["blog-wordpress"]["type"] == "LoadBalancer"
    assert services["blog-mariadb"]["clusterIP"] == "None"
    [secret] = kinds["Secret"]
    passwords = [base64.b64decode(v).decode() for v in secret["data"].values()]
    assert len(passwords) == 2 and passwords[0] != passwords[1]
    assert all(len(p) == 24 and p.isalnum() for p in passwords)
    [test] = kinds["Pod"]
    assert test["metadata"]["annotations"]["helm.sh/hook"] == "test"


def test_values_change_what_is_rendered() -> None:
    kinds = by_kind(
        helm.template(
            CHART,
            release="wordpress",
            set_values={
                "wordpress.replicas": 3,
                "service.type": "ClusterIP",
                "mariadb.persistence.whenDeleted": "Delete",
            },
        )
    )
    [web] = kinds["Deployment"]
    assert web["metadata"]["name"] == "wordpress"  # not wordpress-wordpress
    assert web["spec"]["replicas"] == 3
    assert {s["spec"].get("type") for s in kinds["Service"]} == {"ClusterIP", None}
    [database] = kinds["StatefulSet"]
    assert database["spec"]["persistentVolumeClaimRetentionPolicy"]["whenDeleted"] == "Delete"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("wordpress.resources.limits.memory=512MB", "at '/wordpress/resources/limits/memory'"),
        ("service.type=Loadbalancer", "value must be one of 'ClusterIP', 'NodePort'"),
        ("wordpress.replicas=two", "at '/wordpress/replicas': got string, want integer"),
        ("wordpress.replicass=2", "additional properties 'replicass' not allowed"),
    ],
)
def test_the_schema_refuses_wrong_values(value: str, words: str) -> None:
    key, _, text = value.partition("=")
    with pytest.raises(helm.HelmError) as raised:
        helm.template(CHART, release="blog", set_values={key: text})
    assert words in raised.value.message
    assert raised.value.message.startswith("`helm template blog ")
    assert "values.schema.json" in (raised.value.hint or "")
    assert "Traceback" not in str(raised.value)
