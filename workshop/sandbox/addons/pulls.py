"""Image pulls and failures: the part of the kubelet that kwok leaves out.

For each pod scheduled to a node, this controller pulls its images (asks the pull sources:
a registry, the catalogue; with the logins of the pod's ``imagePullSecrets``), waits for
its volumes to be bound, reads what each container will do (``behaviour.py``), and writes
the verdict on the pod as annotations.
kwok's pod stages do the rest: ``pulled`` lets the containers start; ``exiting`` makes
them end and restart with a back-off (CrashLoopBackOff), or end for good in a Job.

An image that does not pull gets the kubelet's treatment: the events ``Pulling``, ``Failed
to pull image ...``, ``Error: ErrImagePull``, then ``Back-off pulling image ...`` and
``Error: ImagePullBackOff``, and a new try after a back-off that doubles each time. Should
the image appear (pushed to the local registry), the next try pulls it and the pod starts.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workshop.sandbox.addons import annotations as notes
from workshop.sandbox.addons import behaviour, catalogue, pullsecrets
from workshop.sandbox.addons.client import Events, Kube, call
from workshop.sandbox.addons.loop import Controller, Informer, key_of
from workshop.sandbox.addons.settings import Settings


@dataclass
class Attempt:
    """Where a pod whose image does not pull stands in the kubelet's back-off."""

    failures: int = 0
    showing: str = ""  # ErrImagePull or ImagePullBackOff
    next_step: float = 0.0


@dataclass
class Download:
    """A lifelike pull in progress: its images arrive at ``until``."""

    until: float
    images: dict[str, float] = field(default_factory=dict)  # reference -> seconds it took


def claims(pod: dict[str, Any]) -> list[str]:
    return [
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["spec"].get("volumes") or []
        if "persistentVolumeClaim" in v
    ]


def go_duration(seconds: float) -> str:
    return f"{seconds:.3f}s"


def go_duration_text(seconds: float) -> str:
    """A duration as Go prints it in the kubelet's messages: ``389ms``, ``2.305s``."""
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.3f}".rstrip("0") + "s"


LIFELIKE_MB_PER_SECOND = 40.0  # what messages quote when the instant profile does not wait


