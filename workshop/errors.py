"""The workshop's errors: one root, a shallow tree, and a message that says what to do next.

Every error a learner can meet is a ``WorkshopError``. The CLI prints ``str(error)`` and
exits with ``error.exit_code``, never a traceback. ``hint`` is the "what to do next" line.
"""

from __future__ import annotations


class WorkshopError(Exception):
    """Something the learner can act on: what went wrong and what to do next."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  -> {self.hint}"
        return self.message


class BinaryError(WorkshopError):
    """A real tool (kube-apiserver, etcd, kwok, ...) could not be found, built or downloaded."""

    def __init__(self, message: str, *, binary: str, step: str, hint: str | None = None) -> None:
        super().__init__(f"{binary}: {step}: {message}", hint=hint)
        self.binary = binary
        self.step = step


class SandboxError(WorkshopError):
    """The local sandbox cluster could not be started, stopped or reached."""

    def __init__(
        self, message: str, *, component: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.component = component
