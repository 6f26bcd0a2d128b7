"""Container log files in the CRI format, where kwok reads them for ``kubectl logs``.

Like the kubelet's ``/var/log/pods/<namespace>_<pod>_<uid>/<container>/``: one folder per
container, the current run in ``current.log``, the run before in ``previous.log``
(``kubectl logs --previous``). Each line is ``<RFC3339Nano time> stdout F <text>``, the
format containerd writes and kubelet's log reader (``--tail``, ``--since``, ``-f``) parses.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import IO

ROTATE_BYTES = 10 * 2**20  # the kubelet's default containerLogMaxSize


def cri_line(text: str, stream: str = "stdout", *, at_ns: int | None = None) -> str:
    """One log line: ``2026-11-26T06:41:21.123456789Z stdout F hello``."""
    ns = time.time_ns() if at_ns is None else at_ns
    seconds, fraction = divmod(ns, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{stamp}.{fraction:09d}Z {stream} F {text}\n"


class ContainerLog:
    """The log files of one container; safe to write from several threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.current = folder / "current.log"
        self.previous = folder / "previous.log"
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        folder.mkdir(parents=True, exist_ok=True)
        self.current.touch()

    def write(self, text: str, stream: str = "stdout") -> None:
        with self._lock:
            if self._file is None:
                self._file = self.current.open("a")
            for line in text.splitlines() or [""]:
                self._file.write(cri_line(line, stream))
            self._file.flush()
            if self._file.tell() > ROTATE_BYTES:
                self._truncate()

    def restart(self) -> None:
        """A new run of the container: what it logged so far becomes ``--previous``."""
        with self._lock:
            self.close_file()
            self.current.replace(self.previous)
            self.current.touch()

    def close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _truncate(self) -> None:
        """Keep the newest half, as log rotation would keep the newest file."""
        self.close_file()
        data = self.current.read_bytes()
        keep = data[len(data) // 2 :]
        self.current.write_bytes(keep[keep.find(b"\n") + 1 :])
