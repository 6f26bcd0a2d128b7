"""Simple paths into an object, as checks name fields: ``spec.replicas``,
``spec.template.spec.containers[0].image``, ``spec.containers[name=hello].image``,
``metadata.annotations[deployment.kubernetes.io/revision]``.

A bracket holds a list index, a ``key=value`` match (the first list item whose ``key``
equals ``value``), or a map key that contains dots or slashes (optionally quoted).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
_TOKEN = re.compile(r"\[([^\]]*)\]|\.?([^.\[\]]+)")


@dataclass(frozen=True)
class Step:
    """One hop: a map key, a list index, or the first list item with ``match_key == key``."""

    key: str | None = None
    index: int | None = None
    match_key: str | None = None


def parse(path: str) -> tuple[Step, ...]:
    """Split a path into hops; ``ValueError`` says what is wrong with it."""
    if not path or path.startswith(".") or path.endswith("."):
        raise ValueError(f"bad field path {path!r}: expected e.g. spec.replicas")
    if ".." in path:
        raise ValueError(f"bad field path {path!r}: empty name between two dots")
    steps: list[Step] = []
    position = 0
    while position < len(path):
        found = _TOKEN.match(path, position)
        if not found or found.end() == position:
            raise ValueError(f"bad field path {path!r} at character {position + 1}")
        bracket, key = found.groups()
        if key is not None:
            if position > 0 and path[position] != ".":
                raise ValueError(f"bad field path {path!r} at character {position + 1}")
            steps.append(Step(key=key))
        else:
            steps.append(_bracket(path, bracket.strip()))
        position = found.end()
    return tuple(steps)


def _bracket(path: str, inside: str) -> Step:
    if not inside:
        raise ValueError(f"bad field path {path!r}: empty []")
    if inside.isdigit():
        return Step(index=int(inside))
    if inside[0] in "'\"" and inside[-1] == inside[0] and len(inside) >= 2:
        return Step(key=inside[1:-1])
    name, sep, value = inside.partition("=")
    if sep and name and "/" not in name and "." not in name:
        return Step(key=value.strip().strip("'\""), match_key=name.strip())
    return Step(key=inside)


def get(obj: Any, path: str | tuple[Step, ...]) -> Any:
    """The value at ``path`` in ``obj``, or ``MISSING``."""
    current = obj
    for step in parse(path) if isinstance(path, str) else path:
        if step.index is not None:
            if not isinstance(current, list) or step.index >= len(current):
                return MISSING
            current = current[step.index]
        elif step.match_key is not None:
            if not isinstance(current, list):
                return MISSING
            matches = [
                item
                for item in current
                if isinstance(item, dict) and str(item.get(step.match_key)) == step.key
            ]
            if not matches:
                return MISSING
            current = matches[0]
        else:
            if not isinstance(current, dict) or step.key not in current:
                return MISSING
            current = current[step.key]
    return current


def show(value: Any) -> str:
    """A value as a learner reads it in a message: strings quoted, the rest as YAML would."""
    if value is MISSING:
        return "missing"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)
