"""The sandbox's own files in bad states: one sentence, or the truth, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from workshop.errors import HomeError
from workshop.sandbox import Sandbox


def test_a_home_that_cannot_be_written_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # a file where the home's folder should be: mkdir fails, even as root
    box = Sandbox(blocker / "home")
    for action in (box.up, box.down):
        with pytest.raises(HomeError, match="is a file, not a folder"):
            action()


def test_a_damaged_state_file_reads_as_stopped(tmp_path: Path) -> None:
    box = Sandbox(tmp_path)
    box.layout.state_file.mkdir(parents=True)  # unreadable as a file
    status = box.status()
    assert not status.running and status.api_url is None
    box.layout.state_file.rmdir()
    box.layout.state_file.write_bytes(b"\x00\xff garbage")
    assert not box.status().running
