"""kwok's configuration: the lifecycle stages of nodes and pods, with a delay profile.

The stages live in ``stages/*.yaml`` (data); a profile only sets how long each one waits:
``instant`` for tests, ``lifelike`` for demos, where a pod takes a few seconds to start
as it would on a real node.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from workshop.errors import SandboxError

# stage name -> (delay ms, upper bound of the random extra delay ms); kwok picks the
# delay uniformly between the two. Stages that match again after they ran (heartbeats)
# must always wait, or kwok would replay them in a loop. Pods also wait for the add-ons
# (image pulls, readinessProbe timing, how long a crashing program runs): those delays
# come from the pod's annotations, not from here.
PROFILES: dict[str, dict[str, tuple[int, int]]] = {
    "instant": {
        "node-heartbeat": (20_000, 30_000),
    },
    "lifelike": {
        "node-heartbeat": (20_000, 30_000),
        "node-initialize": (2_000, 3_000),
        "pod-create": (500, 1_500),
        "pod-init-containers": (1_000, 2_500),
        "pod-start": (1_000, 3_000),
        "pod-delete": (1_000, 2_000),
    },
}
# The kubelet's crash back-off, per profile: first wait and ceiling in seconds, doubling
# in between (the real kubelet: 10s up to 5 minutes). Used by pod-crash and pod-restart.
BACKOFF: dict[str, tuple[int, int]] = {
    "instant": (1, 8),
    "lifelike": (10, 300),
}
DEFAULT_PROFILE = "instant"


def stages(profile: str) -> list[dict[str, Any]]:
    """The node and pod stages with the delays of ``profile``."""
    if profile not in PROFILES:
        raise SandboxError(
            f"unknown delay profile {profile!r}",
            hint=f"choose one of: {', '.join(PROFILES)}",
        )
    delays = PROFILES[profile]
    result = []
    for entry in sorted(
        resources.files("workshop.sandbox").joinpath("stages").iterdir(), key=lambda e: e.name
    ):
        if not entry.name.endswith(".yaml"):
            continue
        base, ceiling = BACKOFF[profile]
        text = entry.read_text().replace("BACKOFF_BASE", str(base))
        stage: dict[str, Any] = yaml.safe_load(text.replace("BACKOFF_CAP", str(ceiling)))
        name = stage["metadata"]["name"]
        if name in delays:
            duration, jitter = delays[name]
            stage["spec"]["delay"] = {
                "durationMilliseconds": duration,
                "jitterDurationMilliseconds": jitter,
            }
        result.append(stage)
    return result


def config(
    *, profile: str, log_file: Path, exec_dir: Path, exec_user: int | None
) -> list[dict[str, Any]]:
    """Every document of kwok's ``--config`` file.

    ``log_file`` answers ``kubectl logs`` for pods the app simulator has not published
    logs for (it creates a ``Logs`` object per pod, which takes precedence).
    """
    local: dict[str, Any] = {"workDir": str(exec_dir)}
    if exec_user is not None:
        # kubectl exec runs the command on this machine: never as root.
        local["securityContext"] = {"runAsUser": exec_user, "runAsGroup": exec_user}
    return [
        {
            "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
            "kind": "KwokConfiguration",
            # A config file gets none of kwok's defaults: every option is spelled out.
            "options": {
                "enableDebuggingHandlers": True,  # logs, exec, attach, port-forward
                "enableProfilingHandler": False,
                "enableContentionProfiling": False,
                "nodePlayStageParallelism": 4,
                "podPlayStageParallelism": 8,
                "nodeLeaseParallelism": 4,
                "podsOnNodeSyncParallelism": 2,
                "enablePodsOnNodeSyncListPager": True,
                "enablePodsOnNodeSyncStreamWatch": False,
            },
        },
        *stages(profile),
        {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "ClusterLogs",
            "metadata": {"name": "default-logs"},
            "spec": {"logs": [{"logsFile": str(log_file), "follow": True}]},
        },
        {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "ClusterExec",
            "metadata": {"name": "default-exec"},
            "spec": {"execs": [{"local": local}]},
        },
    ]


def dump(documents: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False)
