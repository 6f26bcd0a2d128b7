"""A learner's kubeconfig: the class's API server, its CA, a time-limited token and the
``workshop.dev/class`` context extension that tells ``workshop.connect()`` whose seat it is."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import yaml

from workshop.cluster import SEAT_EXTENSION, read_kubeconfig
from workshop.errors import WorkshopError


def server_and_ca(paths: tuple[Path, ...], context: str) -> tuple[str, str]:
    """The server URL and base64 CA of ``context``, read from the instructor's kubeconfig."""
    contexts: dict[str, Any] = {}
    clusters: dict[str, Any] = {}
    for path in paths:
        data = read_kubeconfig(Path(path))  # its shape checked: entries have names
        for entry in data.get("contexts") or []:
            contexts.setdefault(entry["name"], entry.get("context") or {})
        for entry in data.get("clusters") or []:
            clusters.setdefault(entry["name"], (path, entry.get("cluster") or {}))
    ctx = contexts.get(context)
    if ctx is None or ctx.get("cluster") not in clusters:
        raise WorkshopError(f"cannot find the cluster of context {context!r} in the kubeconfig")
    where, cluster = clusters[ctx["cluster"]]
    server = str(cluster.get("server") or "")
    if cluster.get("certificate-authority-data"):
        return server, str(cluster["certificate-authority-data"])
    if cluster.get("certificate-authority"):
        ca_path = Path(cluster["certificate-authority"])
        if not ca_path.is_absolute():
            ca_path = Path(where).parent / ca_path
        return server, base64.b64encode(ca_path.read_bytes()).decode()
    if cluster.get("insecure-skip-tls-verify"):
        raise WorkshopError(
            f"context {context!r} skips TLS verification: learners' kubeconfigs would too",
            hint="give the cluster its CA (certificate-authority-data) first",
        )
    return server, ""  # a server with a publicly trusted certificate


def build(
    *,
    class_name: str,
    learner: str,
    server: str,
    ca: str,
    token: str,
    home: str,
    prefix: str,
) -> dict[str, Any]:
    context = f"{class_name}-{learner}"
    cluster: dict[str, Any] = {"server": server}
    if ca:
        cluster["certificate-authority-data"] = ca
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": class_name, "cluster": cluster}],
        "users": [{"name": context, "user": {"token": token}}],
        "contexts": [
            {
                "name": context,
                "context": {
                    "cluster": class_name,
                    "user": context,
                    "namespace": home,
                    "extensions": [
                        {
                            "name": SEAT_EXTENSION,
                            "extension": {
                                "class": class_name,
                                "learner": learner,
                                "namespacePrefix": prefix,
                                "home": home,
                            },
                        }
                    ],
                },
            }
        ],
        "current-context": context,
        "preferences": {},
    }


def write(path: Path, config: dict[str, Any]) -> None:
    """Readable by its owner only: it carries a token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(config, f, sort_keys=False)
    tmp.replace(path)
