"""What every workshop widget shares: an ipywidgets box it is shown as, and a command line.

The widgets wrap ipywidgets rather than subclass them: a notebook shows ``ClusterView(...)``
through ``_repr_mimebundle_``, and tests drive the same objects without a browser.
"""

from __future__ import annotations

from typing import Any, ClassVar

import ipywidgets

from workshop.widgets import commands

# The live widget for each thing watched: running a cell again replaces its widget, and
# the old one's watches stop instead of piling up in the kernel.
_LIVE: dict[tuple[str, ...], Widget] = {}


class Widget:
    """A workshop widget: ``box`` is what the notebook shows."""

    def __init__(self, *children: Any) -> None:
        self.box = ipywidgets.VBox(list(children))
        self.box.add_class("workshop-widget")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.box._repr_mimebundle_(**kwargs)

    def _claim(self, *key: str) -> None:
        """Become the live widget for ``key``; the previous one stops watching."""
        full = (type(self).__name__, *key)
        previous = _LIVE.get(full)
        if previous is not None and previous is not self:
            previous.stop()
        _LIVE[full] = self

    def stop(self) -> None:
        """Stop what runs in the background (nothing, unless the widget watches)."""

    def close(self) -> None:
        """Stop what runs in the background and remove the widget from the page."""
        self.stop()
        self.box.close()


class CommandLine:
    """The kubectl command equivalent to the widget's last action, shown beside it."""

    def __init__(self, command: str = "", *, label: str = "by hand") -> None:
        self.label = label
        self.widget = ipywidgets.HTML()
        self.command = ""
        self.show(command, label=label)

    def show(self, command: str, *, label: str | None = None) -> None:
        self.command = command
        self.label = label or self.label
        self.widget.value = commands.as_html(command, label=self.label) if command else ""


class Message:
    """A line of feedback: what happened, in green, or what went wrong and what to do, in red."""

    COLOURS: ClassVar[dict[str, str]] = {"ok": "#1a7f37", "error": "#cf222e", "info": "#57606a"}

    def __init__(self) -> None:
        self.widget = ipywidgets.HTML()
        self.text = ""
        self.kind = "info"

    def show(self, text: str, *, kind: str = "info") -> None:
        import html

        self.text, self.kind = text, kind
        colour = self.COLOURS[kind]
        body = html.escape(text).replace("\n", "<br>")
        self.widget.value = (
            f'<div class="ws-message ws-{kind}" style="color:{colour};white-space:pre-wrap;'
            f'font-family:var(--jp-code-font-family,monospace);font-size:12px">{body}</div>'
            if text
            else ""
        )
