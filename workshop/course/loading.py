"""Finding and loading labs: ``labs/NN-slug/lab.yaml``, validated against ``schema``.

A bad lab file raises ``LabError`` naming the file, the field and the problem, e.g.
``labs/04-hello-world/lab.yaml: steps[2].checks[0].kind: unknown check kind 'exist'``.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from workshop.course import schema
from workshop.errors import LabError

LAB_FILE = "lab.yaml"
_FOLDER = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
_MAX_ERRORS = 6


@dataclass(frozen=True)
class Lab:
    """One lab: its folder ``NN-slug`` and its validated ``lab.yaml``."""

    id: str  # "04-hello-world"
    dir: Path
    spec: schema.LabSpec
    prefix: str = ""  # a class learner's namespace prefix (see ``within``)

    @property
    def number(self) -> str:
        return self.id[:2]

    @property
    def slug(self) -> str:
        return self.id[3:]

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def steps(self) -> list[schema.Step]:
        return self.spec.steps

    @property
    def namespace(self) -> str:
        """Where the lab works: ``namespace`` from lab.yaml, default ``lab-NN``, after the
        learner's prefix in a class (``k8s101-alice-lab-04``)."""
        return self.prefix + self.base_namespace

    @property
    def base_namespace(self) -> str:
        return self.spec.namespace or f"lab-{self.number}"

    def within(self, prefix: str) -> Lab:
        """The same lab, for a learner whose namespaces start with ``prefix``."""
        return dataclasses.replace(self, prefix=prefix)

    def localize(self, text: str) -> str:
        """``text`` (a hint, a command) with the lab's namespace as this learner's."""
        if not self.prefix:
            return text
        pattern = rf"(?<![\w.-]){re.escape(self.base_namespace)}(?![\w-])"
        return re.sub(pattern, self.namespace, text)

    @property
    def file(self) -> Path:
        return self.dir / LAB_FILE

    def step(self, ref: str | int) -> schema.Step:
        """A step by id (``scale``) or by number from 1 (``3``)."""
        text = str(ref).strip()
        for step in self.steps:
            if step.id == text:
                return step
        if text.isdigit() and 1 <= int(text) <= len(self.steps):
            return self.steps[int(text) - 1]
        known = ", ".join(f"{i}:{s.id}" for i, s in enumerate(self.steps, 1))
        raise LabError(
            f"lab {self.id} has no step {text!r}",
            hint=f"steps: {known}",
        )

    def steps_upto(self, ref: str | int | None) -> list[schema.Step]:
        """The steps from the first to ``ref`` included (every step when ``None``)."""
        if ref is None:
            return list(self.steps)
        last = self.steps.index(self.step(ref))
        return self.steps[: last + 1]


def labs_dir() -> Path:
    """``$WORKSHOP_LABS``, else ``labs/`` of this checkout, else ``./labs``."""
    configured = os.environ.get("WORKSHOP_LABS")
    candidates = (
        [Path(configured).expanduser()]
        if configured
        else [Path(__file__).resolve().parents[2] / "labs", Path.cwd() / "labs"]
    )
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise LabError(
        f"no labs folder at {', '.join(map(str, candidates))}",
        hint="run from the workshop's folder, or set WORKSHOP_LABS to its labs/ folder",
    )


def lab_folders(root: Path | None = None) -> list[Path]:
    root = root or labs_dir()
    return sorted(p for p in root.iterdir() if p.is_dir() and _FOLDER.match(p.name))


def list_labs(root: Path | None = None) -> list[Lab]:
    """Every lab, in order; a broken lab file raises ``LabError``."""
    return [load_lab(folder) for folder in lab_folders(root)]


def find_lab(ref: str, root: Path | None = None) -> Lab:
    """A lab by ``04``, ``3``, ``04-hello-world`` or ``hello-world`` (only that one is loaded)."""
    text = ref.strip().rstrip("/").split("/")[-1]
    if text.isdigit():
        text = f"{int(text):02d}"
    folders = lab_folders(root)
    for folder in folders:
        number, slug = _FOLDER.match(folder.name).groups()  # type: ignore[union-attr]
        if text in (folder.name, number, slug):
            return load_lab(folder)
    raise LabError(
        f"no lab {ref!r}",
        hint="labs: " + ", ".join(f.name for f in folders) if folders else "labs/ is empty",
    )


def load_lab(folder: Path) -> Lab:
    """Load and validate ``folder/lab.yaml``, and the files its solutions name."""
    folder = Path(folder)
    shown = f"{folder.parent.name}/{folder.name}/{LAB_FILE}"
    if not _FOLDER.match(folder.name):
        raise LabError(
            f"{shown}: the lab folder must be named NN-slug (e.g. 04-hello-world)", path=shown
        )
    try:
        text = (folder / LAB_FILE).read_text()
    except OSError as e:
        raise LabError(f"{shown}: cannot read it: {e.strerror}", path=shown) from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f"line {where.line + 1}, column {where.column + 1}: " if where else ""
        problem = getattr(e, "problem", None) or str(e)
        raise LabError(f"{shown}: {at}{problem}", path=shown) from e
    if not isinstance(data, dict):
        raise LabError(f"{shown}: expected a mapping (title, steps, ...)", path=shown)
    try:
        spec = schema.LabSpec.model_validate(data)
    except ValidationError as e:
        raise _lab_error(shown, _problems(e)) from e
    lab = Lab(folder.name, folder, spec)
    problems = list(_cross_checks(lab))
    if problems:
        raise _lab_error(shown, problems)
    return lab


