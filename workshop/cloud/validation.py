"""Reading request bodies the way the API does: typed fields, unknown ones refused (pure)."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from workshop.cloud import catalog
from workshop.cloud.protocol import ApiError, bad_request

POOL_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def parse(raw: bytes) -> Any:
    """The JSON body, ``None`` when empty."""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as e:
        raise bad_request(f"Invalid JSON received: {e}") from e


class Body:
    """One JSON object body; each accessor checks a field's type, ``known`` lists them all."""

    def __init__(self, data: Any, *, known: tuple[str, ...], immutable: tuple[str, ...] = ()):
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise bad_request("Invalid body: a JSON object is expected")
        for name in data:
            if name in immutable:
                raise bad_request(f"[{name}] can not be modified once set")
            if name not in known:
                raise bad_request(
                    f"Invalid body parameter '{name}'; allowed: {', '.join(sorted(known))}"
                )
        self.data: dict[str, Any] = data

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def string(self, name: str, *, required: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise missing(name)
            return None
        if not isinstance(value, str):
            raise wrong_type(name, value, "a string")
        return value

    def integer(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong_type(name, value, "an integer")
        return value

    def number(self, name: str) -> float | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong_type(name, value, "a number")
        return float(value)

    def boolean(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise wrong_type(name, value, "a boolean")
        return value

    def obj(self, name: str) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise wrong_type(name, value, "an object")
        return value

    def strings(self, name: str) -> list[str] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise wrong_type(name, value, "a list of strings")
        return value

    def enum(self, name: str, allowed: tuple[str, ...] | list[str], type_name: str) -> str | None:
        value = self.string(name)
        if value is not None and value not in allowed:
            raise not_in_enum(name, value, type_name)
        return value


def missing(name: str) -> ApiError:
    return bad_request(f"[{name}] Property is mandatory")


def wrong_type(name: str, value: Any, expected: str) -> ApiError:
    return bad_request(f"[{name}] Given data ({json.dumps(value)}) is not {expected}")


def not_in_enum(name: str, value: str, type_name: str) -> ApiError:
    return bad_request(
        f"[{name}] Given data ({value}) does not belong to the {type_name} enumeration"
    )


def cluster_name(name: str) -> str:
    if len(name) > 64 or not CLUSTER_NAME.match(name):
        raise bad_request(
            f"[name] Invalid cluster name {name!r}: use at most 64 letters, digits, "
            "'-', '_' or '.', starting with a letter or a digit"
        )
    return name


def pool_name(name: str) -> str:
    if len(name) > catalog.MAX_NAME_LENGTH:
        raise bad_request(
            f"[name] Node pool name {name!r} is too long: "
            f"{len(name)} characters, at most {catalog.MAX_NAME_LENGTH}"
        )
    if not POOL_NAME.match(name):
        raise bad_request(
            f"[name] Invalid node pool name {name!r}: only lowercase letters, digits and "
            "'-' are allowed ('_' and '.' are not), starting and ending with a letter or digit"
        )
    return name


def cidr(value: str) -> str:
    """A CIDR block (a bare address counts as /32 or /128), normalised."""
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError as e:
        raise bad_request(f"[ips] Given data ({value}) is not a valid IP block") from e
