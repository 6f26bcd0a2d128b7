"""``ScaleSlider``: a Deployment's replicas on a slider, with its ready pods beside it.

Moving the slider sends what ``kubectl scale`` sends (a patch of the ``scale``
subresource); a watch on the Deployment fills the bar as the controllers and the
scheduler make the new pods Ready: desired state, then actual state catching up.
"""

from __future__ import annotations

import html
import time
from typing import Any

import ipywidgets

from workshop.cluster import Cluster
from workshop.errors import WorkshopError
from workshop.widgets import commands, progress
from workshop.widgets.base import CommandLine, Message, Widget
from workshop.widgets.debounce import Debouncer
from workshop.widgets.watching import Watcher

Object = dict[str, Any]


class ScaleSlider(Widget):
    """Scale ``deployment`` in ``namespace``: move the slider, or call ``scale(n)``."""

    def __init__(
        self,
        cluster: Cluster,
        deployment: str,
        namespace: str = "default",
        *,
        max: int = 10,
        start: bool = True,
    ) -> None:
        self.cluster = cluster
        self.deployment = deployment
        self.namespace = namespace
        self.slider = ipywidgets.IntSlider(
            value=0,
            min=0,
            max=max,
            description="replicas",
            continuous_update=False,
            disabled=True,
        )
        self.bar = ipywidgets.IntProgress(value=0, min=0, max=1, bar_style="info")
        self.status = ipywidgets.HTML()
        self.message = Message()
        self.command = CommandLine(self._kubectl(None), label="the same with kubectl")
        super().__init__(
            ipywidgets.HBox([self.slider, self.bar, self.status]),
            self.command.widget,
            self.message.widget,
        )
        self.box.add_class("workshop-scaleslider")
        self._syncing = False
        self._debouncer = Debouncer(self._render, delay=0.1)
        self.watcher = Watcher(
            cluster.api,
            "apps/v1",
            "Deployment",
            namespace=namespace,
            field_selector=f"metadata.name={deployment}",
            on_change=self._debouncer.trigger,
            on_error=lambda e: self.message.show(e or "", kind="error" if e else "info"),
        )
        self.slider.observe(self._on_slide, names="value")
        self._claim(cluster.context, namespace, deployment)
        if start:
            self.watcher.start()

    def _kubectl(self, replicas: int | None) -> str:
        count = "N" if replicas is None else str(replicas)
        return commands.kubectl(
            "scale",
            f"deployment/{self.deployment}",
            f"--replicas={count}",
            namespace=self.namespace,
        )

    @property
    def object(self) -> Object | None:
        found = self.watcher.objects
        return found[0] if found else None

    @property
    def ready(self) -> tuple[int, int]:
        """(ready replicas, desired replicas), as the Deployment's status says."""
        obj = self.object or {}
        desired = int((obj.get("spec") or {}).get("replicas") or 0)
        return int((obj.get("status") or {}).get("readyReplicas") or 0), desired

    @property
    def value(self) -> int:
        return int(self.slider.value)

    def scale(self, replicas: int, *, wait: bool = False, timeout: float = 60.0) -> bool:
        """Set the replicas (``kubectl scale``); with ``wait``, block until they are Ready."""
        self.command.show(self._kubectl(replicas), label="the same with kubectl")
        path = f"/apis/apps/v1/namespaces/{self.namespace}/deployments/{self.deployment}/scale"
        try:
            self.cluster.api.request(
                "PATCH",
                path,
                body={"spec": {"replicas": replicas}},
                content_type="application/merge-patch+json",
            )
        except WorkshopError as e:
            if getattr(e, "status", None) == 404:
                e = WorkshopError(
                    f"deployment {self.deployment} not found in namespace {self.namespace}",
                    hint="create it first; `kubectl get deployments "
                    f"-n {self.namespace}` lists what is there",
                )
            self.message.show(str(e), kind="error")
            return False
        self.message.show(f"asked for {replicas} replicas", kind="ok")
        self._set_slider(replicas)
        if wait:
            progress.wait_until(
                lambda: self.ready == (replicas, replicas) or None,
                timeout=timeout,
                what=f"{replicas} ready replicas of {self.deployment}",
                interval=0.2,
                describe=lambda: "{}/{} ready".format(*self.ready),
            )
        return True

    def wait_ready(self, *, timeout: float = 60.0) -> tuple[int, int]:
        """Block until the ready replicas match the desired ones."""
        deadline = time.monotonic() + timeout
        progress.wait_until(
            lambda: (self.object is not None and self.ready[0] == self.ready[1]) or None,
            timeout=max(0.0, deadline - time.monotonic()),
            what=f"deployment {self.deployment} to be ready",
            interval=0.2,
            describe=lambda: "{}/{} ready".format(*self.ready),
        )
        return self.ready

    def stop(self) -> None:
        self.watcher.stop()
        self._debouncer.close()

    def _set_slider(self, replicas: int) -> None:
        self._syncing = True
        try:
            self.slider.max = max(self.slider.max, replicas)
            self.slider.value = replicas
        finally:
            self._syncing = False

    def _on_slide(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.scale(int(change["new"]))

    def _render(self) -> None:
        obj = self.object
        if obj is None:
            self.slider.disabled = True
            self.status.value = html.escape(
                f"deployment {self.deployment} not found in namespace {self.namespace} (yet)"
            )
            return
        ready, desired = self.ready
        self.slider.disabled = False
        if self.slider.value != desired and not self._syncing:
            self._set_slider(desired)
        self.bar.max = max(desired, 1)
        self.bar.value = min(ready, self.bar.max)
        self.bar.bar_style = "success" if ready == desired else "info"
        self.status.value = f'<span style="font-size:12px">{ready}/{desired} ready</span>'