def _lab_error(shown: str, problems: list[tuple[str, str]]) -> LabError:
    lines = [
        f"{shown}: {where}: {what}" if where else f"{shown}: {what}" for where, what in problems
    ]
    if len(lines) > _MAX_ERRORS:
        lines = [*lines[:_MAX_ERRORS], f"... and {len(lines) - _MAX_ERRORS} more"]
    return LabError(
        "\n".join(lines),
        path=shown,
        field=problems[0][0],
        hint="the lab.yaml format is described in workshop/course/schema.py",
    )


def _problems(error: ValidationError) -> list[tuple[str, str]]:
    """Every problem, except a missing field that a typo next to it explains."""
    described = [_describe(e) for e in error.errors()]
    explained = {suggested for _, _, suggested in described if suggested}
    return [
        (where, what)
        for where, what, _ in described
        if not (what == "missing (required)" and where in explained)
    ]


def _describe(error: Any) -> tuple[str, str, str | None]:
    """A pydantic error as (field path, problem, field a typo probably meant)."""
    loc: list[str | int] = list(error["loc"])
    # tagged unions insert the tag into the location: checks[0].exists.fields -> checks[0].fields
    loc = [
        part
        for i, part in enumerate(loc)
        if not (part in schema.CHECK_KINDS and i > 0 and isinstance(loc[i - 1], int))
    ]
    kind, ctx = error["type"], error.get("ctx") or {}
    known = ", ".join(schema.CHECK_KINDS)
    if kind == "union_tag_invalid":
        problem = f"unknown check kind {ctx.get('tag')!r}; known: {known}"
        return _where([*loc, "kind"]), problem, None
    if kind == "union_tag_not_found":
        return _where([*loc, "kind"]), f"missing; known check kinds: {known}", None
    if kind == "missing":
        return _where(loc), "missing (required)", None
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), schema.FIELD_NAMES, n=1) if loc else []
        if close:
            meant = _where([*loc[:-1], close[0]])
            return _where(loc), f"unknown field (did you mean {close[0]!r}?)", meant
        return _where(loc), "unknown field", None
    message = str(error["msg"]).removeprefix("Value error, ")
    return _where(loc), message[:1].lower() + message[1:], None


def _where(loc: list[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def _cross_checks(lab: Lab) -> Iterator[tuple[str, str]]:
    """What the schema cannot see: unique step ids, and files the solutions name."""
    seen: dict[str, int] = {}
    for i, step in enumerate(lab.steps):
        if step.id in seen:
            yield f"steps[{i}].id", f"duplicate step id {step.id!r} (also steps[{seen[step.id]}])"
        seen.setdefault(step.id, i)
        acts = [("solution", j, a) for j, a in enumerate(step.solution)]
        acts += [("breaks", j, a) for j, a in enumerate(step.breaks)]
        for part, j, action in acts:
            where = f"steps[{i}].{part}[{j}]"
            if action.apply is not None:
                yield from _check_manifests(lab, action.apply, f"{where}.apply")
            if action.python is not None:
                yield from _check_python(lab, action.python, f"{where}.python")
        for j, cleanup in enumerate(step.cleanup):
            if cleanup.python is not None:
                yield from _check_python(lab, cleanup.python, f"steps[{i}].cleanup[{j}].python")
    names = [f.name for f in lab_folders(lab.dir.parent)]
    for i, ref in enumerate(lab.spec.prerequisites):
        if not any(ref in (name, name[:2]) for name in names):
            yield f"prerequisites[{i}]", f"no lab {ref!r}; labs: {', '.join(names)}"


def manifest_files(lab: Lab, relative: str) -> list[Path]:
    """The YAML files an ``apply`` names: one file, or a folder's *.yaml/*.yml, sorted."""
    path = (lab.dir / relative).resolve()
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    return [path]


def load_manifests(lab: Lab, relative: str) -> list[dict[str, Any]]:
    """Every object in the files an ``apply`` names (empty YAML documents skipped)."""
    found: list[dict[str, Any]] = []
    for file in manifest_files(lab, relative):
        found.extend(doc for doc in yaml.safe_load_all(file.read_text()) if doc)
    return found


def _check_manifests(lab: Lab, relative: str, where: str) -> Iterator[tuple[str, str]]:
    path = (lab.dir / relative).resolve()
    if not path.is_relative_to(lab.dir.resolve()):
        yield where, f"{relative!r} is outside the lab folder"
        return
    if not path.exists():
        yield where, f"no such file or folder {relative!r} in {lab.dir.name}/"
        return
    try:
        docs = load_manifests(lab, relative)
    except yaml.YAMLError as e:
        yield where, f"{relative}: not valid YAML: {getattr(e, 'problem', None) or e}"
        return
    if not docs:
        yield where, f"{relative}: no manifests in it"
    for n, doc in enumerate(docs):
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        if not (isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind") and meta):
            yield where, f"{relative}: document {n + 1} needs apiVersion, kind and metadata.name"
        elif not isinstance(meta, dict) or not meta.get("name"):
            yield where, f"{relative}: document {n + 1} ({doc['kind']}) needs metadata.name"


def module_file(lab: Lab, module: str) -> Path:
    """Where a lab's Python module lives: ``module.py``, or a package ``module/__init__.py``."""
    single = lab.dir / f"{module}.py"
    package = lab.dir / module / "__init__.py"
    return package if not single.exists() and package.exists() else single


def _check_python(lab: Lab, ref: str, where: str) -> Iterator[tuple[str, str]]:
    module, function = ref.split(":")
    path = module_file(lab, module)
    if not path.exists():
        yield where, f"no {module}.py (nor {module}/__init__.py) in {lab.dir.name}/"
        return
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except SyntaxError as e:
        yield where, f"{path.relative_to(lab.dir)} line {e.lineno}: {e.msg}"
        return
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    if function not in defined:
        yield where, f"{path.relative_to(lab.dir)} defines no function {function!r}"
