"""Label selectors as kubectl takes them (``app=hello,tier!=db,env in (a,b),!legacy``).

Checks pass selectors to the API server as they are; this module validates them when a lab
loads, and matches them for in-memory clusters (``workshop.course.recorded``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_KEY = r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?"
_VALUE = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET = re.compile(rf"^({_KEY})\s+(in|notin)\s+\(\s*({_VALUE}(?:\s*,\s*{_VALUE})*)\s*\)$")
_EQUALITY = re.compile(rf"^({_KEY})\s*(==|=|!=)\s*({_VALUE})$")
_EXISTS = re.compile(rf"^(!?)\s*({_KEY})$")


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "exists":
            return present
        if self.operator == "!exists":
            return not present
        if self.operator == "in":
            return present and labels[self.key] in self.values
        return not present or labels[self.key] not in self.values


def parse(selector: str) -> tuple[Requirement, ...]:
    """Parse a selector; ``ValueError`` names the part that is not one."""
    requirements = []
    for part in _split(selector):
        if found := _SET.match(part):
            key, operator, values = found.groups()
            requirements.append(
                Requirement(key, operator, frozenset(v.strip() for v in values.split(",")))
            )
        elif found := _EQUALITY.match(part):
            key, operator, value = found.groups()
            requirements.append(
                Requirement(key, "notin" if operator == "!=" else "in", frozenset({value}))
            )
        elif found := _EXISTS.match(part):
            bang, key = found.groups()
            requirements.append(Requirement(key, "!exists" if bang else "exists"))
        else:
            raise ValueError(f"bad label selector {selector!r}: cannot read {part!r}")
    if not requirements:
        raise ValueError("empty label selector")
    return tuple(requirements)


def matches(selector: str | None, labels: Mapping[str, str] | None) -> bool:
    """Whether an object with ``labels`` is selected (no selector selects everything)."""
    if not selector:
        return True
    return all(r.matches(labels or {}) for r in parse(selector))


def _split(selector: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return [p for p in parts if p] if any(parts) else []
