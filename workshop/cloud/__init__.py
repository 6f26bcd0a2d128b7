"""The emulated OVHcloud API: the real protocol, Managed Kubernetes clusters that are real.

Public API::

    emulator = cloud.Emulator()          # <home>/cloud; Emulator(home, port=, profile=)
    emulator.up()                        # http://127.0.0.1:PORT/1.0, in the background
    emulator.credentials()               # new keys, written to <home>/ovh.conf
    emulator.status()                    # URL, masked keys, clusters
    cloud.audit.events(home, "my-cluster", verb="delete", resource="deployments")
    emulator.down()                      # stops every cluster; everything is kept

The official ``ovh`` client talks to it unchanged (``workshop.tools.ovh.client()``).
Each cluster it creates is a sandbox of its own (``workshop.sandbox``) behind an endpoint
that enforces its IP restrictions; request handling is pure functions over a store
(``api.answer``), the HTTP server only moves bytes.
"""

from workshop.cloud import audit
from workshop.cloud.audit import AuditEvent
from workshop.cloud.emulator import ClusterInfo, Emulator, EmulatorStatus
from workshop.cloud.ovhconf import ENDPOINT
from workshop.cloud.runtime import PROFILES

__all__ = [
    "ENDPOINT",
    "PROFILES",
    "AuditEvent",
    "ClusterInfo",
    "Emulator",
    "EmulatorStatus",
    "audit",
]
