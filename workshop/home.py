"""Where the workshop keeps its state (``$WORKSHOP_HOME``) and its binary cache."""

from __future__ import annotations

import os
from pathlib import Path


def workshop_home() -> Path:
    """The per-user state folder: ``$WORKSHOP_HOME``, default ``~/.workshop``."""
    configured = os.environ.get("WORKSHOP_HOME")
    return Path(configured).expanduser() if configured else Path.home() / ".workshop"


def cache_home() -> Path:
    """The per-user binary cache, shared by every clone and every workshop home.

    ``$WORKSHOP_CACHE``, else ``$XDG_CACHE_HOME/workshop``, else ``~/.cache/workshop``.
    """
    configured = os.environ.get("WORKSHOP_CACHE")
    if configured:
        return Path(configured).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "workshop"
