"""Kubernetes resource quantities as numbers: ``500m`` CPU, ``128Mi`` of memory (pure)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

SUFFIXES: dict[str, Decimal | int] = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
}
_QUANTITY = re.compile(
    r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$"
)


def parse(quantity: str | int | float) -> Decimal:
    """The value of a quantity in base units (cores, bytes)."""
    match = _QUANTITY.match(str(quantity).strip())
    if not match:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}")
    number, suffix = match.groups()
    try:
        return Decimal(number) * Decimal(SUFFIXES[suffix or ""])
    except InvalidOperation as e:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}") from e


def millicores(quantity: str | int | float) -> int:
    return int(parse(quantity) * 1000)


def memory_bytes(quantity: str | int | float) -> int:
    return int(parse(quantity))


def human_bytes(value: int) -> str:
    """``128Mi``-style, rounded: for messages."""
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if value >= size:
            return f"{value / size:.0f}{suffix}"
    return str(value)
