"""Reading request bodies the way the API does: typed fields, unknown ones refused (pure)."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from workshop.cloud import catalog
from workshop.cloud.protocol import ApiError, bad_request, shown

# Names are checked with fullmatch: ``$`` alone would also accept a trailing newline.
POOL_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
CLUSTER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# Kubernetes' rules for label keys (an optional DNS prefix and a name) and label values.
LABEL_NAME = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
MAX_DEPTH = 32
"""How deeply a body may nest objects and lists (the API's bodies need 5)."""


def parse(raw: bytes) -> Any:
    """The JSON body, ``None`` when empty."""
    if not raw.strip():
        return None
    try:
        value = json.loads(raw)
    except RecursionError as e:
        raise too_deep() from e
    except (UnicodeDecodeError, ValueError) as e:
        raise bad_request(f"Invalid JSON received: {shown(str(e))}") from e
    if _depth(value) > MAX_DEPTH:
        raise too_deep()
    return value


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iterative: the value may be deeper than the stack)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            todo.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            todo.extend((v, level + 1) for v in item)
    return deepest


def too_deep() -> ApiError:
    return bad_request(f"Invalid JSON received: objects and lists nest deeper than {MAX_DEPTH}")


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
    return bad_request(f"[{name}] Given data ({shown(value)}) is not {expected}")


def not_in_enum(name: str, value: str, type_name: str) -> ApiError:
    return bad_request(
        f"[{name}] Given data ({shown(value)}) does not belong to the {type_name} enumeration"
    )


def cluster_name(name: str) -> str:
    if len(name) > 64 or not CLUSTER_NAME.fullmatch(name):
        raise bad_request(
            f"[name] Invalid cluster name {shown(name)}: use at most 64 letters, digits, "
            "'-', '_' or '.', starting with a letter or a digit"
        )
    return name


def pool_name(name: str) -> str:
    if len(name) > catalog.MAX_NAME_LENGTH:
        raise bad_request(
            f"[name] Node pool name {shown(name)} is too long: "
            f"{len(name)} characters, at most {catalog.MAX_NAME_LENGTH}"
        )
    if not POOL_NAME.fullmatch(name):
        raise bad_request(
            f"[name] Invalid node pool name {shown(name)}: only lowercase letters, digits and "
            "'-' are allowed ('_' and '.' are not), starting and ending with a letter or digit"
        )
    return name


def label_key(where: str, key: str) -> str:
    """A Kubernetes label (or taint) key: ``[prefix/]name``, as kube-apiserver checks it."""
    prefix, _, name = key.rpartition("/")
    if (
        not name
        or len(name) > 63
        or not LABEL_NAME.fullmatch(name)
        or ("/" in key and (len(prefix) > 253 or not DNS_SUBDOMAIN.fullmatch(prefix)))
    ):
        raise bad_request(
            f"[{where}] Invalid key {shown(key)}: a name of at most 63 letters, digits, "
            "'-', '_' or '.', with an optional DNS prefix and '/'"
        )
    return key


def label_value(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise wrong_type(where, value, "a string")
    if len(value) > 63 or not LABEL_NAME.fullmatch(value):
        raise bad_request(
            f"[{where}] Invalid label value {shown(value)}: at most 63 letters, digits, "
            "'-', '_' or '.', starting and ending with a letter or a digit"
        )
    return value


def node_labels(where: str, value: dict[str, Any] | None) -> dict[str, str]:
    """Node labels: keys and values as Kubernetes accepts them."""
    return {label_key(where, k): label_value(f"{where}.{k}", v) for k, v in (value or {}).items()}


def node_annotations(where: str, value: dict[str, Any] | None) -> dict[str, str]:
    """Node annotations: Kubernetes keys, string values."""
    result = {}
    for key, text in (value or {}).items():
        if not isinstance(text, str):
            raise wrong_type(f"{where}.{shown(key)}", text, "a string")
        result[label_key(where, key)] = text
    return result


def cidr(value: str) -> str:
    """A CIDR block (a bare address counts as /32 or /128), normalised."""
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError as e:
        raise bad_request(f"[ips] Given data ({shown(value)}) is not a valid IP block") from e
