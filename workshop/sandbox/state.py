"""What one sandbox must remember between runs: ports, nodes, profile (``state.json``)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from workshop.sandbox.components import Ports


@dataclass
class State:
    ports: Ports
    bind: str = "127.0.0.1"
    nodes: int = 3
    profile: str = "instant"
    created_at: float = field(default_factory=time.time)

    @classmethod
    def load(cls, path: Path) -> State | None:
        try:
            data = json.loads(path.read_text())
            data["ports"] = Ports(**data["ports"])
            return cls(**data)
        except (OSError, ValueError, TypeError, KeyError):  # missing, unreadable, damaged
            return None

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.replace(path)
