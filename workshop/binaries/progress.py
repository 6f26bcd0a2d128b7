"""Progress events of an install, for whoever displays them (the CLI, a notebook, a log)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

EventKind = Literal["found", "start", "line", "wait", "done"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step of an install.

    ``found``: a binary is already on PATH or in the cache (the message names it);
    ``start``: a group build or download begins; ``line``: a line of ``go build`` output or
    a download count; ``wait``: another install holds the group lock; ``done``: the group
    is in the cache.
    """

    group: str
    kind: EventKind
    message: str


Progress = Callable[[ProgressEvent], None]


def ignore(_event: ProgressEvent) -> None:
    """The progress callback used when the caller passes none."""