class ImagePulls(Controller):
    name = "image-pulls"
    workers = 8

    def __init__(
        self,
        kube: Kube,
        pods: Informer,
        claims: Informer,
        settings: Settings,
        sources: list[catalogue.PullSource],
    ) -> None:
        super().__init__()
        self.kube, self.pods, self.claims, self.settings = kube, pods, claims, settings
        self.sources = sources
        self.events = Events(kube, "kubelet", writers=4)  # a few events for every pod
        self.attempts: dict[str, Attempt] = {}
        self.downloads: dict[str, Download] = {}
        self.on_node: dict[str, set[str]] = {}  # node -> images already there
        # pods started, by key -> uid: the cache may not show our annotation yet
        self.started: dict[str, str] = {}
        self.watch(pods)

    def reconcile(self, key: str) -> float | None:
        pod = self.pods.get(key)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            self.attempts.pop(key, None)
            self.downloads.pop(key, None)
            self.started.pop(key, None)
            return None
        node = pod["spec"].get("nodeName")
        notes_now = pod["metadata"].get("annotations") or {}
        if self.started.get(key) == pod["metadata"]["uid"]:
            return None
        if not node or notes_now.get(notes.PULLED) == "true":
            return None  # not scheduled yet, or already started: kwok's stages take over
        containers = [*(pod["spec"].get("initContainers") or []), *pod["spec"]["containers"]]
        images, failed = {}, {}
        keyring, unusable = self._keyring(pod)
        for container in containers:
            if unusable:  # the kubelet does not pull when a pull secret cannot be read
                failed[container["name"]] = (container["image"], unusable)
                continue
            try:
                images[container["name"]] = catalogue.pull(
                    container["image"], self.sources, keyring=keyring.lookup
                )
            except catalogue.PullError as e:
                failed[container["name"]] = (container["image"], str(e))
        if failed:
            return self._failed(key, pod, failed)
        self.attempts.pop(key, None)
        wait = self._download(key, pod, containers, images)
        if wait:
            if notes_now.get(notes.PULLING) != "true":  # the pod shows ContainerCreating
                self._annotate(pod, {notes.PULLING: "true"})
            return wait
        pending = [c for c in claims(pod) if not self._bound(pod, c)]
        if pending:
            self.log.info("%s: waiting for claims %s to be bound", key, ", ".join(pending))
            return 1.0
        self._start(key, pod, images)
        self.started[key] = pod["metadata"]["uid"]
        return None

    def _keyring(self, pod: dict[str, Any]) -> tuple[pullsecrets.Keyring, str]:
        """The logins of the pod's pull secrets; or why one of them cannot be used."""
        if not pod["spec"].get("imagePullSecrets"):
            return pullsecrets.NO_LOGINS, ""
        secrets, missing = pullsecrets.fetch(self.kube, pod)
        if missing:
            self.events.record(
                pod,
                "Pod",
                "FailedToRetrieveImagePullSecret",
                f"Unable to retrieve some image pull secrets ({', '.join(missing)}); "
                "attempting to pull the image may not succeed.",
                warning=True,
                host=pod["spec"]["nodeName"],
            )
        try:
            return pullsecrets.keyring(secrets), ""
        except pullsecrets.SecretError as e:
            return pullsecrets.NO_LOGINS, str(e)

    def _bound(self, pod: dict[str, Any], claim: str) -> bool:
        found = self.claims.get(f"{pod['metadata']['namespace']}/{claim}")
        return found is not None and found.get("status", {}).get("phase") == "Bound"

    # -- a successful pull ------------------------------------------------------------------

    def _download(
        self,
        key: str,
        pod: dict[str, Any],
        containers: list[dict[str, Any]],
        images: dict[str, catalogue.Image],
    ) -> float:
        """Seconds until the images are on the node (0 when they are); events as they go."""
        node = pod["spec"]["nodeName"]
        present = self.on_node.setdefault(node, set())
        download = self.downloads.get(key)
        if download is None:
            download = Download(until=time.monotonic())
            for container in containers:
                reference, image = container["image"], images[container["name"]]
                policy = container.get("imagePullPolicy", "IfNotPresent")
                if policy != "Always" and reference in present:
                    continue
                seconds = self._pull_seconds(image, cached=reference in present)
                download.images[reference] = seconds
                if self.settings.pull_mb_per_second is not None:  # instant: no waiting
                    download.until = max(download.until, time.monotonic() + seconds)
                if self.settings.pull_mb_per_second is not None:
                    self._event(pod, container, "Pulling", f'Pulling image "{reference}"')
            self.downloads[key] = download
        left = download.until - time.monotonic()
        if left > 0:
            return left
        for container in containers:
            reference = container["image"]
            if reference in download.images:
                image = images[container["name"]]
                took = go_duration_text(self._pull_seconds(image, cached=reference in present))
                download.images.pop(reference)
                message = (
                    f'Successfully pulled image "{reference}" in {took} ({took} including '
                    f"waiting). Image size: {int(image.size_mb * 1e6)} bytes."
                )
            else:
                message = f'Container image "{reference}" already present on machine'
            self._event(pod, container, "Pulled", message)
            present.add(reference)
        self.downloads.pop(key, None)
        return 0.0

    def _pull_seconds(self, image: catalogue.Image, *, cached: bool) -> float:
        """How long a pull takes: layers already on the node only need the manifest."""
        speed = self.settings.pull_mb_per_second or LIFELIKE_MB_PER_SECOND
        return 0.4 if cached else 0.5 + image.size_mb / speed

    def _start(self, key: str, pod: dict[str, Any], images: dict[str, catalogue.Image]) -> None:
        """Write the verdict: the containers may start, and this is what they will do."""
        policy = pod["spec"].get("restartPolicy", "Always")
        name = pod["metadata"]["name"]
        verdict: dict[str, str | None] = dict.fromkeys(notes.POD_ANNOTATIONS)
        verdict[notes.PULLED] = "true"
        exiting = []
        ready_after = 0.0
        for container in pod["spec"]["containers"]:
            image = images[container["name"]]
            program = behaviour.program(container, image, restart_policy=policy, pod=name)
            if program.exit_code is not None:
                exiting.append((container["name"], program))
            if self.settings.honour_probes:
                ready_after = max(ready_after, behaviour.ready_after(container, image))
        if exiting:
            first = exiting[0][1]
            verdict[notes.EXITING] = ",".join(n for n, _ in exiting)
            verdict[notes.EXIT_CODE] = str(first.exit_code)
            verdict[notes.EXIT_REASON] = first.reason
            verdict[notes.RUNS_FOR] = go_duration(min(p.runs_for for _, p in exiting))
        if ready_after:
            verdict[notes.READY_AFTER] = go_duration(ready_after)
        self._annotate(pod, verdict)
        what = f"exits with {first.exit_code} ({first.reason})" if exiting else "serves"
        self.log.info("%s: images pulled, containers start (%s)", key, what)

    # -- a failed pull ------------------------------------------------------------------------

    def _failed(self, key: str, pod: dict[str, Any], failed: dict[str, tuple[str, str]]) -> float:
        """The kubelet's image pull back-off: ErrImagePull, ImagePullBackOff, try again."""
        attempt = self.attempts.setdefault(key, Attempt())
        now = time.monotonic()
        if now < attempt.next_step:
            return attempt.next_step - now
        names = ",".join(failed)
        reference, error = next(iter(failed.values()))
        if attempt.showing == "ErrImagePull":
            base, ceiling = self.settings.pull_backoff
            delay = min(ceiling, base * 2.0 ** (attempt.failures - 1))
            for name, (ref, _) in failed.items():
                container = self._container(pod, name)
                self._event(pod, container, "BackOff", f'Back-off pulling image "{ref}"')
                self._event(pod, container, "Failed", "Error: ImagePullBackOff", warning=True)
            message = f'Back-off pulling image "{reference}": ErrImagePull: {error}'
            self._show(pod, "ImagePullBackOff", message, names)
            attempt.showing, attempt.next_step = "ImagePullBackOff", now + delay
            self.log.info("%s: ImagePullBackOff; next try in %.0fs", key, delay)
            return delay
        attempt.failures += 1
        for name, (ref, text) in failed.items():
            container = self._container(pod, name)
            self._event(pod, container, "Pulling", f'Pulling image "{ref}"')
            self._event(
                pod, container, "Failed", f'Failed to pull image "{ref}": {text}', warning=True
            )
            self._event(pod, container, "Failed", "Error: ErrImagePull", warning=True)
        self._show(pod, "ErrImagePull", error, names)
        attempt.showing = "ErrImagePull"
        attempt.next_step = now + self.settings.err_image_pull_seconds
        self.log.info("%s: ErrImagePull for %s (try %d)", key, reference, attempt.failures)
        return self.settings.err_image_pull_seconds

    def _show(self, pod: dict[str, Any], reason: str, message: str, names: str) -> None:
        shown = {
            notes.WAITING_REASON: reason,
            notes.WAITING_MESSAGE: message,
            notes.WAITING_CONTAINERS: names,
        }
        self._annotate(pod, shown)

    def _annotate(self, pod: dict[str, Any], values: Mapping[str, str | None]) -> None:
        meta = pod["metadata"]
        call(
            self.kube.core.patch_namespaced_pod,
            meta["name"],
            meta["namespace"],
            {"metadata": {"annotations": values}},
        )

    @staticmethod
    def _container(pod: dict[str, Any], name: str) -> dict[str, Any]:
        every = [*(pod["spec"].get("initContainers") or []), *pod["spec"]["containers"]]
        return next(c for c in every if c["name"] == name)

    def _event(
        self,
        pod: dict[str, Any],
        container: dict[str, Any],
        reason: str,
        message: str,
        *,
        warning: bool = False,
    ) -> None:
        kind = (
            "initContainers"
            if container in (pod["spec"].get("initContainers") or [])
            else "containers"
        )
        self.events.record(
            pod,
            "Pod",
            reason,
            message,
            warning=warning,
            host=pod["spec"]["nodeName"],
            field_path=f"spec.{kind}{{{container['name']}}}",
        )


__all__ = ["ImagePulls", "claims", "key_of"]
