"""``ClusterView``: the cluster's nodes as boxes, their pods as coloured tiles, live.

Two watches (nodes, and pods in one namespace or all) feed a debounced re-render, so the
reconcile loop can be watched at work: scale a Deployment and tiles appear, delete a pod
and another one takes its place.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import ipywidgets

from workshop.cluster import Cluster
from workshop.widgets import commands, drawing, progress
from workshop.widgets.base import CommandLine, Widget
from workshop.widgets.debounce import Debouncer
from workshop.widgets.errors import WaitTimeout
from workshop.widgets.watching import Watcher


class ClusterView(Widget):
    """Nodes and their pods, live. ``picture`` is what is drawn, as data."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        title: str | None = None,
        debounce: float = 0.15,
        start: bool = True,
    ) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.title = title or (f"namespace {namespace}" if namespace else "all namespaces")
        self._html = ipywidgets.HTML()
        self.command = CommandLine(
            commands.kubectl(
                "get",
                "pods",
                "-o",
                "wide",
                "--watch",
                *(("-l", label_selector) if label_selector else ()),
                *(() if namespace else ("-A",)),
                namespace=namespace,
            ),
            label="the same with kubectl",
        )
        super().__init__(self._html, self.command.widget)
        self.box.add_class("workshop-clusterview")
        self.renders = 0
        self._debouncer = Debouncer(self.render, delay=debounce)
        self.nodes = Watcher(
            cluster.api,
            "v1",
            "Node",
            on_change=self._debouncer.trigger,
            on_error=lambda _: self._debouncer.trigger(),
        )
        self.pods = Watcher(
            cluster.api,
            "v1",
            "Pod",
            namespace=namespace,
            label_selector=label_selector,
            on_change=self._debouncer.trigger,
            on_error=lambda _: self._debouncer.trigger(),
        )
        self._html.value = '<div class="ws-cluster">connecting to the cluster...</div>'
        self._claim(cluster.context, namespace or "", label_selector or "")
        if start:
            self.start()

    @property
    def picture(self) -> drawing.ClusterPicture:
        return drawing.picture(self.nodes.objects, self.pods.objects)

    @property
    def html(self) -> str:
        return str(self._html.value)

    @property
    def error(self) -> str | None:
        return self.nodes.error or self.pods.error

    def start(self) -> ClusterView:
        self.nodes.start()
        self.pods.start()
        return self

    def refresh(self) -> drawing.ClusterPicture:
        """List nodes and pods again now, and redraw (``ClusterError`` if unreachable)."""
        self.nodes.relist()
        self.pods.relist()
        self._debouncer.flush()
        self.render()
        return self.picture

    def render(self) -> None:
        self.renders += 1
        if not (self.nodes.synced.is_set() and self.pods.synced.is_set()):
            if self.error:
                self._html.value = drawing.render(
                    drawing.ClusterPicture((), ()), title=self.title, error=self.error
                )
            return
        self._html.value = drawing.render(self.picture, title=self.title, error=self.error)

    def wait_until(
        self,
        condition: Callable[[drawing.ClusterPicture], bool],
        *,
        timeout: float = 60.0,
        what: str = "the cluster to look as expected",
    ) -> drawing.ClusterPicture:
        """Block until ``condition(picture)`` holds (a progress bar shows after a second)."""
        deadline = time.monotonic() + timeout
        with progress.Waiting(f"waiting for {what}", timeout=timeout) as bar:
            while True:
                if self.nodes.synced.is_set() and self.pods.synced.is_set():
                    current = self.picture
                    if condition(current):
                        self._debouncer.flush()
                        return current
                    bar.update(text=current.summary())
                if time.monotonic() > deadline:
                    shown = self.picture.summary()
                    raise WaitTimeout(
                        f"waited {timeout:.0f}s for {what}; the cluster shows {shown}",
                        hint=self.error or "`kubectl get pods -o wide` shows what is there",
                    )
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop watching (the last picture stays on the page)."""
        self.nodes.stop()
        self.pods.stop()
        self._debouncer.close()
