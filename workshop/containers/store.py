"""Where built images are kept: ``$WORKSHOP_HOME/images/<name>/<tag>``, one OCI layout each."""

from __future__ import annotations

import re
from pathlib import Path

from workshop.containers.oci import ImageError
from workshop.home import workshop_home

NAME = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def split(reference: str) -> tuple[str, str]:
    """``hello-web:1.0`` -> ``("hello-web", "1.0")`` (``latest`` by default); checked."""
    name, colon, tag = reference.rpartition(":") if ":" in reference else (reference, "", "")
    tag = tag if colon else "latest"
    if not NAME.match(name) or not TAG.match(tag):
        raise ImageError(
            f"{reference!r} is not an image name",
            hint="lower-case letters, digits, '-', '.', '_' and '/', then ':' and a tag, "
            "e.g. hello-web:1.0",
        )
    return name, tag


def local_path(reference: str, home: Path | None = None) -> Path:
    """The layout folder of a built image (whether or not it exists yet)."""
    name, tag = split(reference)
    return (home or workshop_home()) / "images" / name / tag
