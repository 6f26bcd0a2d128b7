"""What Managed Kubernetes resources cost: a dated price table (data) and a bill (pure logic).

``PriceTable.load(path)`` reads a lab's ``prices.yaml``; ``bill(found, table)`` turns the
clusters and node pools the OVHcloud API lists into priced lines; ``Bill.hourly`` and
``Bill.monthly`` add them up. A flavor missing from the table is shown unpriced, never
guessed; a price the table marks ``verified: false`` (read from a third party, not from
OVHcloud) is shown with "indicative, as of DATE", never as a fact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workshop.errors import WorkshopError

Object = dict[str, Any]


@dataclass(frozen=True)
class Price:
    hourly: float
    source: str
    verified: bool = True
    as_of: str | None = None
    """When the figure was read, if not on the table's date."""

    @classmethod
    def read(cls, entry: dict[str, Any]) -> Price:
        as_of = entry.get("as_of")
        return cls(
            float(entry["hourly"]),
            str(entry["source"]),
            verified=bool(entry.get("verified", True)),
            as_of=str(as_of) if as_of is not None else None,
        )


@dataclass(frozen=True)
class PriceTable:
    currency: str
    date: str
    official: str
    hours_per_month: float
    nodes: dict[str, Price]
    control_plane: dict[str, Price]

    @classmethod
    def load(cls, path: Path | str) -> PriceTable:
        try:
            data = yaml.safe_load(Path(path).read_text())
            return cls(
                currency=str(data["currency"]),
                date=str(data["date"]),
                official=str(data["official"]),
                hours_per_month=float(data["hours_per_month"]),
                nodes={k: Price.read(v) for k, v in data["nodes"].items()},
                control_plane={
                    k: Price.read(v) for k, v in (data.get("control_plane") or {}).items()
                },
            )
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as e:
            raise WorkshopError(
                f"cannot read the price table {path}: {e}",
                hint="it needs currency, date, official, hours_per_month and nodes",
            ) from e

    def caveat(self) -> str:
        """The line every figure is shown with: prices change."""
        return (
            f"Prices as of {self.date}, excluding VAT, from the lab's price table; they change: "
            f"see {self.official} for today's."
        )

    def label(self, price: Price) -> str | None:
        """What a price not read from OVHcloud must be shown with; None for a checked one."""
        if price.verified:
            return None
        return f"indicative, as of {price.as_of or self.date}"


@dataclass(frozen=True)
class Line:
    cluster: str
    what: str
    """``control plane`` or ``pool NAME``."""
    flavor: str | None
    nodes: int
    hourly: float | None
    """None when the table has no price for it."""
    ours: bool
    """Created by this lab (the teardown deletes it)."""
    label: str | None = None
    """``indicative, as of DATE`` when the price is not a checked one."""


@dataclass(frozen=True)
class Bill:
    lines: list[Line] = field(default_factory=list)
    hours_per_month: float = 730.0

    @property
    def hourly(self) -> float:
        return sum(line.hourly or 0.0 for line in self.lines)

    @property
    def monthly(self) -> float:
        return self.hourly * self.hours_per_month

    @property
    def unpriced(self) -> list[Line]:
        return [line for line in self.lines if line.hourly is None]

    @property
    def indicative(self) -> list[Line]:
        return [line for line in self.lines if line.label and line.hourly is not None]


def bill(
    found: Iterable[tuple[Object, list[Object]]],
    table: PriceTable,
    *,
    ours: Callable[[str], bool] = lambda _name: True,
) -> Bill:
    """Priced lines for each cluster (its control plane) and each of its node pools.

    A pool is billed for the nodes it has (``currentNodes``), or asks for while it grows.
    """
    lines = []
    for cluster, pools in found:
        name = str(cluster.get("name") or cluster.get("id"))
        mine = ours(name)
        plan = str(cluster.get("plan") or "free")
        plane = table.control_plane.get(plan)
        lines.append(
            Line(
                name,
                f"control plane ({plan})",
                None,
                0,
                plane.hourly if plane else None,
                mine,
                table.label(plane) if plane else None,
            )
        )
        for pool in pools:
            flavor = str(pool.get("flavor") or pool.get("flavorName") or "?")
            nodes = max(int(pool.get("currentNodes") or 0), int(pool.get("desiredNodes") or 0))
            price = table.nodes.get(flavor)
            hourly = price.hourly * nodes if price else None
            label = table.label(price) if price else None
            lines.append(Line(name, f"pool {pool.get('name')}", flavor, nodes, hourly, mine, label))
    return Bill(lines, table.hours_per_month)


def money(amount: float | None, currency: str) -> str:
    if amount is None:
        return "no price in the table"
    symbol = {"EUR": "€", "USD": "$", "GBP": "£"}.get(currency)
    figure = f"{amount:,.4f}" if amount < 1 else f"{amount:,.2f}"
    return f"{symbol}{figure}" if symbol else f"{figure} {currency}"
