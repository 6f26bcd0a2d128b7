"""kube-apiserver's audit policy: what a managed cluster records about who did what (data).

Used when a sandbox runs with ``audit=True`` (each cluster of the emulated OVHcloud API
does): the log is ``logs/audit.log``, one JSON event per line. The policy follows the
usual managed-cluster shape: health checks, leases and events are left out, so are the
reads of the system's own components; secrets and tokens are logged without their
content; every other write keeps its request body, so "who deleted this Deployment,
when, from where" has an answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

SYSTEM_USERS = [
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:kwok-controller",
    "system:apiserver",
    "workshop:sandbox-addons",
]
READS = ["get", "list", "watch"]
WRITES = ["create", "update", "patch", "delete", "deletecollection"]

POLICY: dict[str, Any] = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived"],
    "rules": [
        {
            "level": "None",
            "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version", "/openapi*"],
        },
        {
            "level": "None",
            "resources": [
                {"group": "coordination.k8s.io", "resources": ["leases"]},
                {"group": "", "resources": ["events"]},
                {"group": "events.k8s.io", "resources": ["events"]},
            ],
        },
        {"level": "None", "users": SYSTEM_USERS, "verbs": READS},
        {"level": "None", "userGroups": ["system:serviceaccounts:kube-system"], "verbs": READS},
        {
            "level": "None",
            "users": ["system:kwok-controller"],
            "resources": [{"group": "", "resources": ["nodes/status", "pods/status"]}],
        },
        {
            "level": "Metadata",
            "resources": [
                {"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]},
                {"group": "authentication.k8s.io", "resources": ["tokenreviews"]},
            ],
        },
        {"level": "Request", "verbs": WRITES},
        {"level": "Metadata"},
    ],
}


def write_policy(path: Path) -> Path:
    """Write the policy file kube-apiserver reads (``--audit-policy-file``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(POLICY, sort_keys=False))
    return path
