"""The cluster wizard and the cost meter over an OVHcloud API held in memory; the price table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ovh
import pytest

from workshop import widgets
from workshop.errors import WorkshopError
from workshop.widgets import costs

ROOT = Path(__file__).resolve().parents[2]
PRICES = ROOT / "labs" / "08-managed-kubernetes" / "prices.yaml"
P = "/cloud/project/p1"


class FakeOvh:
    """Clusters and pools in dicts, answered as the API's paths do; every call is recorded."""

    def __init__(self) -> None:
        self.clusters: dict[str, dict[str, Any]] = {}
        self.pools: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def add(self, name: str, *pools: tuple[str, str, int], status: str = "READY") -> str:
        kube_id = f"k{len(self.clusters) + 1}"
        self.clusters[kube_id] = {"id": kube_id, "name": name, "status": status, "plan": "free"}
        self.pools[kube_id] = [
            {"name": n, "flavor": f, "currentNodes": c, "desiredNodes": c, "status": "READY"}
            for n, f, c in pools
        ]
        return kube_id

    def get(self, path: str, _need_auth: bool = True, **query: Any) -> Any:
        self.calls.append(("GET", path, query))
        if path == "/cloud/project":
            return ["p1"]
        if path == f"{P}/capabilities/kube/regions":
            return ["GRA11", "SBG5"]
        if path == f"{P}/capabilities/kube/flavors":
            return [
                {"name": "b3-8", "vCPUs": 2, "ram": 8, "state": "available"},
                {"name": "b3-16", "vCPUs": 4, "ram": 16, "state": "available"},
                {"name": "x9-1", "vCPUs": 1, "ram": 1, "state": "unavailable"},
            ]
        if path == f"{P}/kube":
            return list(self.clusters)
        kube_id = path.removeprefix(f"{P}/kube/").split("/")[0]
        if kube_id not in self.clusters:
            raise ovh.exceptions.ResourceNotFoundError("This cluster does not exist")
        if path.endswith("/nodepool"):
            return self.pools[kube_id]
        found = self.clusters[kube_id]
        if found["status"] == "INSTALLING":
            found["status"] = "READY"  # the next read sees it installed
        return dict(found)

    def post(self, path: str, _need_auth: bool = True, **body: Any) -> Any:
        self.calls.append(("POST", path, body))
        if body.get("region") == "XX1":
            raise ovh.exceptions.BadParametersError("Invalid region XX1")
        kube_id = self.add(body["name"], status="INSTALLING")
        return {"id": kube_id}

    def delete(self, path: str, _need_auth: bool = True) -> None:
        self.calls.append(("DELETE", path, {}))
        kube_id = path.rsplit("/", 1)[1]
        del self.clusters[kube_id]


def test_the_price_table_is_dated_and_sourced() -> None:
    table = costs.PriceTable.load(PRICES)
    assert table.currency == "EUR" and table.date and table.official.startswith("https://")
    assert table.nodes["b3-8"].hourly > 0 and table.nodes["b3-8"].source
    assert "they change" in table.caveat() and table.date in table.caveat()


def test_a_bad_price_table_says_what_it_needs(tmp_path: Path) -> None:
    (tmp_path / "prices.yaml").write_text("currency: EUR\n")
    with pytest.raises(WorkshopError, match="cannot read the price table"):
        costs.PriceTable.load(tmp_path / "prices.yaml")


def test_a_bill_prices_each_pool_by_its_nodes_and_never_guesses() -> None:
    table = costs.PriceTable.load(PRICES)
    found = [
        (
            {"name": "lab-08", "plan": "free"},
            [
                {"name": "workers", "flavor": "b3-8", "currentNodes": 2},
                {"name": "gpu", "flavor": "z9-1", "currentNodes": 1},
            ],
        ),
        ({"name": "prod", "plan": "free"}, [{"name": "p", "flavor": "b3-16", "desiredNodes": 3}]),
    ]
    bill = costs.bill(found, table, ours=lambda name: name.startswith("lab-08"))
    b38, b316 = table.nodes["b3-8"].hourly, table.nodes["b3-16"].hourly
    assert bill.hourly == pytest.approx(2 * b38 + 3 * b316)
    assert bill.monthly == pytest.approx(bill.hourly * 730)
    assert [(line.what, line.ours) for line in bill.unpriced] == [("pool gpu", True)]
    assert costs.money(None, "EUR") == "no price in the table"
    assert costs.money(0.1024, "EUR") == "€0.1024" and costs.money(74.75, "EUR") == "€74.75"


