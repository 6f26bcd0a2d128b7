"""Who is in a class: learner ids from a count or a roster CSV, and the names they give
their namespaces (pure; no cluster)."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from workshop.errors import WorkshopError

NAME_MAX = 20
NAMESPACE_MAX = 63
_SLUG = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass(frozen=True)
class Learner:
    id: str  # a DNS label: alice, learner-07
    name: str  # as the roster spells it

    def home(self, class_name: str) -> str:
        """The learner's own namespace: their ServiceAccount and their progress."""
        return f"{class_name}-{self.id}"

    def prefix(self, class_name: str) -> str:
        """What their lab namespaces start with: ``k8s101-alice-`` + ``lab-04``."""
        return f"{self.home(class_name)}-"


def check_class_name(name: str) -> str:
    if not _SLUG.match(name) or len(name) > NAME_MAX:
        raise WorkshopError(
            f"class name {name!r} is not a short DNS label",
            hint=f"lowercase letters, digits and dashes, at most {NAME_MAX} characters "
            "(e.g. k8s101)",
        )
    return name


def slug(text: str) -> str:
    """``Zoë Martin-Durand`` -> ``zoe-martin-durand`` (cut to fit a namespace name)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cut = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:NAME_MAX].strip("-")
    return cut


def numbered(count: int) -> list[Learner]:
    if not 1 <= count <= 999:
        raise WorkshopError(f"a class has 1 to 999 learners, not {count}")
    width = max(2, len(str(count)))
    return [Learner(f"learner-{i:0{width}d}", f"Learner {i}") for i in range(1, count + 1)]


def from_csv(path: Path) -> list[Learner]:
    """One learner per row: a ``name`` column (or the first column); duplicates get -2, -3."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        raise WorkshopError(f"cannot read the roster {path}: {e.strerror}") from e
    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    if rows and rows[0] and rows[0][0].strip().lower() in ("name", "learner", "names"):
        rows = rows[1:]
    learners: list[Learner] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, 1):
        name = row[0].strip()
        base = slug(name)
        if not base:
            raise WorkshopError(
                f"{path}: row {n}: {name!r} gives no usable id",
                hint="use latin letters or digits in each name",
            )
        seen[base] = seen.get(base, 0) + 1
        ident = base if seen[base] == 1 else f"{base[: NAME_MAX - 3]}-{seen[base]}"
        learners.append(Learner(ident, name))
    if not learners:
        raise WorkshopError(f"the roster {path} lists nobody", hint="one name per line")
    return learners


def check_fits(class_name: str, learners: list[Learner], namespaces: list[str]) -> None:
    """Every learner namespace must be a valid name (63 characters at most)."""
    longest = max((len(ns) for ns in namespaces), default=0)
    for learner in learners:
        full = len(learner.prefix(class_name)) + longest
        if full > NAMESPACE_MAX:
            raise WorkshopError(
                f"learner {learner.id!r} in class {class_name!r} gives namespace names of "
                f"{full} characters (at most {NAMESPACE_MAX})",
                hint="use a shorter class name or shorter names in the roster",
            )
