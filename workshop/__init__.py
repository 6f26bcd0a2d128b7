"""A hands-on Kubernetes workshop: real Kubernetes in a local sandbox, notebooks, checks.

Public surface: the error root. Subpackages each export their own small API.
"""

from workshop.errors import WorkshopError

__all__ = ["WorkshopError"]
__version__ = "0.1.0"
