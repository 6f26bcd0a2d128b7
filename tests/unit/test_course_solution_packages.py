"""A lab's solution may be a package (``solution/``), loaded once, with relative imports;
and a cleanup may call Python (for names only the cluster knows)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from workshop import course
from workshop.course import actions
from workshop.errors import LabError

LAB = """
title: A lab
duration: 5
objectives: [Learn something]
steps:
  - id: first
    title: First step
    instructions: Do it.
    checks:
      - {kind: exists, object: Deployment/web}
    hints: [A nudge]
    solution:
      - python: solution:start
    cleanup:
      - python: solution:release
"""

INIT = '''
from . import helper

STARTED = []


def start(lab):
    """run the helper"""
    STARTED.append(helper.answer())


def release(lab):
    """let go of what the cluster holds"""
'''


def make_lab(root: Path, *, init: str = INIT) -> Path:
    folder = root / "labs" / "07-sample"
    (folder / "solution").mkdir(parents=True)
    (folder / "lab.yaml").write_text(textwrap.dedent(LAB))
    (folder / "solution" / "__init__.py").write_text(init)
    (folder / "solution" / "helper.py").write_text("def answer():\n    return 42\n")
    return folder


def test_a_package_solution_loads_once_with_its_relative_imports(tmp_path: Path) -> None:
    lab = course.load_lab(make_lab(tmp_path))
    module = course.load_module(lab, "solution")
    assert module.helper.answer() == 42
    assert course.load_module(lab, "solution") is module  # what it started stays reachable
    action = lab.steps[0].solution[0]
    where = "start() in labs/07-sample/solution/__init__.py"
    assert actions.describe(lab, action) == f"run the helper   # {where}"
    cleanup = lab.steps[0].cleanup[0]
    assert actions.describe(lab, cleanup).startswith("let go of what the cluster holds")


def test_a_cleanup_function_that_is_missing_is_named(tmp_path: Path) -> None:
    folder = make_lab(tmp_path, init=INIT.replace("def release", "def other"))
    with pytest.raises(
        LabError, match=r"cleanup\[0\]\.python: solution/__init__.py defines no function 'release'"
    ):
        course.load_lab(folder)
