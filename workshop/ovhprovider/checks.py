"""Checks of a configuration, with the messages the real provider gives (``tofu validate``).

The real provider validates enumerations with ``helpers.ValidateEnum`` ("Value X is not
among valid values ([a b])"), durations with ``rfc3339.ParseDuration`` ("X does not match
RFC3339 duration"), and the SDK adds ``ConflictsWith``, ``RequiredWith`` and deprecation
warnings. Values still unknown when OpenTofu validates are skipped, as the SDK skips them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from tf.types import Unknown
from tf.utils import Diagnostics

# An RFC 3339 (ISO 8601) duration: PnYnMnWnD, then TnHnMnS (P0D, PT60S, PT1H30M...).
DURATION = re.compile(
    r"-?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?"
)
# Go's time.ParseDuration, for ``timeouts``: "1h", "45m", "50s", "1h30m", "1.5h".
GO_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:h|m|s|ms|us|µs|ns))+")
GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def known(value: Any) -> bool:
    return value is not None and value is not Unknown


def enum(diags: Diagnostics, path: Sequence[Any], value: Any, allowed: Sequence[str]) -> None:
    if known(value) and value not in allowed:
        diags.add_error(
            f"Value {value} is not among valid values ([{' '.join(allowed)}])", path=list(path)
        )


def seconds(text: str) -> int | None:
    """An RFC 3339 duration in seconds (weeks, days, hours, minutes, seconds; years and
    months count for nothing, as in the real provider's parser); None if it is not one."""
    found = DURATION.fullmatch(text)
    if not found:
        return None
    _, _, weeks, days, hours, minutes, secs = (int(g or 0) for g in found.groups())
    total = (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + secs
    return -total if text.startswith("-") else total


def duration(diags: Diagnostics, path: Sequence[Any], value: Any) -> None:
    if known(value) and seconds(str(value)) is None:
        diags.add_error(f"{value} does not match RFC3339 duration", path=list(path))


def go_duration(text: str) -> float | None:
    """Go's ``time.ParseDuration`` in seconds (a ``timeouts`` value), None if invalid."""
    if not GO_DURATION.fullmatch(text):
        return None
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)", text)
    return sum(float(number) * GO_UNITS[unit] for number, unit in parts)


def timeouts(diags: Diagnostics, value: Any) -> None:
    """The ``timeouts`` block: each value a Go duration."""
    if not isinstance(value, dict):
        return
    for name, given in value.items():
        if known(given) and go_duration(str(given)) is None:
            diags.add_error(f'time: invalid duration "{given}"', path=["timeouts", name])


def conflicts(diags: Diagnostics, config: dict[str, Any], name: str, other: str) -> None:
    if present(config.get(name)) and present(config.get(other)):
        diags.add_error(f'"{name}": conflicts with {other}', path=[name])


def required_with(
    diags: Diagnostics, config: dict[str, Any], name: str, others: Iterable[str]
) -> None:
    names = [name, *others]
    if present(config.get(name)) and not all(present(config.get(n)) for n in names):
        diags.add_error(f'"{name}": all of `{",".join(names)}` must be specified', path=[name])


def deprecated(diags: Diagnostics, config: dict[str, Any], name: str, detail: str) -> None:
    if present(config.get(name)):
        diags.add_warning("Argument is deprecated", detail, path=[name])


def present(value: Any) -> bool:
    """Set in the configuration: a value (even unknown), or at least one block."""
    return value is not None and value != []
