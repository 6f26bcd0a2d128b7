"""The workshop's errors: one root, a shallow tree, and a message that says what to do next.

Every error a learner can meet is a ``WorkshopError``. The CLI prints ``str(error)`` and
exits with ``error.exit_code``, never a traceback; a notebook shows the same sentence
(``_render_traceback_``). ``WORKSHOP_DEBUG=1`` brings the tracebacks back. ``hint`` is
the "what to do next" line.
"""

from __future__ import annotations

import os


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

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for this error in a notebook: the sentence, not a traceback.

        IPython calls this instead of formatting the stack (``InteractiveShell.showtraceback``);
        ``%xmode`` does not bring the stack back, ``WORKSHOP_DEBUG=1`` does."""
        if os.environ.get("WORKSHOP_DEBUG"):
            import traceback

            return traceback.format_exception(self)
        return [f"\x1b[31m{type(self).__name__}:\x1b[0m {self}"]


class HomeError(WorkshopError):
    """A file under the workshop home (``$WORKSHOP_HOME``) could not be written or read."""

    def __init__(self, message: str, *, path: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.path = path


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


class ClusterError(WorkshopError):
    """A cluster could not be reached, or its API server refused a request."""

    def __init__(
        self,
        message: str,
        *,
        context: str | None = None,
        status: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.context = context
        self.status = status


class CloudError(WorkshopError):
    """The OVHcloud API (emulated or real) could not be started, reached or used."""

    def __init__(self, message: str, *, status: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.status = status


class LabError(WorkshopError):
    """A lab file is invalid, or a lab or step name matches nothing."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = path
        self.field = field


class StepError(WorkshopError):
    """Solving or resetting a lab could not bring the cluster to the expected state."""

    def __init__(
        self, message: str, *, lab: str, step: str | None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.lab = lab
        self.step = step