def test_a_price_not_read_from_ovhcloud_is_shown_as_indicative_with_its_date(
    tmp_path: Path,
) -> None:
    table = costs.PriceTable.load(PRICES)
    unverified = [name for name, price in table.nodes.items() if not price.verified]
    assert unverified and "b3-8" not in unverified  # the labs' flavor has a sourced price
    found = [
        (
            {"name": "lab-08", "plan": "free"},
            [
                {"name": "workers", "flavor": "b3-8", "currentNodes": 1},
                {"name": "small", "flavor": unverified[0], "currentNodes": 2},
            ],
        )
    ]
    bill = costs.bill(found, table)
    labels = {line.what: line.label for line in bill.lines}
    as_of = table.nodes[unverified[0]].as_of
    assert labels == {
        "control plane (free)": None,
        "pool workers": None,
        "pool small": f"indicative, as of {as_of}",
    }
    assert [line.what for line in bill.indicative] == ["pool small"]
    # without its own date, an unverified price carries the table's
    (tmp_path / "prices.yaml").write_text(
        "currency: EUR\ndate: '2026-01-02'\nofficial: https://example.org\n"
        "hours_per_month: 730\nnodes:\n  x1: {hourly: 0.1, source: a blog, verified: false}\n"
    )
    other = costs.PriceTable.load(tmp_path / "prices.yaml")
    assert other.label(other.nodes["x1"]) == "indicative, as of 2026-01-02"

    api = FakeOvh()
    api.add("lab-08", ("workers", "b3-8", 1), ("small", unverified[0], 2))
    meter = widgets.CostMeter(api, PRICES, prefix="lab-08", real=False)  # type: ignore[arg-type]
    shown = meter.figures.value
    assert shown.count("indicative, as of") == 1 and f"indicative, as of {as_of}" in shown
    assert "1 line(s) at an indicative price" in shown


def test_the_wizard_offers_what_the_capabilities_list_and_shows_the_call() -> None:
    api = FakeOvh()
    wizard = widgets.ClusterWizard(api, name="lab-08", region="SBG5", flavor="b3-16", nodes=2)  # type: ignore[arg-type]
    assert list(wizard.region.options) == ["GRA11", "SBG5"] and wizard.region.value == "SBG5"
    assert [v for _, v in wizard.flavor.options] == ["b3-8", "b3-16"]  # available ones only
    assert ("GET", f"{P}/capabilities/kube/flavors", {"region": "SBG5"}) in api.calls
    assert wizard.body() == {
        "name": "lab-08",
        "region": "SBG5",
        "nodepool": {"name": "default-pool", "flavorName": "b3-16", "desiredNodes": 2},
    }
    assert wizard.command.command.startswith(f"api.post('{P}/kube', name='lab-08'")
    assert list(wizard.version.options) == ["latest (the API's default)"]
    other = widgets.ClusterWizard(api, nodes=0, versions=["1.31"])  # type: ignore[arg-type]
    other.version.value = "1.31"
    assert other.body()["version"] == "1.31" and "version='1.31'" in other.command.command


def test_the_wizard_creates_once_and_waits_until_ready() -> None:
    api = FakeOvh()
    wizard = widgets.ClusterWizard(api, nodes=0)  # type: ignore[arg-type]
    created = wizard.create(name="lab-08", region="GRA11")
    assert created["status"] == "READY"
    assert [c for c in api.calls if c[0] == "POST"] == [
        ("POST", f"{P}/kube", {"name": "lab-08", "region": "GRA11"})
    ]
    assert wizard.create()["id"] == created["id"]  # a second press creates nothing
    assert len([c for c in api.calls if c[0] == "POST"]) == 1
    assert wizard.message.kind == "ok" and "READY" in wizard.message.text


def test_the_wizard_shows_a_refusal_without_a_traceback() -> None:
    api = FakeOvh()
    wizard = widgets.ClusterWizard(api, nodes=0)  # type: ignore[arg-type]
    wizard.region.options = ["XX1"]
    wizard._on_click()
    assert wizard.message.kind == "error" and "Invalid region XX1" in wizard.message.text


def test_the_meter_prices_tears_down_only_the_lab_and_scans() -> None:
    api = FakeOvh()
    api.add("lab-08", ("workers", "b3-8", 2))
    api.add("prod", ("p", "b3-16", 3))
    meter = widgets.CostMeter(api, PRICES, prefix="lab-08", real=False)  # type: ignore[arg-type]
    assert "per hour" in meter.figures.value and "(not the lab)" in meter.figures.value
    assert meter.scan() == ["cluster lab-08 (k1): READY", "  pool workers: 2 x b3-8 (READY)"]
    assert meter.teardown() == ["deleted cluster lab-08 (k1)"]
    assert [c[1] for c in api.calls if c[0] == "DELETE"] == [f"{P}/kube/k1"]
    assert meter.scan() == [] and meter.message.kind == "ok"
    assert [line.cluster for line in meter.bill.lines] == ["prod", "prod"]


def test_on_the_real_api_the_meter_deletes_only_when_confirmed() -> None:
    api = FakeOvh()
    api.add("lab-08", ("workers", "b3-8", 1))
    meter = widgets.CostMeter(api, PRICES, prefix="lab-08", real=True)  # type: ignore[arg-type]
    assert meter.teardown() == []
    assert "tick the box" in meter.message.text and not any(c[0] == "DELETE" for c in api.calls)
    meter.confirm.value = True
    assert meter.teardown() == ["deleted cluster lab-08 (k1)"]
    assert meter.confirm.value is False  # the next teardown asks again
