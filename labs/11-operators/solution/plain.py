"""The operator with the plain ``kubernetes`` client: one ``reconcile(obj)``, level-based.

``workshop.operators.Operator`` runs the watch loop and calls ``reconcile`` for every
KeyValueStore and Backup that changed, or whose children changed; this module only
decides and acts. Each call brings the world one step closer to the spec, and returns
what it did.
"""

from __future__ import annotations

from kubernetes import client

from workshop import operators

from . import children
from .children import API_VERSION, FINALIZER, Obj
from .kube import Kube

STORES = operators.Kind(API_VERSION, "KeyValueStore", "keyvaluestores")
BACKUPS = operators.Kind(API_VERSION, "Backup", "backups")
OWNS = (
    operators.Kind("apps/v1", "StatefulSet", "statefulsets"),
    operators.Kind("v1", "Service", "services"),
    operators.Kind("v1", "Secret", "secrets"),
    operators.Kind("batch/v1", "Job", "jobs"),
    operators.Kind("batch/v1", "CronJob", "cronjobs"),
)


class Reconciler:
    """``reconcile(obj)`` for both kinds, over one connection."""

    def __init__(self, api_client: client.ApiClient) -> None:
        self.kube = Kube(api_client)

    def __call__(self, obj: Obj) -> list[str]:
        if obj["kind"] == "Backup":
            return self.backup(obj)
        return self.store(obj)

    def store(self, kvs: Obj) -> list[str]:
        meta, kube = kvs["metadata"], self.kube
        finalizers = list(meta.get("finalizers") or [])
        if meta.get("deletionTimestamp"):
            return self.delete(kvs) if FINALIZER in finalizers else []
        done: list[str] = []
        if FINALIZER not in finalizers:  # first: so that no deletion can skip our cleanup
            updated = kube.set_finalizers(kvs, [*finalizers, FINALIZER])
            if updated is None:
                return done
            kvs = updated
            done.append(f"added finalizer {FINALIZER}")

        wanted = children.autopilot_instances(kvs)  # level 5: scale on the load signal
        if wanted is not None and wanted != kvs["spec"].get("instances"):
            kube.scale(kvs, wanted)
            message = (
                f"load {children.load(kvs):g} ops/s: {kvs['spec'].get('instances')} -> "
                f"{wanted} instances"
            )
            kube.event(kvs, "AutoScaled", message)
            done.append(f"autopilot: {message}")
            return done  # the scale changed the spec: the next event reconciles it

        set_up = "observedGeneration" in (kvs.get("status") or {})
        for action in (
            kube.ensure_secret(kvs),
            kube.ensure(children.service_for(kvs)),
            kube.ensure(children.statefulset_for(kvs)),
        ):
            if action is None:
                continue
            done.append(action)
            if action.startswith("created") and set_up:
                kube.event(kvs, "Recreated", f"{action[8:]} was missing: recreated it")
            elif action.startswith("created"):
                kube.event(kvs, "Created", action)
            elif "image" in action:
                kube.event(kvs, "Upgrading", action)
            else:
                kube.event(kvs, "Scaled", action)
        cron = children.cronjob_for(kvs)
        action = kube.ensure(cron) if cron else kube.delete_cronjob(kvs)
        if action:
            done.append(action)

        sts = kube.read("StatefulSet", meta["name"], meta["namespace"])
        status = children.store_status(kvs, sts)
        if status["phase"] == "Ready" and (kvs.get("status") or {}).get("phase") != "Ready":
            kube.event(kvs, "Ready", status["conditions"][0]["message"])
        done += kube.update_status(kvs, status)
        return done

    def delete(self, kvs: Obj) -> list[str]:
        """The finalizer's work: what garbage collection would not remove, then let go."""
        done = self.kube.delete_data(kvs)
        message = f"deleted {len(done)} data volume(s)" if done else "no data volumes left"
        self.kube.event(kvs, "CleanedUp", message)
        finalizers = [f for f in kvs["metadata"].get("finalizers") or [] if f != FINALIZER]
        self.kube.set_finalizers(kvs, finalizers)
        return [*done, f"removed finalizer {FINALIZER}: the API server can delete it now"]

    def backup(self, backup: Obj) -> list[str]:
        meta, kube = backup["metadata"], self.kube
        if meta.get("deletionTimestamp"):
            return []
        status = dict(backup.get("status") or {})
        if status.get("phase") in ("Succeeded", "Failed"):
            return []  # a backup is taken once
        done: list[str] = []
        store = kube.read("KeyValueStore", backup["spec"]["store"], meta["namespace"])
        job_name = children.job_name(backup)
        job = kube.read("Job", job_name, meta["namespace"])
        if store is None and job is None:
            status.update(phase="Pending", message=f"no KeyValueStore {backup['spec']['store']}")
        else:
            if job is None and store is not None:
                action = kube.ensure(children.job_for(backup, store))
                if action:
                    done.append(action)
                    kube.event(
                        backup, "BackupStarted", f"{action} to back up {store['metadata']['name']}"
                    )
                job = kube.read("Job", job_name, meta["namespace"])
            phase = children.backup_phase(job)
            status.update(phase=phase, job=job_name, message=f"job {job_name}: {phase}")
            if phase == "Succeeded":
                kube.event(backup, "BackupDone", f"job {job_name} succeeded")
        status["observedGeneration"] = int(meta.get("generation", 1))
        return done + kube.update_status(backup, status)


def operator(
    api_client: client.ApiClient,
    namespace: str,
    *,
    journal: operators.Journal | None = None,
    resync: float = 30.0,
) -> operators.Operator:
    """The plain operator for ``namespace`` (not started: ``.start()``, ``.stop()``)."""
    return operators.Operator(
        api_client,
        Reconciler(api_client),
        namespace=namespace,
        primary=[STORES, BACKUPS],
        owns=OWNS,
        resync=resync,
        journal=journal,
        name="kvs-operator",
    )
