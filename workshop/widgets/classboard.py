"""``ClassBoard``: the instructor's live board in a notebook (learners x lab steps).

The same picture as ``workshop class board NAME`` puts on a loopback web page for the
projector, kept current by a watch on the class's ``LabProgress`` objects.
"""

from __future__ import annotations

import ipywidgets

from workshop.classroom.board import STUCK_AFTER, Board, LiveBoard, render_html
from workshop.cluster import Cluster
from workshop.errors import WorkshopError
from workshop.widgets.base import CommandLine, Message, Widget
from workshop.widgets.debounce import Debouncer


class ClassBoard(Widget):
    """``ClassBoard(admin_cluster, "k8s101")``; ``board.picture`` is the current ``Board``."""

    def __init__(
        self, cluster: Cluster, name: str, *, stuck_minutes: float = STUCK_AFTER / 60
    ) -> None:
        self.view = ipywidgets.HTML()
        self.message = Message()
        self.command = CommandLine(f"workshop class board {name}", label="on the projector")
        super().__init__(self.view, self.message.widget, self.command.widget)
        self._debounce = Debouncer(self._render, delay=0.2)
        self._claim(cluster.context, name)
        self.live: LiveBoard | None = None
        try:
            self.live = LiveBoard(cluster.api, name, stuck_after=stuck_minutes * 60)
            self.live.on_change = lambda _board: self._debounce.trigger()
            self._render()
            self.live.start()
        except WorkshopError as e:  # shown in the notebook, not raised into it
            self.message.show(f"cannot show the board of class {name}: {e}", kind="error")

    @property
    def picture(self) -> Board:
        if self.live is None:
            raise WorkshopError(self.message.text or "the board did not start")
        return self.live.board()

    def _render(self) -> None:
        if self.live is not None:
            self.view.value = render_html(self.live.board())

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
        self._debounce.close()
