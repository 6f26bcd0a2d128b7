"""What the widgets raise: learner-readable ``WorkshopError`` subclasses."""

from __future__ import annotations

import ovh

from workshop.errors import CloudError, WorkshopError


class ManifestError(WorkshopError):
    """The YAML in an editor is not a manifest the workshop can send (says where and why)."""

    def __init__(
        self,
        message: str,
        *,
        document: int | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.document = document  # from 1
        self.line = line  # from 1


class WaitTimeout(WorkshopError):
    """Something the notebook waited for did not happen in time."""


class CheckFailed(WorkshopError):
    """A step's checks failed where they must pass (notebook tests set strict checks)."""

    def __init__(self, message: str, *, lab: str, step: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.lab = lab
        self.step = step


def api_error(error: ovh.exceptions.APIError, doing: str) -> CloudError:
    """An ``ovh`` client error as a sentence: no answer at all, or the API's refusal."""
    if isinstance(error, ovh.exceptions.HTTPError):  # no answer: nothing listens there
        return CloudError(
            f"cannot reach the OVHcloud API to {doing} ({error})",
            hint="`workshop cloud status` says whether the emulated API runs and "
            "`workshop cloud up` starts it; on the real API, check your network",
        )
    return CloudError(f"the OVHcloud API refused to {doing}: {error}")
