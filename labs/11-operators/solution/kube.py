"""The operator's hands: read, create, patch and delete through the ``kubernetes`` client.

Every call returns plain dicts (``kubectl get -o json``'s shape), and every change it makes
comes back as a line saying what it did, for the journal.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from kubernetes import client
from kubernetes.client import ApiException

from . import children
from .children import GROUP, VERSION, Obj

PLURALS = {"KeyValueStore": "keyvaluestores", "Backup": "backups"}
CONFLICT_RETRIES = 5


def call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """An official client method's answer as dicts (None when empty)."""
    response = method(*args, _preload_content=False, **kwargs)
    data = response.data
    return json.loads(data) if data else None


def missing(error: ApiException) -> bool:
    return bool(error.status == 404)


class Kube:
    """The API groups the operator uses, over the notebook's (or the test's) connection."""

    def __init__(self, api_client: client.ApiClient, *, component: str = children.MANAGER):
        self.core = client.CoreV1Api(api_client)
        self.apps = client.AppsV1Api(api_client)
        self.batch = client.BatchV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.component = component

    # -- reading -----------------------------------------------------------------------

    def read(self, kind: str, name: str, namespace: str) -> Obj | None:
        readers: dict[str, Callable[..., Any]] = {
            "Secret": self.core.read_namespaced_secret,
            "Service": self.core.read_namespaced_service,
            "StatefulSet": self.apps.read_namespaced_stateful_set,
            "Job": self.batch.read_namespaced_job,
            "CronJob": self.batch.read_namespaced_cron_job,
        }
        try:
            if kind in PLURALS:
                found: Obj = call(
                    self.custom.get_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    namespace,
                    PLURALS[kind],
                    name,
                )
            else:
                found = call(readers[kind], name, namespace)
        except ApiException as e:
            if missing(e):
                return None
            raise
        return found

    # -- children ----------------------------------------------------------------------

    def ensure(self, desired: Obj) -> str | None:
        """Create ``desired`` if it is missing, or bring the fields we own back in line.

        Idempotent: a second call with the same ``desired`` changes nothing (None).
        """
        kind, meta = desired["kind"], desired["metadata"]
        name, namespace = meta["name"], meta["namespace"]
        current = self.read(kind, name, namespace)
        if current is None:
            creators: dict[str, Callable[..., Any]] = {
                "Secret": self.core.create_namespaced_secret,
                "Service": self.core.create_namespaced_service,
                "StatefulSet": self.apps.create_namespaced_stateful_set,
                "Job": self.batch.create_namespaced_job,
                "CronJob": self.batch.create_namespaced_cron_job,
            }
            try:
                call(creators[kind], namespace, desired)
            except ApiException as e:
                if e.status == 409:  # created meanwhile (by us, before a restart): fine
                    return None
                raise
            return f"created {kind.lower()}/{name}"
        return self._align(current, desired)

    def _align(self, current: Obj, desired: Obj) -> str | None:
        kind, name = desired["kind"], desired["metadata"]["name"]
        namespace = desired["metadata"]["namespace"]
        if kind == "StatefulSet":
            want, have = desired["spec"], current["spec"]
            changes = []
            if want["replicas"] != have.get("replicas"):
                changes.append(f"replicas {have.get('replicas')} -> {want['replicas']}")
            new_image = want["template"]["spec"]["containers"][0]["image"]
            old_image = have["template"]["spec"]["containers"][0]["image"]
            if new_image != old_image:
                changes.append(f"image {old_image} -> {new_image}")
            if not changes:
                return None
            patch = {
                "spec": {
                    "replicas": want["replicas"],
                    "template": {"spec": {"containers": [{"name": "redis", "image": new_image}]}},
                }
            }
            call(self.apps.patch_namespaced_stateful_set, name, namespace, patch)
            return f"patched statefulset/{name}: {', '.join(changes)}"
        if kind == "CronJob" and current["spec"].get("schedule") != desired["spec"]["schedule"]:
            patch = {"spec": {"schedule": desired["spec"]["schedule"]}}
            call(self.batch.patch_namespaced_cron_job, name, namespace, patch)
            return f"patched cronjob/{name}: schedule {desired['spec']['schedule']!r}"
        return None  # Secret: never rotate a password by accident; Service: nothing to drift

    def ensure_secret(self, kvs: Obj) -> str | None:
        """The password is made once: a Secret that exists is left as it is."""
        name = children.secret_name(kvs["metadata"]["name"])
        if self.read("Secret", name, kvs["metadata"]["namespace"]) is not None:
            return None
        return self.ensure(children.secret_for(kvs, secrets.token_urlsafe(18)))

    def delete_cronjob(self, kvs: Obj) -> str | None:
        name = f"{kvs['metadata']['name']}-backup"
        try:
            call(self.batch.delete_namespaced_cron_job, name, kvs["metadata"]["namespace"])
        except ApiException as e:
            if missing(e):
                return None
            raise
        return f"deleted cronjob/{name} (no schedule)"

    def delete_data(self, kvs: Obj) -> list[str]:
        """Delete the store's data volumes: a StatefulSet leaves its claims behind, on purpose."""
        namespace = kvs["metadata"]["namespace"]
        claims = call(
            self.core.list_namespaced_persistent_volume_claim,
            namespace,
            label_selector=children.selector(kvs["metadata"]["name"]),
        )["items"]
        done = []
        for claim in claims:
            name = claim["metadata"]["name"]
            try:
                call(self.core.delete_namespaced_persistent_volume_claim, name, namespace)
            except ApiException as e:
                if not missing(e):
                    raise
            done.append(f"deleted persistentvolumeclaim/{name}")
        return done

    # -- the custom resources themselves ------------------------------------------------

    def update_status(self, obj: Obj, status: Obj) -> list[str]:
        """Write ``status`` (PUT with the object's resourceVersion), retrying on 409 Conflict.

        Someone changed the object since we read it (a `kubectl scale`, the autopilot): the
        API server refuses our stale copy. Read it again and write again.
        """
        done: list[str] = []
        meta = obj["metadata"]
        plural = PLURALS[obj["kind"]]
        for _ in range(CONFLICT_RETRIES):
            if (obj.get("status") or {}) == status:
                return done
            body = {**obj, "status": status}
            try:
                call(
                    self.custom.replace_namespaced_custom_object_status,
                    GROUP,
                    VERSION,
                    meta["namespace"],
                    plural,
                    meta["name"],
                    body,
                )
            except ApiException as e:
                if e.status != 409:
                    raise
                done.append("status: 409 Conflict (our copy was stale): read it again, retried")
                fresh = self.read(obj["kind"], meta["name"], meta["namespace"])
                if fresh is None:
                    return done
                obj = fresh
                continue
            done.append(f"status: {_summary(status)}")
            return done
        raise RuntimeError(f"status of {meta['name']}: still conflicting after retries")

    def set_finalizers(self, obj: Obj, finalizers: list[str]) -> Obj | None:
        """Replace the finalizers, with the resourceVersion we read (409: read again, retry)."""
        meta = obj["metadata"]
        for _ in range(CONFLICT_RETRIES):
            patch = {
                "metadata": {
                    "finalizers": finalizers or None,
                    "resourceVersion": obj["metadata"]["resourceVersion"],
                }
            }
            try:
                updated: Obj = call(
                    self.custom.patch_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    meta["namespace"],
                    PLURALS[obj["kind"]],
                    meta["name"],
                    patch,
                )
                return updated
            except ApiException as e:
                if missing(e):
                    return None
                if e.status != 409:
                    raise
                fresh = self.read(obj["kind"], meta["name"], meta["namespace"])
                if fresh is None:
                    return None
                keep = [
                    f for f in fresh["metadata"].get("finalizers") or [] if f != children.FINALIZER
                ]
                finalizers = keep + (
                    [children.FINALIZER] if children.FINALIZER in finalizers else []
                )
                obj = fresh
        raise RuntimeError(f"finalizers of {meta['name']}: still conflicting after retries")

    def scale(self, kvs: Obj, instances: int) -> None:
        """What `kubectl scale keyvaluestore/NAME --replicas=N` sends: the scale subresource."""
        meta = kvs["metadata"]
        call(
            self.custom.patch_namespaced_custom_object_scale,
            GROUP,
            VERSION,
            meta["namespace"],
            "keyvaluestores",
            meta["name"],
            {"spec": {"replicas": instances}},
        )

    # -- events ------------------------------------------------------------------------

    def event(self, obj: Obj, reason: str, message: str, *, warning: bool = False) -> None:
        """An Event on ``obj``: what `kubectl describe` and `kubectl get events` show."""
        meta = obj["metadata"]
        stamp = children.now()
        event = {
            "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
            "involvedObject": {
                "apiVersion": obj["apiVersion"],
                "kind": obj["kind"],
                "name": meta["name"],
                "namespace": meta["namespace"],
                "uid": meta["uid"],
            },
            "reason": reason,
            "message": message,
            "type": "Warning" if warning else "Normal",
            "source": {"component": self.component},
            "reportingComponent": self.component,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        call(self.core.create_namespaced_event, meta["namespace"], event)


def _summary(status: Obj) -> str:
    parts = [str(status.get("phase", "?"))]
    if "instances" in status:
        parts.append(f"{status['instances']} ready")
    if status.get("version"):
        parts.append(f"version {status['version']}")
    if "observedGeneration" in status:
        parts.append(f"observedGeneration {status['observedGeneration']}")
    return ", ".join(parts)
