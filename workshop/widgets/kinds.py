"""Naming a kind as a learner types it to kubectl: ``pods``, ``po``, ``deploy``, ``Service``."""

from __future__ import annotations

from dataclasses import dataclass

from workshop.course.objects import BUILTIN_API_VERSIONS
from workshop.errors import WorkshopError

_SHORT = {
    "po": "Pod",
    "svc": "Service",
    "deploy": "Deployment",
    "rs": "ReplicaSet",
    "sts": "StatefulSet",
    "ds": "DaemonSet",
    "ns": "Namespace",
    "no": "Node",
    "cm": "ConfigMap",
    "ep": "Endpoints",
    "ev": "Event",
    "events": "Event",
    "endpoints": "Endpoints",
    "pvc": "PersistentVolumeClaim",
    "pv": "PersistentVolume",
    "sa": "ServiceAccount",
    "ing": "Ingress",
    "hpa": "HorizontalPodAutoscaler",
    "cj": "CronJob",
    "sc": "StorageClass",
    "crd": "CustomResourceDefinition",
    "netpol": "NetworkPolicy",
    "pdb": "PodDisruptionBudget",
    "quota": "ResourceQuota",
    "limits": "LimitRange",
}


@dataclass(frozen=True)
class Kind:
    api_version: str
    kind: str

    @property
    def kubectl_name(self) -> str:
        """What kubectl accepts for it: ``deployments``, or ``widgets.example.com``."""
        plural = self.kind.lower() + ("es" if self.kind.endswith("s") else "s")
        if self.kind.endswith("y") and not self.kind.endswith("ey"):
            plural = self.kind.lower()[:-1] + "ies"
        if self.kind == "Endpoints":
            plural = "endpoints"
        group = self.api_version.rpartition("/")[0]
        builtin = BUILTIN_API_VERSIONS.get(self.kind) == self.api_version
        return plural if builtin or not group else f"{plural}.{group}"


def resolve(text: str, api_version: str | None = None) -> Kind:
    """``pods``, ``pod``, ``po`` or ``Pod`` -> ``Kind("v1", "Pod")``.

    Custom kinds need their ``api_version``.
    """
    word = text.strip()
    by_lower = {k.lower(): k for k in BUILTIN_API_VERSIONS}
    lower = word.lower()
    kind = (
        _SHORT.get(lower)
        or by_lower.get(lower)
        or by_lower.get(lower.removesuffix("s"))
        or by_lower.get(lower.removesuffix("es"))
        or (by_lower.get(lower[:-3] + "y") if lower.endswith("ies") else None)
    )
    if api_version:
        return Kind(api_version, kind or word[:1].upper() + word[1:])
    if kind is None:
        raise WorkshopError(
            f"unknown kind {text!r}",
            hint="use a kind kubectl knows (pods, deployments, services, ...), or give "
            "api_version=... with the Kind of a custom resource",
        )
    return Kind(BUILTIN_API_VERSIONS[kind], kind)
