"""Pointing a notebook's shell commands at the cluster its widgets drive.

``use(cluster)`` makes ``!kubectl ...`` (and ``!helm ...``) in the notebook talk to the same
cluster and context as ``workshop.cluster.connect()`` chose, with the kubectl installed beside
the workshop and the workshop's helm: the commands a learner types by hand then show what the
widgets show.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import yaml

from workshop import cluster as clusters
from workshop.cluster import Cluster
from workshop.course.loading import Lab
from workshop.errors import WorkshopError
from workshop.tools import helm, kubectl

NAMESPACE_VARIABLE = "NS"  # the lab's namespace, for shell cells: kubectl get pods -n $NS


def _current_context(paths: tuple[Path, ...]) -> str | None:
    try:
        _, current = clusters.contexts(paths)
    except WorkshopError:  # then the overlay names the context: kubectl says what is wrong
        return None
    return str((current or {}).get("name") or "") or None


def context_overlay(context: str, folder: Path | None = None) -> Path:
    """A kubeconfig that only sets ``current-context``: listed first in ``KUBECONFIG``, it
    chooses the context without copying any credentials (kubectl merges the files)."""
    folder = folder or Path(tempfile.gettempdir()) / f"workshop-{os.getuid()}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in context)
    path = folder / f"context-{safe}.yaml"
    overlay = {"apiVersion": "v1", "kind": "Config", "current-context": context}
    path.write_text(yaml.safe_dump(overlay, sort_keys=False))
    return path


def environment(cluster: Cluster, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment in which ``kubectl`` (no flags) drives ``cluster``."""
    env = dict(cluster.env() if base is None else {**base, **cluster.env()})
    if _current_context(cluster.kubeconfig_paths) != cluster.context:
        overlay = context_overlay(cluster.context)
        env["KUBECONFIG"] = os.pathsep.join([str(overlay), env["KUBECONFIG"]])
    folders = [str(kubectl.binary().parent)]
    with contextlib.suppress(WorkshopError):  # without helm, `!kubectl` still works
        folders.append(str(helm.binary().parent))
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p not in folders]
    env["PATH"] = os.pathsep.join([*dict.fromkeys(folders), *path])
    return env


def use(cluster: Cluster, lab: Lab | None = None) -> str:
    """Make this process's shell commands (``!kubectl``) drive ``cluster``; says which.

    With ``lab`` (placed for the user: ``course.place``), ``$NS`` is the lab's namespace, so
    that ``%%bash`` cells work in a class learner's namespace as in ``lab-NN``."""
    os.environ.update(environment(cluster, dict(os.environ)))
    if lab is not None:
        os.environ[NAMESPACE_VARIABLE] = lab.namespace
    return cluster.describe()
