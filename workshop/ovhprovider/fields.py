"""Small helpers shared by the resources: attribute shorthands and state conversions."""

from __future__ import annotations

from typing import Any

from tf import schema, types
from tf.types import Unknown

from workshop.ovhprovider.blocks import Block


class Number(types.Number):
    """A number. OpenTofu sends one that a float64 cannot hold exactly (``0.4``) as its
    decimal text; the API wants a JSON number."""

    def decode(self, value: Any) -> Any:
        if isinstance(value, str):
            number = float(value)
            return int(number) if number.is_integer() and "." not in value else number
        return value


STRING = types.String()
NUMBER = Number()
BOOL = types.Bool()
STRINGS = types.List(types.String())
STRING_SET = types.Set(types.String())
TIMEOUTS = ("create", "read", "update", "delete", "default")


def required(name: str, kind: Any = STRING, *, replace: bool = False) -> schema.Attribute:
    return schema.Attribute(name, kind, required=True, requires_replace=replace)


def optional(
    name: str,
    kind: Any = STRING,
    *,
    computed: bool = False,
    replace: bool = False,
    deprecated: bool | None = None,
) -> schema.Attribute:
    return schema.Attribute(
        name,
        kind,
        optional=True,
        computed=computed,
        requires_replace=replace,
        deprecated=deprecated,
    )


def computed(name: str, kind: Any = STRING, *, sensitive: bool = False) -> schema.Attribute:
    return schema.Attribute(name, kind, computed=True, sensitive=sensitive)


def identifier() -> schema.Attribute:
    """``id``: the SDK adds it to every resource, optional and computed."""
    return optional("id", computed=True)


def timeouts() -> Block:
    """``timeouts { create = "1h" ... }``: the SDK's single block for a resource's waits."""
    return Block("timeouts", *(optional(name) for name in TIMEOUTS), single=True)


def given(value: Any) -> bool:
    """A value the configuration sets (neither null nor unknown)."""
    return value is not None and value is not Unknown


def empty_as_null(value: Any) -> Any:
    """The API's "" or [] for an optional, non-computed attribute is null in the state (as
    the real provider's legacy SDK treats them), so an unset argument shows no diff."""
    return None if value in ("", [], None) else value


def first(value: Any) -> dict[str, Any] | None:
    """The element of a one-element block (a set of at most one), None when there is none."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return None


def keep_order(found: list[Any], wanted: Any) -> list[Any]:
    """The API's list in the configuration's order when both hold the same items (the real
    provider's sets ignore the order; a plan here must match exactly)."""
    if isinstance(wanted, list) and sorted(map(str, wanted)) == sorted(map(str, found)):
        return list(wanted)
    return list(found)


def unknown(state: dict[str, Any], *names: str) -> dict[str, Any]:
    """``state`` with ``names`` marked "(known after apply)"."""
    return {**state, **dict.fromkeys(names, Unknown)}
