"""What a KeyValueStore should be made of, computed from it alone (pure functions).

Both forms of the operator (``plain.py``, ``kopf_operator.py``) build the same children
here: a Secret with its password, a headless Service, a StatefulSet with one data volume
per instance, a CronJob for scheduled backups; and a Job for each Backup.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

GROUP, VERSION = "db.workshop.dev", "v1"
API_VERSION = f"{GROUP}/{VERSION}"
FINALIZER = f"{GROUP}/cleanup"
LOAD_ANNOTATION = f"{GROUP}/load"  # the simulated load signal, in operations per second
MANAGER = "kvs-operator"
PORT = 6379

Obj = dict[str, Any]


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def labels(store: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "keyvaluestore",
        "app.kubernetes.io/instance": store,
        "app.kubernetes.io/managed-by": MANAGER,
    }


def selector(store: str) -> str:
    return ",".join(f"{k}={v}" for k, v in labels(store).items() if "managed-by" not in k)


def owner_reference(owner: Obj) -> Obj:
    """Makes the child garbage: deleted with its owner, and watched as the owner's."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _meta(name: str, owner: Obj, store: str) -> Obj:
    return {
        "name": name,
        "namespace": owner["metadata"]["namespace"],
        "labels": labels(store),
        "ownerReferences": [owner_reference(owner)],
    }


def secret_name(store: str) -> str:
    return f"{store}-auth"


def secret_for(kvs: Obj, password: str) -> Obj:
    name = kvs["metadata"]["name"]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(secret_name(name), kvs, name),
        "type": "Opaque",
        "stringData": {"password": password},
    }


def service_for(kvs: Obj) -> Obj:
    """Headless: each instance gets a stable DNS name, demo-0.demo, demo-1.demo..."""
    name = kvs["metadata"]["name"]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name, kvs, name),
        "spec": {
            "clusterIP": "None",
            "selector": {k: v for k, v in labels(name).items() if "managed-by" not in k},
            "ports": [{"name": "redis", "port": PORT, "targetPort": PORT}],
        },
    }


def image(version: str) -> str:
    return f"redis:{version}"


def _password_env(store: str) -> Obj:
    return {
        "name": "REDIS_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": secret_name(store), "key": "password"}},
    }


def statefulset_for(kvs: Obj) -> Obj:
    name, spec = kvs["metadata"]["name"], kvs["spec"]
    pod_labels = labels(name)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(name, kvs, name),
        "spec": {
            "serviceName": name,
            "replicas": int(spec.get("instances", 1)),
            "podManagementPolicy": "Parallel",
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {
                "matchLabels": {k: v for k, v in pod_labels.items() if "managed" not in k}
            },
            "template": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "containers": [
                        {
                            "name": "redis",
                            "image": image(str(spec["version"])),
                            "args": ["redis-server", "--requirepass", "$(REDIS_PASSWORD)"],
                            "env": [_password_env(name)],
                            "ports": [{"name": "redis", "containerPort": PORT}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        }
                    ]
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data", "labels": pod_labels},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": spec.get("storage", "1Gi")}},
                    },
                }
            ],
        },
    }


def backup_pod(store: Obj) -> Obj:
    """A pod that saves a snapshot of the first instance with redis-cli."""
    name = store["metadata"]["name"]
    script = (
        f'redis-cli -h {name}-0.{name} -a "$REDIS_PASSWORD" --no-auth-warning '
        f'--rdb /backup/{name}.rdb && echo "backup of {name} saved"'
    )
    return {
        "restartPolicy": "Never",
        "containers": [
            {
                "name": "backup",
                "image": image(str(store["spec"]["version"])),
                "command": ["sh", "-c", script],
                "env": [_password_env(name)],
                "volumeMounts": [{"name": "backup", "mountPath": "/backup"}],
            }
        ],
        # A real operator would write to object storage (OVHcloud Object Storage, S3).
        "volumes": [{"name": "backup", "emptyDir": {}}],
    }


def job_name(backup: Obj) -> str:
    return f"backup-{backup['metadata']['name']}"


