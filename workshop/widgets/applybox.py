"""``ApplyBox``: a YAML editor with Apply, Diff (a server-side dry run) and Delete.

Whatever goes wrong (YAML that does not parse, a manifest missing its name, the API server
refusing it) is shown under the editor in plain words; the editor's text is never touched,
so nothing typed is lost.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import ipywidgets

from workshop.cluster import Cluster
from workshop.errors import ClusterError, WorkshopError
from workshop.kubeapi import FIELD_MANAGER
from workshop.widgets import commands, manifests
from workshop.widgets.base import CommandLine, Message, Widget

Object = dict[str, Any]


class ApplyBox(Widget):
    """Edit manifests and send them. ``apply()``, ``diff()`` and ``delete()`` are the buttons."""

    def __init__(
        self,
        cluster: Cluster,
        text: str = "",
        *,
        namespace: str | None = None,
        file: str | Path | None = None,
        rows: int = 14,
    ) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.filename = str(file) if file else "manifest.yaml"
        if file and not text:
            text = Path(file).read_text()
        self.editor = ipywidgets.Textarea(
            value=text, rows=rows, layout=ipywidgets.Layout(width="100%")
        )
        self.editor.add_class("ws-editor")
        self.apply_button = ipywidgets.Button(description="Apply", button_style="primary")
        self.diff_button = ipywidgets.Button(description="Diff")
        self.delete_button = ipywidgets.Button(description="Delete", button_style="danger")
        self.apply_button.on_click(lambda _: self.apply())
        self.diff_button.on_click(lambda _: self.diff())
        self.delete_button.on_click(lambda _: self.delete())
        self.message = Message()
        self.output = ipywidgets.HTML()
        self.command = CommandLine(self._kubectl("apply", "--server-side"))
        buttons = ipywidgets.HBox([self.apply_button, self.diff_button, self.delete_button])
        super().__init__(
            self.editor, buttons, self.command.widget, self.message.widget, self.output
        )
        self.box.add_class("workshop-applybox")
        self.applied: list[Object] = []
        self.diff_text = ""
        self.error: WorkshopError | None = None

    @property
    def text(self) -> str:
        return str(self.editor.value)

    @text.setter
    def text(self, value: str) -> None:
        self.editor.value = value

    @property
    def ok(self) -> bool:
        return self.error is None

    def _kubectl(self, verb: str, *flags: str) -> str:
        return commands.kubectl(verb, *flags, "-f", self.filename, namespace=self.namespace)

    def _fail(self, error: WorkshopError, done: list[str], doc: Object | None = None) -> None:
        if isinstance(error, ClusterError) and error.status and doc is not None:
            # "PATCH /api/v1/... refused (422): <the server's words>" -> name the object instead
            words = error.message.split("): ", 1)[-1]
            error = ClusterError(
                f"the API server refused {manifests.name_of(doc)} ({error.status}): {words}",
                context=error.context,
                status=error.status,
                hint=error.hint or "fix the manifest in the editor and press the button again",
            )
        self.error = error
        before = f"done before the error: {', '.join(done)}\n" if done else ""
        self.message.show(before + str(error), kind="error")

    def _start(self, verb: str, *flags: str) -> list[Object] | None:
        self.error = None
        self.output.value = ""
        self.command.show(
            self._kubectl(verb, *flags), label=f"by hand (the editor saved as {self.filename})"
        )
        try:
            return manifests.parse(self.text)
        except WorkshopError as e:
            self._fail(e, [])
            return None

    def apply(self) -> bool:
        """Server-side apply every manifest, in order; ``False`` (and a message) on error."""
        docs = self._start("apply", "--server-side")
        if docs is None:
            return False
        self.applied = []
        done: list[str] = []
        for doc in docs:
            try:
                result = self.cluster.api.apply(doc, namespace=self.namespace)
            except WorkshopError as e:
                self._fail(e, done, doc)
                return False
            self.applied.append(result)
            done.append(f"{manifests.name_of(result)} applied")
        self.message.show("\n".join(done), kind="ok")
        return True

    def diff(self) -> bool:
        """Show what Apply would change, from the server's dry run (nothing is changed)."""
        docs = self._start("diff", "--server-side")
        if docs is None:
            return False
        parts = []
        for doc in docs:
            try:
                live, planned = self._dry_run(doc)
            except WorkshopError as e:
                self._fail(e, [], doc)
                return False
            name = manifests.name_of(doc)
            parts.append(manifests.diff(live, planned, name=name) or f"{name}: no change\n")
        self.diff_text = "".join(parts)
        self.output.value = _diff_html(self.diff_text)
        changed = sum(1 for p in parts if not p.endswith(": no change\n"))
        self.message.show(
            f"dry run: {changed} of {len(docs)} object(s) would change; nothing was changed",
            kind="ok",
        )
        return True

    def delete(self) -> bool:
        """Delete every object the manifests name (in reverse order); missing ones are fine."""
        docs = self._start("delete")
        if docs is None:
            return False
        done: list[str] = []
        for doc in reversed(docs):
            meta = doc["metadata"]
            try:
                namespace = self._namespace(doc)
                gone = self.cluster.api.delete(
                    doc["apiVersion"], doc["kind"], meta["name"], namespace
                )
            except WorkshopError as e:
                self._fail(e, done, doc)
                return False
            done.append(f"{manifests.name_of(doc)} {'deleted' if gone else 'was not there'}")
        self.message.show("\n".join(done), kind="ok")
        return True

    def _namespace(self, doc: Object) -> str | None:
        resource = self.cluster.api.resource(doc["apiVersion"], doc["kind"])
        if not resource.namespaced:
            return None
        return str(doc["metadata"].get("namespace") or self.namespace or "default")

    def _dry_run(self, doc: Object) -> tuple[Object | None, Object]:
        """(the live object or ``None``, what a server-side apply would make of it)."""
        api = self.cluster.api
        resource = api.resource(doc["apiVersion"], doc["kind"])
        namespace = self._namespace(doc)
        name = doc["metadata"]["name"]
        if namespace:
            doc = {**doc, "metadata": {**doc["metadata"], "namespace": namespace}}
        live = api.get(doc["apiVersion"], doc["kind"], name, namespace)
        planned: Object = api.request(
            "PATCH",
            resource.path(namespace, name),
            query=[("fieldManager", FIELD_MANAGER), ("force", "true"), ("dryRun", "All")],
            body=json.dumps(doc),
            content_type="application/apply-patch+yaml",
        )
        return live, planned


def _diff_html(text: str) -> str:
    colours = {"+": "#1a7f37", "-": "#cf222e", "@": "#8250df"}
    lines = []
    for line in text.splitlines():
        colour = colours.get(line[:1], "#1f2328")
        if line.startswith(("+++", "---")):
            colour = "#57606a"
        lines.append(f'<span style="color:{colour}">{html.escape(line)}</span>')
    return (
        '<pre class="ws-diff" style="font-size:12px;max-height:400px;overflow:auto">'
        + "\n".join(lines)
        + "</pre>"
    )
