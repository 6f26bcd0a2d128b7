"""Kubeconfig files for the learner and for each component (pure data, then one write)."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml


def build(
    *, server: str, ca: bytes, cert: bytes, key: bytes, context: str, user: str
) -> dict[str, Any]:
    """A one-context kubeconfig with the certificates embedded, so it works from anywhere."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": context, "cluster": {"server": server, "certificate-authority-data": b64(ca)}}
        ],
        "users": [
            {
                "name": user,
                "user": {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": context, "user": user}}],
        "current-context": context,
        "preferences": {},
    }


def write(path: Path, config: dict[str, Any]) -> None:
    """Write a kubeconfig readable by its owner only (it carries a private key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    tmp.replace(path)
