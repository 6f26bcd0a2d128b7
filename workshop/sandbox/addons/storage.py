"""The storage provisioner of ``cinder.csi.openstack.org``: a folder per PersistentVolume.

It plays the external-provisioner sidecar of a CSI driver. kube-controller-manager's PV
controller marks a claim that needs a new volume with the annotation
``volume.kubernetes.io/storage-provisioner``; for ``WaitForFirstConsumer`` classes it waits
until the scheduler picked a node (``volume.kubernetes.io/selected-node``). Then this
controller creates the PersistentVolume, bound in advance to the claim (``claimRef``),
and the PV controller completes the binding. When a claim goes and its volume's reclaim
policy is ``Delete``, the volume is ``Released``: this controller deletes its data and
the PersistentVolume. The data lives in ``<home>/sandbox/volumes/<volume>``.
"""

from __future__ import annotations

import math
import shutil
import uuid
from typing import Any

from kubernetes.client.exceptions import ApiException

from workshop.quantity import memory_bytes
from workshop.sandbox.addons.client import Events, Kube, call
from workshop.sandbox.addons.loop import Controller, Informer, key_of
from workshop.sandbox.layout import Layout
from workshop.sandbox.nodes import CSI_ZONE_LABEL, ZONE

DRIVER = "cinder.csi.openstack.org"
PROVISIONER_NOTE = "volume.kubernetes.io/storage-provisioner"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
PROVISIONED_BY = "pv.kubernetes.io/provisioned-by"
SUPPORTED_MODES = {"ReadWriteOnce", "ReadWriteOncePod"}  # Cinder block volumes attach to one node


def size_gib(claim: dict[str, Any]) -> int:
    """The claim's request rounded up to whole GiB, at least 1 (Cinder sizes volumes in GiB)."""
    request = claim["spec"].get("resources", {}).get("requests", {}).get("storage", "1Gi")
    return max(1, math.ceil(memory_bytes(request) / 2**30))


def volume_for(claim: dict[str, Any], storage_class: dict[str, Any]) -> dict[str, Any]:
    """The PersistentVolume for ``claim``, already reserved for it (pure)."""
    meta = claim["metadata"]
    name = f"pvc-{meta['uid']}"
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {PROVISIONED_BY: DRIVER}},
        "spec": {
            "capacity": {"storage": f"{size_gib(claim)}Gi"},
            "accessModes": claim["spec"].get("accessModes") or ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": storage_class.get("reclaimPolicy", "Delete"),
            "storageClassName": storage_class["metadata"]["name"],
            "volumeMode": claim["spec"].get("volumeMode", "Filesystem"),
            "mountOptions": storage_class.get("mountOptions") or None,
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
            },
            "csi": {
                "driver": DRIVER,
                "volumeHandle": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
                "fsType": (storage_class.get("parameters") or {}).get("fsType", "ext4"),
            },
            "nodeAffinity": {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": CSI_ZONE_LABEL, "operator": "In", "values": [ZONE]}
                            ]
                        }
                    ]
                }
            },
        },
    }


class Provisioner(Controller):
    name = "storage"

    def __init__(
        self, kube: Kube, claims: Informer, volumes: Informer, classes: Informer, layout: Layout
    ) -> None:
        super().__init__()
        self.kube, self.claims, self.volumes, self.classes = kube, claims, volumes, classes
        self.layout = layout
        self.events = Events(kube, f"{DRIVER}_csi-cinder-controllerplugin")
        self.watch(claims, lambda c: [f"claim:{key_of(c)}"])
        self.watch(volumes, lambda v: [f"volume:{key_of(v)}"])

    def reconcile(self, key: str) -> float | None:
        kind, _, name = key.partition(":")
        if kind == "claim":
            self._provision(name)
        else:
            self._reclaim(name)
        return None

    def _provision(self, key: str) -> None:
        claim = self.claims.get(key)
        if (
            claim is None
            or claim["metadata"].get("deletionTimestamp")
            or claim["spec"].get("volumeName")
        ):
            return
        notes = claim["metadata"].get("annotations") or {}
        if notes.get(PROVISIONER_NOTE) != DRIVER:
            return  # not ours, or the PV controller has not asked for a volume yet
        storage_class = self.classes.get(claim["spec"].get("storageClassName") or "")
        if storage_class is None:
            return
        waiting = storage_class.get("volumeBindingMode") == "WaitForFirstConsumer"
        if waiting and not notes.get(SELECTED_NODE):
            return  # the first pod using it has not been scheduled yet
        volume = volume_for(claim, storage_class)
        name = volume["metadata"]["name"]
        if self.volumes.get(name) is not None:
            return
        unsupported = set(volume["spec"]["accessModes"]) - SUPPORTED_MODES
        if unsupported:
            class_name = storage_class["metadata"]["name"]
            message = (
                f'failed to provision volume with StorageClass "{class_name}": '
                "rpc error: code = InvalidArgument desc = [ControllerCreateVolume] Volume "
                f"capabilities not supported: {', '.join(sorted(unsupported))}"
            )
            self.events.record(
                claim, "PersistentVolumeClaim", "ProvisioningFailed", message, warning=True
            )
            return
        self.events.record(
            claim,
            "PersistentVolumeClaim",
            "Provisioning",
            f'External provisioner is provisioning volume for claim "{key}"',
        )
        (self.layout.volumes / name).mkdir(parents=True, exist_ok=True)
        try:
            call(self.kube.core.create_persistent_volume, volume)
        except ApiException as e:
            if e.status != 409:
                raise
        self.events.record(
            claim,
            "PersistentVolumeClaim",
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {name}",
        )
        self.log.info("%s: provisioned %s (%s)", key, name, volume["spec"]["capacity"]["storage"])

    def _reclaim(self, name: str) -> None:
        volume = self.volumes.get(name)
        if (
            volume is None
            or (volume["metadata"].get("annotations") or {}).get(PROVISIONED_BY) != DRIVER
        ):
            return
        released = volume.get("status", {}).get("phase") == "Released"
        if not released or volume["spec"].get("persistentVolumeReclaimPolicy") != "Delete":
            return
        shutil.rmtree(self.layout.volumes / name, ignore_errors=True)
        try:
            call(self.kube.core.delete_persistent_volume, name)
        except ApiException as e:
            if e.status != 404:
                raise
        self.log.info("%s: released with reclaim policy Delete: data and volume deleted", name)