def job_for(backup: Obj, store: Obj) -> Obj:
    meta = _meta(job_name(backup), backup, store["metadata"]["name"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {"backoffLimit": 2, "template": {"spec": backup_pod(store)}},
    }


def cronjob_for(kvs: Obj) -> Obj | None:
    schedule = (kvs["spec"].get("backup") or {}).get("schedule")
    if not schedule:
        return None
    name = kvs["metadata"]["name"]
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta(f"{name}-backup", kvs, name),
        "spec": {
            "schedule": schedule,
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"backoffLimit": 2, "template": {"spec": backup_pod(kvs)}}},
        },
    }


def load(kvs: Obj) -> float | None:
    """The load signal (operations per second) from the annotation, if it is a number."""
    raw = ((kvs["metadata"].get("annotations") or {}).get(LOAD_ANNOTATION) or "").strip()
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value >= 0 else None


def autopilot_instances(kvs: Obj) -> int | None:
    """Level 5: the instances the load calls for, or None when the autopilot is off."""
    pilot = kvs["spec"].get("autopilot")
    signal = load(kvs)
    if pilot is None or signal is None:
        return None
    per_instance = int(pilot.get("opsPerInstance", 1000))
    wanted = math.ceil(signal / per_instance) if signal else 1
    return max(1, min(int(pilot.get("maxInstances", 5)), wanted))


def condition(
    conditions: list[Obj], kind: str, status: bool, reason: str, message: str, generation: int
) -> Obj:
    """A condition; its lastTransitionTime moves only when its status does."""
    previous = next((c for c in conditions if c.get("type") == kind), None)
    value = "True" if status else "False"
    changed = previous is None or previous.get("status") != value
    return {
        "type": kind,
        "status": value,
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
        "lastTransitionTime": now() if changed else previous["lastTransitionTime"],
    }


def store_status(kvs: Obj, sts: Obj | None) -> Obj:
    """What to write in the store's status, from the StatefulSet's (level-based, pure)."""
    meta, spec, old = kvs["metadata"], kvs["spec"], kvs.get("status") or {}
    generation = int(meta.get("generation", 1))
    wanted = int(spec.get("instances", 1))
    version = str(spec["version"])
    sts_status = (sts or {}).get("status") or {}
    ready = int(sts_status.get("readyReplicas") or 0)
    seen = int(sts_status.get("observedGeneration") or 0) >= int(
        ((sts or {}).get("metadata") or {}).get("generation") or 1
    )
    rolled = seen and sts_status.get("updateRevision") == sts_status.get("currentRevision")
    settled = (
        rolled
        and ready == wanted
        and int(sts_status.get("replicas") or 0) == wanted
        and ((sts or {}).get("spec") or {}).get("replicas") == wanted
    )
    if sts is None:
        phase, message = "Creating", "creating the StatefulSet"
    elif old.get("version") and old["version"] != version and not settled:
        updated = int(sts_status.get("updatedReplicas") or 0)
        phase, message = "Upgrading", f"{updated}/{wanted} instances at version {version}"
    elif not settled:
        phase = "Scaling" if old.get("version") else "Creating"
        message = f"{ready}/{wanted} instances ready"
    else:
        phase, message = "Ready", f"{ready}/{wanted} instances ready, version {version}"
    status: Obj = {
        "observedGeneration": generation,
        "instances": ready,
        "phase": phase,
        "selector": selector(meta["name"]),
        "conditions": [
            condition(
                old.get("conditions") or [], "Ready", phase == "Ready", phase, message, generation
            )
        ],
    }
    running = version if phase == "Ready" else old.get("version")
    if running:
        status["version"] = running
    return status


def backup_phase(job: Obj | None) -> str:
    if job is None:
        return "Pending"
    for found in (job.get("status") or {}).get("conditions") or []:
        if found.get("status") == "True" and found.get("type") in (
            "Complete",
            "SuccessCriteriaMet",
        ):
            return "Succeeded"
        if found.get("status") == "True" and found.get("type") in ("Failed", "FailureTarget"):
            return "Failed"
    return "Running"
