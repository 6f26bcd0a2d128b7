"""OVHcloud Managed Kubernetes through the official ``ovh`` client: clusters found by name.

Public module, shared by the managed-cluster lab, its checks and its widgets::

    api = ovh.client()                      # workshop.tools.ovh: emulator or real API
    project = mks.project(api)              # $OVH_CLOUD_PROJECT_SERVICE, else the first one
    found = mks.find_cluster(api, project, "lab-08")      # the API's object, or None
    path = mks.kubeconfig(api, project, "lab-08")         # saved with mode 0600, never printed
    mks.wait_status(api, f"{mks.kube_path(project)}/{found['id']}", "READY")

Every call is a plain ``api.get``/``api.post`` of the OVHcloud API, so what works here works
on the real service; nothing here knows about the emulator.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ovh

from workshop.errors import CloudError
from workshop.home import workshop_home

PROJECT_ENV = "OVH_CLOUD_PROJECT_SERVICE"
"""The Public Cloud project to use when the account has several (the Terraform provider's name)."""
WAIT_TIMEOUT = 900.0
POLL = 1.0

Object = dict[str, Any]


def project(api: ovh.Client) -> str:
    """The Public Cloud project: ``$OVH_CLOUD_PROJECT_SERVICE``, else the account's only one."""
    chosen = os.environ.get(PROJECT_ENV)
    projects = [str(p) for p in api.get("/cloud/project")]
    if chosen:
        if chosen not in projects:
            raise CloudError(
                f"{PROJECT_ENV}={chosen} is not one of your Public Cloud projects",
                hint=f"your projects: {', '.join(projects) or 'none'}",
            )
        return chosen
    if not projects:
        raise CloudError(
            "this account has no Public Cloud project",
            hint="create one in the OVHcloud Control Panel (Public Cloud > Create a project)",
        )
    if len(projects) > 1:
        raise CloudError(
            f"this account has {len(projects)} Public Cloud projects; which one?",
            hint=f"set {PROJECT_ENV} to one of: {', '.join(projects)}",
        )
    return projects[0]


def kube_path(project_id: str) -> str:
    return f"/cloud/project/{project_id}/kube"


def clusters(api: ovh.Client, project_id: str) -> list[Object]:
    """Every Managed Kubernetes cluster of the project, as ``GET .../kube/{id}`` shows it."""
    found = []
    for kube_id in api.get(kube_path(project_id)):
        try:
            found.append(api.get(f"{kube_path(project_id)}/{kube_id}"))
        except ovh.exceptions.ResourceNotFoundError:
            continue  # deleted between the two calls
    return found


def find_cluster(api: ovh.Client, project_id: str, name: str) -> Object | None:
    """The cluster named ``name`` (a name, not an id), or None; an error if several are."""
    same = [c for c in clusters(api, project_id) if c.get("name") == name]
    if len(same) > 1:
        raise CloudError(
            f"{len(same)} clusters are named {name!r}",
            hint="delete the extra ones, or rename them (PUT .../kube/{kubeId} name=...)",
        )
    return same[0] if same else None


def need_cluster(api: ovh.Client, project_id: str, name: str) -> Object:
    found = find_cluster(api, project_id, name)
    if found is None:
        raise CloudError(
            f"no Managed Kubernetes cluster named {name!r} in project {project_id}",
            hint="create it first (the lab's step 1)",
        )
    return found


def pools(api: ovh.Client, project_id: str, kube_id: str) -> list[Object]:
    found: list[Object] = api.get(f"{kube_path(project_id)}/{kube_id}/nodepool")
    return found


def find_pool(api: ovh.Client, project_id: str, kube_id: str, name: str) -> Object | None:
    return next((p for p in pools(api, project_id, kube_id) if p.get("name") == name), None)


def wait_status(
    api: ovh.Client,
    path: str,
    status: str = "READY",
    *,
    timeout: float = WAIT_TIMEOUT,
    progress: Callable[[Object], None] | None = None,
) -> Object:
    """Poll ``GET path`` until its ``status`` is ``status``; ``progress`` sees each answer."""
    deadline = time.monotonic() + timeout
    while True:
        got: Object = api.get(path)
        if progress is not None:
            progress(got)
        if got.get("status") == status:
            return got
        if got.get("status") == "ERROR" or str(got.get("status", "")).startswith("USER_"):
            raise CloudError(
                f"{path} is {got['status']}", hint="the OVHcloud Control Panel says why"
            )
        if time.monotonic() > deadline:
            raise CloudError(
                f"{path} still {got.get('status')} after {timeout:.0f}s (waiting for {status})",
                hint="run the cell again to wait longer",
            )
        time.sleep(POLL)


def wait_gone(api: ovh.Client, path: str, *, timeout: float = WAIT_TIMEOUT) -> None:
    """Poll ``GET path`` until it answers 404 (or DELETED)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = api.get(path)
        except ovh.exceptions.ResourceNotFoundError:
            return
        if got.get("status") == "DELETED":
            return
        if time.monotonic() > deadline:
            raise CloudError(f"{path} still {got.get('status')} after {timeout:.0f}s")
        time.sleep(POLL)


def kubeconfig_path(name: str) -> Path:
    return workshop_home() / "managed" / f"{name}.kubeconfig"


def kubeconfig(api: ovh.Client, project_id: str, name: str) -> Path:
    """Fetch the cluster's kubeconfig (``POST .../kubeconfig``) into a file only you can read.

    The file holds an admin key: it is written with mode 0600 under ``$WORKSHOP_HOME/managed``
    and its content is never printed.
    """
    found = need_cluster(api, project_id, name)
    content = api.post(f"{kube_path(project_id)}/{found['id']}/kubeconfig")["content"]
    path = kubeconfig_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(content)
    return path


def owned_by(prefix: str) -> Callable[[str], bool]:
    """Whether a cluster name is one a lab created: ``lab-08``, ``lab-08-...``."""
    return lambda name: name == prefix or name.startswith(prefix + "-")


def leftovers(api: ovh.Client, project_id: str, prefix: str) -> list[str]:
    """What a lab created that still exists (clusters and their pools), one line each."""
    lines = []
    for found in clusters(api, project_id):
        if not owned_by(prefix)(str(found.get("name"))):
            continue
        lines.append(f"cluster {found['name']} ({found['id']}): {found.get('status')}")
        try:
            for pool in pools(api, project_id, found["id"]):
                lines.append(
                    f"  pool {pool.get('name')}: {pool.get('currentNodes')} x "
                    f"{pool.get('flavor')} ({pool.get('status')})"
                )
        except ovh.exceptions.ResourceNotFoundError:
            continue
    return lines


def teardown(
    api: ovh.Client, project_id: str, prefix: str, *, timeout: float = WAIT_TIMEOUT
) -> list[str]:
    """Delete every cluster the lab created (its pools and nodes go with it); wait until gone."""
    doomed = [c for c in clusters(api, project_id) if owned_by(prefix)(str(c.get("name")))]
    for found in doomed:
        if found.get("status") != "DELETING":
            api.delete(f"{kube_path(project_id)}/{found['id']}")
    for found in doomed:
        wait_gone(api, f"{kube_path(project_id)}/{found['id']}", timeout=timeout)
    return [f"deleted cluster {c['name']} ({c['id']})" for c in doomed]
