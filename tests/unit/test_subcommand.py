"""Running the workshop command in a child process."""

from __future__ import annotations

from workshop import subcommand


def test_success_gives_none() -> None:
    assert subcommand.run("--version", timeout=60) is None


def test_failure_gives_what_the_command_said() -> None:
    tail = subcommand.run("sandbox", "logs", "no-such-component", timeout=60)
    assert tail is not None
    assert "no-such-component" in tail
