"""ImageView: what an image is made of. Its layers (size, digest, the instruction that made
each), its config (entrypoint, cmd, env, exposed ports, user, working directory) and the
manifest itself, from an OCI image layout on disk (``workshop image build`` writes one;
``crane pull --format=oci`` too).

``view.layers`` and ``view.settings`` are the same facts as data, for tests; the command
line under it (``crane manifest`` / ``crane config``) shows the same once it is pushed.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import ipywidgets

from workshop.containers import oci
from workshop.errors import WorkshopError
from workshop.widgets.base import CommandLine, Message, Widget

STYLE = (
    "font-family:var(--jp-code-font-family,monospace);font-size:12px;"
    "border-collapse:collapse;margin:4px 0"
)
CELL = "padding:2px 8px;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top"


def human(size: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size = size / 1000  # type: ignore[assignment]
    return f"{size} B"


def short(digest: str) -> str:
    return digest.partition(":")[2][:12]


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f'<th style="{CELL}">{html.escape(h)}</th>' for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td style="{CELL}">{html.escape(c)}</td>' for c in row) + "</tr>"
        for row in rows
    )
    return f'<table style="{STYLE}"><tr>{head}</tr>{body}</table>'


class ImageView(Widget):
    """An image's layers, config and manifest; ``reference`` is what it is pushed as."""

    layers: list[dict[str, Any]]
    settings: dict[str, Any]
    problems: list[str]
    error: WorkshopError

    def __init__(self, layout: Path | str, *, reference: str | None = None) -> None:
        self.message = Message()
        try:
            self._image: oci.Image | None = oci.read(layout)
        except WorkshopError as e:  # shown in the notebook, not raised into it
            self._image, self.error = None, e
            self.reference, self.layers, self.settings, self.problems = reference, [], {}, [str(e)]
            self.message.show(str(e), kind="error")
            self.command = CommandLine(f"crane manifest {reference or 'IMAGE'}")
            super().__init__(self.message.widget, self.command.widget)
            self.box.add_class("workshop-imageview")
            return
        self.reference = reference or self.image.name
        self.layers = [
            {
                "digest": layer.descriptor.digest,
                "size": layer.descriptor.size,
                "instruction": layer.created_by,
                "files": len(self.image.files(layer)),
            }
            for layer in self.image.layers
        ]
        settings = self.image.settings
        self.settings = {
            "entrypoint": settings.get("Entrypoint") or [],
            "cmd": settings.get("Cmd") or [],
            "env": settings.get("Env") or [],
            "ports": sorted(settings.get("ExposedPorts") or {}),
            "user": settings.get("User") or "root",
            "workdir": settings.get("WorkingDir") or "/",
            "labels": settings.get("Labels") or {},
        }
        self.problems = oci.verify(self.image)
        title = ipywidgets.HTML(self._title())
        tabs = ipywidgets.Tab(
            children=[
                ipywidgets.HTML(self._layers_html()),
                ipywidgets.HTML(self._config_html()),
                ipywidgets.HTML(self._manifest_html()),
            ]
        )
        for number, name in enumerate(("Layers", "Config", "Manifest")):
            tabs.set_title(number, name)
        ref = self.reference or "IMAGE"
        self.command = CommandLine(f"crane manifest {ref}; crane config {ref}")
        super().__init__(title, tabs, self.command.widget)
        self.box.add_class("workshop-imageview")

    @property
    def image(self) -> oci.Image:
        """The image shown; where there was none to read, the error that said so."""
        if self._image is None:
            raise self.error
        return self._image

    @property
    def summary(self) -> str:
        """One line: name, digest, size, layer count, whether its digests verify."""
        state = "digests verify" if not self.problems else "; ".join(self.problems)
        return (
            f"{self.reference or '(unnamed)'} {self.image.digest} "
            f"{human(self.image.size)} in {len(self.layers)} layers: {state}"
        )

    def _title(self) -> str:
        ok = (
            '<span style="color:#1a7f37">✓ digests verify</span>'
            if not self.problems
            else f'<span style="color:#cf222e">✗ {html.escape("; ".join(self.problems))}</span>'
        )
        return (
            f"<b>{html.escape(self.reference or '(unnamed image)')}</b> "
            f"<code>{html.escape(self.image.digest)}</code><br>"
            f"{human(self.image.size)} to pull, {len(self.layers)} layers, "
            f"{html.escape(self.image.config.get('os', '?'))}/"
            f"{html.escape(self.image.config.get('architecture', '?'))} — {ok}"
        )

    def _layers_html(self) -> str:
        rows = [
            [
                str(n),
                short(layer["digest"]),
                human(layer["size"]),
                str(layer["files"]),
                layer["instruction"],
            ]
            for n, layer in enumerate(self.layers, 1)
        ]
        note = (
            "<p>Each layer is a tar archive of files; the instructions that change only "
            "settings (ENV, EXPOSE, CMD...) add no layer, just a line in the config's "
            "history.</p>"
        )
        return _table(["#", "digest", "size", "files", "made by"], rows) + note

    def _config_html(self) -> str:
        s = self.settings
        rows = [
            ["entrypoint", json.dumps(s["entrypoint"])],
            ["cmd", json.dumps(s["cmd"])],
            ["exposed ports", ", ".join(s["ports"]) or "(none)"],
            ["user", s["user"]],
            ["working dir", s["workdir"]],
            *[["env", e] for e in s["env"]],
            *[["label", f"{k}={v}"] for k, v in s["labels"].items()],
        ]
        history = [
            [h.get("created_by", ""), "no" if h.get("empty_layer") else "yes"]
            for h in self.image.config.get("history", [])
        ]
        return (
            _table(["setting", "value"], rows)
            + "<p>History (every instruction):</p>"
            + _table(["instruction", "layer?"], history)
        )

    def _manifest_html(self) -> str:
        text = json.dumps(self.image.manifest, indent=2)
        return (
            f'<pre style="font-size:11px;max-height:320px;overflow:auto">{html.escape(text)}</pre>'
        )
