"""A hands-on Kubernetes workshop: real Kubernetes in a local sandbox, notebooks, checks.

Public surface: the error root, and ``connect()`` (a ``Cluster``: the local sandbox by
default, or a kubeconfig context). Subpackages each export their own small API.
"""

from typing import TYPE_CHECKING, Any

from workshop.errors import WorkshopError

if TYPE_CHECKING:
    from workshop.cluster import Cluster, connect

__all__ = ["Cluster", "WorkshopError", "connect"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # `import workshop` stays light (the sandbox's own processes import it); the Kubernetes
    # client loads on first use of workshop.connect.
    if name in ("Cluster", "connect"):
        from workshop import cluster

        return getattr(cluster, name)
    raise AttributeError(f"module 'workshop' has no attribute {name!r}")
