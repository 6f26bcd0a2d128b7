"""How long simulated things take, per delay profile: ``instant`` for tests, ``lifelike`` for demos.

kwok's stages carry the delays of pod and node status (``kwokconfig.PROFILES``); these are
the ones the add-ons own: pulling an image, booting a node, the cluster autoscaler's
rhythm, the kubelet's image pull back-off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    pull_mb_per_second: float | None
    """Download speed of image pulls; None pulls in no time."""
    pull_backoff: tuple[float, float]
    """The kubelet's image pull back-off: first delay and ceiling, in seconds."""
    err_image_pull_seconds: float
    """How long ErrImagePull shows before it turns into ImagePullBackOff."""
    node_boot_seconds: float
    """From a pool's resize to the new Node object: the instance boots and joins."""
    honour_probes: bool
    """Wait for readinessProbe delays before pods turn Ready."""
    autoscaler_scan_seconds: float
    scale_down_unneeded_seconds: float
    """Default of the pool's autoscaling.scaleDownUnneededTimeSeconds."""
    scale_down_delay_after_add_seconds: float
    drain_timeout_seconds: float
    """How long a node removal waits for evictions a PodDisruptionBudget refuses."""


PROFILES = {
    "instant": Settings(
        pull_mb_per_second=None,
        pull_backoff=(1.0, 8.0),
        err_image_pull_seconds=0.5,
        node_boot_seconds=0.0,
        honour_probes=False,
        autoscaler_scan_seconds=0.5,
        scale_down_unneeded_seconds=2.0,
        scale_down_delay_after_add_seconds=0.0,
        drain_timeout_seconds=10.0,
    ),
    # The real kubelet backs off 10s, 20s, 40s... up to 5 minutes; the real cluster
    # autoscaler scans every 10s and removes a node unneeded for 10 minutes. Demos get
    # the kubelet's numbers and a shortened autoscaler.
    "lifelike": Settings(
        pull_mb_per_second=40.0,
        pull_backoff=(10.0, 300.0),
        err_image_pull_seconds=2.0,
        node_boot_seconds=8.0,
        honour_probes=True,
        autoscaler_scan_seconds=10.0,
        scale_down_unneeded_seconds=60.0,
        scale_down_delay_after_add_seconds=60.0,
        drain_timeout_seconds=120.0,
    ),
}


def for_profile(profile: str) -> Settings:
    return PROFILES.get(profile, PROFILES["instant"])
