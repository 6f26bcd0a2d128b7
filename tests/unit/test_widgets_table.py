"""ResourceTable's columns are kubectl's: the server's Table, priority 0 unless wide."""

from __future__ import annotations

import pytest

from workshop.errors import WorkshopError
from workshop.widgets import kinds, table

TABLE = {
    "kind": "Table",
    "columnDefinitions": [
        {"name": "Name", "priority": 0},
        {"name": "Ready", "priority": 0},
        {"name": "Node", "priority": 1},
    ],
    "rows": [
        {"cells": ["a", "1/1", "n1"], "object": {"metadata": {"name": "a", "namespace": "x"}}},
        {"cells": ["b<i>", "0/1", None], "object": {"metadata": {"name": "b", "namespace": "y"}}},
    ],
}


def test_columns_as_kubectl_prints_them() -> None:
    rows = table.from_table(TABLE)
    assert rows.columns == ("NAME", "READY")
    assert rows.rows == (("a", "1/1"), ("b<i>", "0/1"))
    wide = table.from_table(TABLE, wide=True, namespaces=True)
    assert wide.columns == ("NAMESPACE", "NAME", "READY", "NODE")
    assert wide.rows[1] == ("y", "b<i>", "0/1", "<none>")
    assert wide.column("node") == ["n1", "<none>"]


def test_render_escapes_and_says_when_empty() -> None:
    page = table.render(table.from_table(TABLE), empty="-")
    assert "<th" in page and "b&lt;i&gt;" in page
    empty = table.render(table.from_table({"columnDefinitions": [], "rows": []}), empty="No pods.")
    assert "No pods." in empty


@pytest.mark.parametrize(
    ("typed", "api_version", "kind", "kubectl_name"),
    [
        ("pods", "v1", "Pod", "pods"),
        ("po", "v1", "Pod", "pods"),
        ("Deployment", "apps/v1", "Deployment", "deployments"),
        ("deploy", "apps/v1", "Deployment", "deployments"),
        ("svc", "v1", "Service", "services"),
        ("ingresses", "networking.k8s.io/v1", "Ingress", "ingresses"),
        ("networkpolicies", "networking.k8s.io/v1", "NetworkPolicy", "networkpolicies"),
        ("endpoints", "v1", "Endpoints", "endpoints"),
        ("nodes", "v1", "Node", "nodes"),
    ],
)
def test_kinds_as_a_learner_types_them(
    typed: str, api_version: str, kind: str, kubectl_name: str
) -> None:
    found = kinds.resolve(typed)
    assert (found.api_version, found.kind, found.kubectl_name) == (api_version, kind, kubectl_name)


def test_custom_kinds_need_their_api_version() -> None:
    with pytest.raises(WorkshopError, match="unknown kind 'widgets'") as caught:
        kinds.resolve("widgets")
    assert "api_version" in (caught.value.hint or "")
    custom = kinds.resolve("Widget", "example.com/v1")
    assert (custom.kind, custom.kubectl_name) == ("Widget", "widgets.example.com")
