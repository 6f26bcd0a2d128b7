"""The annotations through which the add-ons and kwok's stages talk (names only).

The image controller plays the kubelet's part that kwok leaves out: it decides whether a
pod's images pull and what its containers do, and writes the verdict on the pod. kwok's
pod stages (``stages/*.yaml``) read these annotations to move the pod's status along:
``pulled`` opens the gate to Running; ``exiting`` and the ``exit-*`` ones make containers
terminate and restart with a back-off, as a crashing program would.
"""

from __future__ import annotations

PREFIX = "sandbox.workshop.dev/"

# -- pods: written by the image controller (pulls.py), read by kwok's stages ---------------
PULLING = PREFIX + "pulling"
"""``"true"`` while images download (lifelike profile): the pod shows ContainerCreating."""
PULLED = PREFIX + "pulled"
"""``"true"`` once every image is on the node and every volume is bound: containers may start."""
WAITING_REASON = PREFIX + "waiting-reason"
"""Why the containers cannot start yet: ``ErrImagePull`` or ``ImagePullBackOff``."""
WAITING_MESSAGE = PREFIX + "waiting-message"
WAITING_CONTAINERS = PREFIX + "waiting-containers"
"""Comma-separated names of the containers whose image does not pull."""
EXITING = PREFIX + "exiting"
"""Comma-separated names of the containers whose program ends (others serve forever)."""
EXIT_CODE = PREFIX + "exit-code"
EXIT_REASON = PREFIX + "exit-reason"
"""``Completed``, ``Error`` or ``OOMKilled``, as the kubelet reports a terminated container."""
RUNS_FOR = PREFIX + "runs-for"
"""How long the exiting containers run before they end (a Go duration: ``1.5s``)."""
READY_AFTER = PREFIX + "ready-after"
"""When a readinessProbe makes the pod wait: the delay before it turns Ready (``5s``)."""

POD_ANNOTATIONS = (
    PULLING,
    PULLED,
    WAITING_REASON,
    WAITING_MESSAGE,
    WAITING_CONTAINERS,
    EXITING,
    EXIT_CODE,
    EXIT_REASON,
    RUNS_FOR,
    READY_AFTER,
)

# -- services: written by the load balancer controller -------------------------------------
LB_URLS = PREFIX + "load-balancer-urls"
"""Space-separated URLs where the Service's load balancer listens on this machine."""
