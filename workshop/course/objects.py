"""Naming objects in lab files: ``Deployment/hello``, the built-in kinds' API versions."""

from __future__ import annotations

from dataclasses import dataclass

# Kinds a lab may name without an api_version (custom resources must give theirs).
BUILTIN_API_VERSIONS: dict[str, str] = {
    **dict.fromkeys(
        [
            "ConfigMap",
            "Endpoints",
            "Event",
            "LimitRange",
            "Namespace",
            "Node",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "Pod",
            "ResourceQuota",
            "Secret",
            "Service",
            "ServiceAccount",
        ],
        "v1",
    ),
    **dict.fromkeys(["DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"], "apps/v1"),
    **dict.fromkeys(["CronJob", "Job"], "batch/v1"),
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "EndpointSlice": "discovery.k8s.io/v1",
    **dict.fromkeys(["Ingress", "IngressClass", "NetworkPolicy"], "networking.k8s.io/v1"),
    "PodDisruptionBudget": "policy/v1",
    **dict.fromkeys(
        ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"],
        "rbac.authorization.k8s.io/v1",
    ),
    **dict.fromkeys(["StorageClass", "CSIDriver"], "storage.k8s.io/v1"),
    "CustomResourceDefinition": "apiextensions.k8s.io/v1",
}
_BY_LOWER = {kind.lower(): kind for kind in BUILTIN_API_VERSIONS}
CLUSTER_SCOPED = frozenset(
    [
        "ClusterRole",
        "ClusterRoleBinding",
        "CSIDriver",
        "CustomResourceDefinition",
        "IngressClass",
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
    ]
)


@dataclass(frozen=True)
class ObjectName:
    """``Kind/name`` (or just ``Kind``) resolved to an apiVersion."""

    api_version: str
    kind: str
    name: str | None

    def show(self) -> str:
        """How messages name it: ``deployment hello``."""
        return f"{self.kind.lower()} {self.name}" if self.name else self.kind.lower()

    def where(self, namespace: str | None) -> str:
        """`` in namespace lab-04``, or nothing for cluster-wide kinds."""
        if self.kind in CLUSTER_SCOPED or not namespace:
            return ""
        return f" in namespace {namespace}"

    def kubectl(self, verb: str, namespace: str | None, *extra: str, named: bool = True) -> str:
        """The command a learner would type: ``kubectl get deployment/hello -n lab-04``."""
        what = f"{self.kind.lower()}/{self.name}" if self.name and named else self.kind.lower()
        scope = [] if self.kind in CLUSTER_SCOPED or not namespace else ["-n", namespace]
        return " ".join(["kubectl", verb, what, *scope, *extra])


def parse(text: str, api_version: str | None = None) -> ObjectName:
    """Read ``Kind/name`` or ``Kind``; ``ValueError`` says what is missing."""
    kind, _, name = text.partition("/")
    kind, name = kind.strip(), name.strip()
    if not kind or (_ and not name) or "/" in name:
        raise ValueError(f"expected Kind/name (e.g. Deployment/hello), got {text!r}")
    builtin = _BY_LOWER.get(kind.lower())
    if builtin and not api_version:
        return ObjectName(BUILTIN_API_VERSIONS[builtin], builtin, name or None)
    if not api_version:
        raise ValueError(
            f"kind {kind!r} is not built in: give its api_version (e.g. example.com/v1)"
        )
    return ObjectName(api_version, builtin or kind, name or None)
