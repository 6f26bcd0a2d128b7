"""Files under the workshop home that cannot be written: one sentence, not a traceback.

``writing()`` turns a failed write under ``$WORKSHOP_HOME`` (a read-only or full disk, a
home that is not a folder) into a ``HomeError`` that says which file and what to do; the
CLI's entry does the same for what reaches it (``home_error``).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from workshop.errors import HomeError
from workshop.home import workshop_home

# errors that mean "this disk will not take it", whatever the file
_WRITE_ERRNOS = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM}


def is_under_home(error: OSError) -> bool:
    """Whether ``error`` is about a file under the workshop home (or the home itself)."""
    if not error.filename:
        return False
    home = workshop_home().absolute()
    path = Path(os.fsdecode(error.filename)).absolute()
    return path == home or home in path.parents


def home_error(error: OSError, path: Path | str | None = None) -> HomeError:
    """One sentence for a file under the home that could not be written (or read)."""
    where = Path(os.fsdecode(error.filename)) if error.filename else Path(path or workshop_home())
    verb = "write" if error.errno in _WRITE_ERRNOS else "use"
    return HomeError(
        f"cannot {verb} {where}: {_reason(error, where)}",
        path=str(where),
        hint=f"free space, make it writable, or choose another WORKSHOP_HOME "
        f"(now {workshop_home()}), e.g. `export WORKSHOP_HOME=~/workshop-home`",
    )


def _reason(error: OSError, where: Path) -> str:
    if error.errno == errno.EROFS:
        return "read-only file system"
    if error.errno == errno.ENOSPC:
        return "no space left on the disk"
    if error.errno in (errno.ENOTDIR, errno.EEXIST):  # a file where a folder should be
        blocking = next((p for p in (where, *where.parents) if p.is_file()), None)
        if blocking is not None:
            return f"{blocking} is a file, not a folder"
    return (error.strerror or str(error)).lower()


@contextlib.contextmanager
def writing(path: Path | str | None = None, *, anywhere: bool = False) -> Iterator[None]:
    """Turn an ``OSError`` on a file under the workshop home into a ``HomeError``.

    ``path`` names the file when the error does not (``shutil`` and sockets may not say).
    Errors about files elsewhere pass unchanged (they are not the home's), unless
    ``anywhere``: a store of the home's kind that its caller placed elsewhere.
    """
    try:
        yield
    except OSError as e:
        if not e.filename and path is not None:
            e.filename = str(path)
        if not (anywhere or is_under_home(e)):
            raise
        raise home_error(e) from e
