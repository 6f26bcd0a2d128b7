"""Checks on any object: it exists (with given fields), it is gone, it has a condition."""

from __future__ import annotations

import re
from typing import Any

from workshop.course import fieldpath
from workshop.course.checks.base import (
    CheckResult,
    Object,
    Reader,
    condition,
    deleting,
    failed,
    name_of,
    passed,
)
from workshop.course.schema import AbsentCheck, ConditionCheck, ExistsCheck, FieldTest

EVENTS_EXPIRE = (
    "events are kept for an hour only (kube-apiserver --event-ttl): "
    "if you did this more than an hour ago, do it again"
)


def exists(reader: Reader, check: ExistsCheck, namespace: str) -> CheckResult:
    target = check.target
    if target.name is None:
        return _any_exists(reader, check, namespace)
    obj = reader.get(target.api_version, target.kind, target.name, namespace)
    if obj is None:
        return failed(
            f"{target.show()} not found{target.where(namespace)}",
            hint=f"`{target.kubectl('get', namespace, named=False)}` lists what is there",
        )
    if deleting(obj):
        return failed(f"{target.show()} is being deleted{target.where(namespace)}")
    problems = field_problems(obj, check.fields)
    if problems:
        return failed(
            f"{target.show()}: {'; '.join(problems)}",
            hint=f"`{target.kubectl('get', namespace, '-o', 'yaml')}` shows all its fields",
        )
    return passed(f"{target.show()} exists{_with(check.fields)}")


def _any_exists(reader: Reader, check: ExistsCheck, namespace: str) -> CheckResult:
    target = check.target
    kind = target.kind.lower()
    selected = f" with {check.selector}" if check.selector else ""
    found = [
        o
        for o in reader.list(
            target.api_version, target.kind, namespace=namespace, label_selector=check.selector
        )
        if not deleting(o)
    ]
    expired = f"; {EVENTS_EXPIRE}" if target.kind == "Event" else ""
    if not found:
        return failed(
            f"no {kind}{selected}{target.where(namespace)}{expired}",
            hint=f"`{target.kubectl('get', namespace)}` lists what is there",
        )
    first_problems: list[str] = []
    for obj in found:
        problems = field_problems(obj, check.fields)
        if not problems:
            return passed(f"{kind} {name_of(obj)}{selected} exists{_with(check.fields)}")
        first_problems = first_problems or [f"{name_of(obj)}: {'; '.join(problems)}"]
    return failed(
        f"no {kind}{selected}{target.where(namespace)} has {_expectations(check.fields)} "
        f"({len(found)} found; {first_problems[0]}){expired}",
        hint=f"`{target.kubectl('get', namespace, '-o', 'yaml')}` shows their fields",
    )


def absent(reader: Reader, check: AbsentCheck, namespace: str) -> CheckResult:
    target = check.target
    assert target.name is not None  # the schema requires it
    obj = reader.get(target.api_version, target.kind, target.name, namespace)
    if obj is None:
        return passed(f"{target.show()} does not exist{target.where(namespace)}")
    if deleting(obj):
        return failed(
            f"{target.show()} is being deleted{target.where(namespace)}",
            hint="deletion waits for finalizers; check again in a moment",
        )
    return failed(
        f"{target.show()} still exists{target.where(namespace)}",
        hint=f"`{target.kubectl('delete', namespace)}` removes it",
    )


def has_condition(reader: Reader, check: ConditionCheck, namespace: str) -> CheckResult:
    target = check.target
    assert target.name is not None  # the schema requires it
    obj = reader.get(target.api_version, target.kind, target.name, namespace)
    describe = f"`{target.kubectl('describe', namespace)}` shows its conditions and events"
    if obj is None:
        return failed(f"{target.show()} not found{target.where(namespace)}", hint=describe)
    found = condition(obj, check.type)
    if found is None:
        return failed(f"{target.show()} has no condition {check.type} yet", hint=describe)
    status, reason = str(found.get("status")), found.get("reason")
    why = ": ".join(str(x) for x in (reason, found.get("message")) if x)
    if status != check.status:
        return failed(
            f"{target.show()}: condition {check.type} is {status}, expected {check.status}"
            + (f" ({why})" if why else ""),
            hint=describe,
        )
    if check.reason and reason != check.reason:
        return failed(
            f"{target.show()}: condition {check.type} has reason {reason!r}, "
            f"expected {check.reason!r}",
            hint=describe,
        )
    return passed(f"{target.show()}: condition {check.type} is {status}")


def field_problems(obj: Object, tests: list[FieldTest]) -> list[str]:
    """What differs from the expected fields, one phrase per field (empty: all match)."""
    problems = []
    for test in tests:
        value = fieldpath.get(obj, test.path)
        problem = _compare(test, value)
        if problem:
            problems.append(f"{test.path} is {fieldpath.show(value)}, {problem}")
    return problems


def _compare(test: FieldTest, value: Any) -> str | None:
    operator = test.operator
    if operator == "present":
        there = value is not fieldpath.MISSING and value not in (None, "")
        return (
            None
            if there == test.present
            else ("expected it set" if test.present else "expected it unset")
        )
    if operator == "equals":
        return None if _same(value, test.equals) else f"expected {fieldpath.show(test.equals)}"
    if operator == "matches":
        ok = isinstance(value, str) and re.search(test.matches or "", value)
        return None if ok else f"expected it to match {test.matches!r}"
    number = _number(value)
    bound = test.at_least if operator == "at_least" else test.at_most
    words = "at least" if operator == "at_least" else "at most"
    if number is None:
        return f"expected a number {words} {_plain(bound)}"
    inside = number >= (bound or 0) if operator == "at_least" else number <= (bound or 0)
    return None if inside else f"expected {words} {_plain(bound)}"


def _same(value: Any, expected: Any) -> bool:
    if isinstance(value, bool) or isinstance(expected, bool):
        return value is expected  # true is not 1
    return bool(value == expected)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _plain(number: float | None) -> str:
    return "?" if number is None else (str(int(number)) if number == int(number) else str(number))


def _expectations(tests: list[FieldTest]) -> str:
    parts = []
    for t in tests:
        if t.operator == "equals":
            parts.append(f"{t.path} = {fieldpath.show(t.equals)}")
        elif t.operator == "present":
            parts.append(f"{t.path} {'set' if t.present else 'unset'}")
        elif t.operator == "matches":
            parts.append(f"{t.path} matching {t.matches!r}")
        else:
            bound = t.at_least if t.operator == "at_least" else t.at_most
            parts.append(f"{t.path} {t.operator.replace('_', ' ')} {_plain(bound)}")
    return ", ".join(parts)


def _with(tests: list[FieldTest]) -> str:
    return f" with {_expectations(tests)}" if tests else ""
