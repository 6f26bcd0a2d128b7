"""The local sandbox cluster: the real Kubernetes control plane with kwok in place of kubelets.

Public API: ``Sandbox`` (``up``/``down``/``reset``/``status``, a context manager for
tests), its ``Status``, ``EtcdClient`` (``Sandbox.etcd()``: etcd's address and client
certificate), the kubeconfig ``CONTEXT`` name and the delay ``PROFILES``.
"""

from workshop.sandbox.kwokconfig import PROFILES
from workshop.sandbox.layout import COMPONENTS, CONTEXT
from workshop.sandbox.sandbox import ComponentStatus, EtcdClient, Sandbox, Status

__all__ = [
    "COMPONENTS",
    "CONTEXT",
    "PROFILES",
    "ComponentStatus",
    "EtcdClient",
    "Sandbox",
    "Status",
]
