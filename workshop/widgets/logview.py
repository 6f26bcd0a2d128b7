"""``LogView``: follow a pod's log, like ``kubectl logs -f``.

The target is a pod name, or ``deployment/NAME`` (one of its pods, as kubectl picks one).
Lines arrive from the official client's log stream in a background thread and are shown
in batches (debounced); the view keeps the last ``max_lines``.
"""

from __future__ import annotations

import contextlib
import html
import threading
import time
from collections import deque
from typing import Any

import ipywidgets
import urllib3
from kubernetes import client, watch
from kubernetes.client import ApiException

from workshop.cluster import Cluster
from workshop.errors import ClusterError, WorkshopError
from workshop.widgets import commands
from workshop.widgets.base import CommandLine, Message, Widget
from workshop.widgets.debounce import Debouncer
from workshop.widgets.errors import WaitTimeout


def pick_pod(cluster: Cluster, target: str, namespace: str) -> str:
    """The pod a target names: ``hello-abc12`` as is, ``deployment/hello`` one of its pods."""
    kind, _, name = target.rpartition("/")
    if not kind:
        return target
    if kind.lower() not in ("deployment", "deploy", "deployments", "pod", "pods", "po"):
        raise WorkshopError(
            f"LogView follows a pod or a deployment, not {kind}",
            hint="pass a pod name, or deployment/NAME",
        )
    if kind.lower().startswith("po"):
        return name
    deployment = cluster.api.get("apps/v1", "Deployment", name, namespace)
    if deployment is None:
        raise WorkshopError(
            f"deployment {name} not found in namespace {namespace}",
            hint=f"`kubectl get deployments -n {namespace}` lists what is there",
        )
    labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    pods = cluster.api.list("v1", "Pod", namespace=namespace, label_selector=selector)
    running = [p for p in pods if (p.get("status") or {}).get("phase") == "Running"]
    chosen = sorted(running or pods, key=lambda p: str(p["metadata"]["name"]))
    if not chosen:
        raise WorkshopError(
            f"deployment {name} has no pods yet",
            hint=f"`kubectl get pods -l {selector} -n {namespace}` shows when they come",
        )
    return str(chosen[0]["metadata"]["name"])


class LogView(Widget):
    """A pod's log, followed live. ``lines`` holds what is shown."""

    def __init__(
        self,
        cluster: Cluster,
        pod: str,
        namespace: str = "default",
        *,
        container: str | None = None,
        follow: bool = True,
        tail_lines: int = 100,
        max_lines: int = 500,
        start: bool = True,
    ) -> None:
        self.cluster = cluster
        self.target = pod
        self.namespace = namespace
        self.container = container
        self.follow = follow
        self.tail_lines = tail_lines
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._lock = threading.Lock()
        self._pre = ipywidgets.HTML()
        self.message = Message()
        args = ["logs", pod, f"--tail={tail_lines}"]
        if follow:
            args.append("-f")
        if container:
            args += ["-c", container]
        self.command = CommandLine(
            commands.kubectl(*args, namespace=namespace), label="the same with kubectl"
        )
        super().__init__(self.message.widget, self._pre, self.command.widget)
        self.box.add_class("workshop-logview")
        self.pod: str | None = None
        self._stop = threading.Event()
        self._watch: watch.Watch | None = None
        self._response: Any = None
        self._thread: threading.Thread | None = None
        self._debouncer = Debouncer(self._render, delay=0.2)
        self._claim(cluster.context, namespace, pod, container or "")
        if start:
            self.start()

    @property
    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> LogView:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="workshop-logs", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._watch is not None:
            self._watch.stop()  # type: ignore[no-untyped-call]
        self._unblock()
        self._debouncer.flush()
        self._debouncer.close()

    def wait_for(self, text: str, *, timeout: float = 30.0) -> str:
        """Block until a line containing ``text`` has arrived; that line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in self.lines if text in line), None)
            if found is not None:
                return found
            time.sleep(0.1)
        raise WaitTimeout(
            f"no line with {text!r} in the log of {self.pod or self.target} after {timeout:.0f}s",
            hint=self.message.text or None,
        )

    def _run(self) -> None:
        try:
            self.pod = pick_pod(self.cluster, self.target, self.namespace)
            self._stream()
        except WorkshopError as e:
            self.message.show(str(e), kind="error")
        except ApiException as e:
            self.message.show(_api_message(e, self.pod or self.target), kind="error")
        except (urllib3.exceptions.HTTPError, OSError) as e:
            if not self._stop.is_set():
                self.message.show(f"lost the log stream: {e}", kind="error")
        finally:
            self._debouncer.flush()

    def _stream(self) -> None:
        core = client.CoreV1Api(self.cluster.api_client)
        pod = str(self.pod)
        self.message.show(f"log of pod {pod} in namespace {self.namespace}", kind="info")
        if not self.follow:
            text = core.read_namespaced_pod_log(
                pod, self.namespace, container=self.container, tail_lines=self.tail_lines
            )
            self._add(str(text).splitlines())
            return

        def open_log(name: str, namespace: str, *, follow: bool, **kwargs: Any) -> Any:
            # What watch.Watch calls; keeps the response so that stop() can unblock its read.
            response = core.read_namespaced_pod_log(name, namespace, follow=follow, **kwargs)
            self._response = response
            if self._stop.is_set():
                self._unblock()
            return response

        self._watch = watch.Watch()  # type: ignore[no-untyped-call]
        lines = self._watch.stream(  # type: ignore[no-untyped-call]
            open_log,
            pod,
            self.namespace,
            container=self.container,
            tail_lines=self.tail_lines,
        )
        for line in lines:
            if self._stop.is_set():
                break
            self._add([str(line)])

    def _unblock(self) -> None:
        response = self._response
        if response is not None:
            with contextlib.suppress(OSError, ValueError, RuntimeError):
                response.shutdown()

    def _add(self, lines: list[str]) -> None:
        with self._lock:
            self._lines.extend(lines)
        self._debouncer.trigger()

    def _render(self) -> None:
        text = "\n".join(self.lines)
        self._pre.value = (
            '<pre class="ws-log" style="font-size:12px;max-height:300px;overflow:auto;'
            f'background:#f6f8fa;padding:6px">{html.escape(text) or "(no lines yet)"}</pre>'
        )


def _api_message(error: ApiException, pod: str) -> str:
    import json

    try:
        message = json.loads(error.body or "{}").get("message") or error.reason
    except ValueError:
        message = error.reason
    text = f"cannot read the log of {pod} ({error.status}): {message}"
    return str(ClusterError(text, hint="`kubectl describe pod` shows why"))
