"""Reading the YAML a learner typed, and showing what applying it would change.

``parse`` turns editor text into manifests or a ``ManifestError`` that names the document,
the line and the problem. ``diff`` compares the live object with the server's dry run, the
way ``kubectl diff`` does, leaving out the fields the server manages.
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml

from workshop.widgets.errors import ManifestError

Object = dict[str, Any]
_NOISE = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation")


def parse(text: str) -> list[Object]:
    """Every manifest in ``text`` (``---`` separates them); empty documents are skipped."""
    if not text.strip():
        raise ManifestError(
            "the editor is empty", hint="type or paste a manifest (apiVersion, kind, metadata...)"
        )
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        where = f"line {line}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        context = getattr(e, "context", None)
        detail = f"{problem} ({context})" if context else str(problem)
        raise ManifestError(
            f"not valid YAML: {where}{detail}",
            line=line,
            hint="YAML indents with spaces, never tabs; a list item starts with '- '",
        ) from e
    found: list[Object] = []
    for number, doc in enumerate(documents, 1):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ManifestError(
                f"document {number} is a {type(doc).__name__}, not a manifest",
                document=number,
                hint="a manifest is a mapping: apiVersion, kind, metadata, spec",
            )
        missing = [f for f in ("apiVersion", "kind") if not doc.get(f)]
        meta = doc.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            missing.append("metadata.name")
        if missing:
            what = f"{doc.get('kind')} " if doc.get("kind") else ""
            raise ManifestError(
                f"document {number} ({what}manifest) lacks {', '.join(missing)}",
                document=number,
                hint="`kubectl explain deployment` (or any kind) shows what goes where",
            )
        found.append(doc)
    if not found:
        raise ManifestError(
            "no manifest in the editor (only empty documents)",
            hint="a manifest starts with apiVersion and kind; `---` separates several",
        )
    return found


def name_of(obj: Object) -> str:
    """``deployment/hello``, as kubectl prints it."""
    return f"{str(obj.get('kind', '?')).lower()}/{(obj.get('metadata') or {}).get('name', '?')}"


def clean(obj: Object | None) -> Object | None:
    """The object without what the server alone manages (and without ``status``)."""
    if obj is None:
        return None
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _NOISE}
    annotations = {
        k: v
        for k, v in (meta.get("annotations") or {}).items()
        if k != "kubectl.kubernetes.io/last-applied-configuration"
    }
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    kept = {k: v for k, v in obj.items() if k not in ("status", "metadata")}
    return {"metadata": meta, **kept}


def as_yaml(obj: Object | None) -> str:
    return "" if obj is None else yaml.safe_dump(obj, sort_keys=True, default_flow_style=False)


def diff(live: Object | None, planned: Object, *, name: str) -> str:
    """A unified diff from the live object to what applying would make of it."""
    before = as_yaml(clean(live)).splitlines(keepends=True)
    after = as_yaml(clean(planned)).splitlines(keepends=True)
    label = "live" if live is not None else "(not there yet)"
    return "".join(
        difflib.unified_diff(before, after, fromfile=f"{name} {label}", tofile=f"{name} applied")
    )
