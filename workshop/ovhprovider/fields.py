"""Small helpers shared by the resources: attribute shorthands and state conversions."""

from __future__ import annotations

from typing import Any

from tf import schema, types
from tf.types import Unknown

STRING = types.String()
NUMBER = types.Number()
BOOL = types.Bool()


def required(name: str, kind: Any = STRING, *, replace: bool = False) -> schema.Attribute:
    return schema.Attribute(name, kind, required=True, requires_replace=replace)


def optional(
    name: str, kind: Any = STRING, *, computed: bool = False, replace: bool = False
) -> schema.Attribute:
    return schema.Attribute(name, kind, optional=True, computed=computed, requires_replace=replace)


def computed(name: str, kind: Any = STRING, *, sensitive: bool = False) -> schema.Attribute:
    return schema.Attribute(name, kind, computed=True, sensitive=sensitive)


def given(value: Any) -> bool:
    """A value the configuration sets (neither null nor unknown)."""
    return value is not None and value is not Unknown


def empty_as_null(value: Any) -> Any:
    """The API's "" or [] for an optional, non-computed attribute is null in the state (as
    the real provider's legacy SDK treats them), so an unset argument shows no diff."""
    return None if value in ("", [], None) else value


def unknown(state: dict[str, Any], *names: str) -> dict[str, Any]:
    """``state`` with ``names`` marked "(known after apply)"."""
    return {**state, **dict.fromkeys(names, Unknown)}
