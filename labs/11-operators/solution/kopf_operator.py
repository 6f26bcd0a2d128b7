"""The same operator with kopf: handlers per cause, and kopf does the plumbing.

Side by side with ``plain.py``: kopf watches, queues, retries a failing handler
(``kopf.TemporaryError``), adds and removes its own finalizer around ``@kopf.on.delete``,
remembers which spec it last handled (an annotation), posts events (``kopf.info``) and
merges ``patch.status`` without resourceVersion conflicts. It does not know our children:
level-based checks (a deleted Service, the StatefulSet's progress) come from a timer.

Run it in a terminal with kopf's own command::

    PYTHONPATH=labs/11-operators kopf run --standalone -n lab-11 -m solution.kopf_operator

(``registry`` is kopf's default one, so ``kopf run`` finds the handlers), or in this process
with ``operator(api_client, namespace).start()``, as the notebook does.
"""

from __future__ import annotations

from typing import Any

import kopf
from kubernetes import client

from workshop import operators

from . import children
from .children import GROUP, VERSION, Obj
from .kube import Kube

registry = kopf.get_default_registry()
STORES = (GROUP, VERSION, "keyvaluestores")
BACKUPS = (GROUP, VERSION, "backups")
FINALIZER = f"{GROUP}/kopf-cleanup"
TIMER_SECONDS = 2.0


def _kube(memo: kopf.Memo) -> Kube:
    if "kube" not in memo:  # `kopf run`: the client's default configuration (kubeconfig)
        from kubernetes import config

        config.load_kube_config()  # type: ignore[no-untyped-call]
        memo["kube"] = Kube(client.ApiClient(), component="kvs-operator-kopf")
    kube: Kube = memo["kube"]
    return kube


def _note(memo: kopf.Memo, cause: str, body: kopf.Body, done: list[str]) -> None:
    journal = memo.get("journal")
    if journal is not None:
        key = f"{body['kind']} {body['metadata']['namespace']}/{body['metadata']['name']}"
        journal.note(cause, key, done)


def _plain(body: kopf.Body) -> Obj:
    return dict(body)  # kopf's Body is a read-only view; our builders take dicts


@kopf.on.resume(*STORES, id="store", registry=registry)
@kopf.on.create(*STORES, id="store", registry=registry)
@kopf.on.update(*STORES, id="store", registry=registry)
@kopf.timer(*STORES, id="drift", interval=TIMER_SECONDS, registry=registry)
def reconcile_store(
    body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, reason: Any = None, **_: Any
) -> None:
    kube, kvs = _kube(memo), _plain(body)
    done: list[str] = []
    wanted = children.autopilot_instances(kvs)
    if wanted is not None and wanted != kvs["spec"].get("instances"):
        patch.spec["instances"] = wanted  # kopf merges it into the object for us
        message = f"load {children.load(kvs):g} ops/s: -> {wanted} instances"
        kopf.info(body, reason="AutoScaled", message=message)
        _note(memo, str(reason or "timer"), body, [f"autopilot: {message}"])
        return
    set_up = "observedGeneration" in (kvs.get("status") or {})
    wanted_children = [children.service_for(kvs), children.statefulset_for(kvs)]
    cron = children.cronjob_for(kvs)
    for action in (
        kube.ensure_secret(kvs),
        *(kube.ensure(child) for child in wanted_children),
        kube.ensure(cron) if cron else kube.delete_cronjob(kvs),
    ):
        if action:
            done.append(action)
            recreated = action.startswith("created") and set_up
            kopf.info(body, reason="Recreated" if recreated else "Changed", message=action)
    sts = kube.read("StatefulSet", kvs["metadata"]["name"], kvs["metadata"]["namespace"])
    status = children.store_status(kvs, sts)
    changed = {k: v for k, v in status.items() if (kvs.get("status") or {}).get(k) != v}
    if changed:
        patch.status.update(changed)  # a merge patch: no resourceVersion, no 409
        done.append(f"status: {status['phase']}, {status['instances']} ready")
    if done:
        _note(memo, str(reason or "timer"), body, done)


@kopf.on.delete(*STORES, id="cleanup", registry=registry)
def cleanup_store(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    done = _kube(memo).delete_data(_plain(body))
    kopf.info(body, reason="CleanedUp", message=f"deleted {len(done)} data volume(s)")
    _note(memo, "delete", body, [*done, "kopf removes its finalizer"])


@kopf.on.create(*BACKUPS, id="backup", registry=registry)
@kopf.timer(
    *BACKUPS,
    id="backup-progress",
    interval=TIMER_SECONDS,
    registry=registry,
    when=lambda status, **_: status.get("phase") not in ("Succeeded", "Failed"),
)
def reconcile_backup(body: kopf.Body, patch: kopf.Patch, memo: kopf.Memo, **_: Any) -> None:
    kube, backup = _kube(memo), _plain(body)
    namespace = backup["metadata"]["namespace"]
    store = kube.read("KeyValueStore", backup["spec"]["store"], namespace)
    job_name = children.job_name(backup)
    job = kube.read("Job", job_name, namespace)
    done = []
    if job is None:
        if store is None:  # kopf retries a TemporaryError after its delay
            raise kopf.TemporaryError(f"no KeyValueStore {backup['spec']['store']} yet", delay=5)
        action = kube.ensure(children.job_for(backup, store))
        if action:
            done.append(action)
            kopf.info(body, reason="BackupStarted", message=action)
        job = kube.read("Job", job_name, namespace)
    phase = children.backup_phase(job)
    if (backup.get("status") or {}).get("phase") != phase:
        patch.status.update(phase=phase, job=job_name, message=f"job {job_name}: {phase}")
        done.append(f"status: {phase}")
    if done:
        _note(memo, "backup", body, done)


def operator(
    api_client: client.ApiClient, namespace: str, *, journal: operators.Journal | None = None
) -> operators.KopfOperator:
    """kopf, running these handlers for ``namespace`` in a thread (``.start()``, ``.stop()``)."""
    kopf_operator: operators.KopfOperator = operators.KopfOperator(
        api_client,
        registry,
        namespace=namespace,
        journal=journal,
        memo={"kube": Kube(api_client, component="kvs-operator-kopf")},
        finalizer=FINALIZER,
        name="kvs-operator-kopf",
    )
    return kopf_operator
