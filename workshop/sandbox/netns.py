"""Network namespaces through the kernel's own calls (Linux, as root): make one, work in one.

kwok's jail has a network of its own that lives as long as the supervisor, not as long as
one kwok: the supervisor makes it once (``create``) and keeps it as a file descriptor, starts
each kwok in it (``enter`` in the child), and opens its relays' sockets in it
(``socket_in``). A socket stays in the namespace it was made in, whichever thread uses it
later, so one event loop in the machine's network serves both sides. The add-ons get the
descriptor too (``FD_VARIABLE``), to listen where kwok dials for ``kubectl port-forward``.

A network namespace belongs to one thread, not to the process: switching for a moment to
make a socket leaves the other threads where they are.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import os
import socket
import struct
from collections.abc import Iterator

CLONE_NEWNET = 0x40000000
FD_VARIABLE = "WORKSHOP_KWOK_NETNS_FD"
"""Names the descriptor of kwok's network in the environment of a component given it."""

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_IFREQ = "16sH22x"  # struct ifreq: the name, then the flags in a 24-byte union


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, call: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{call}: {os.strerror(errno)}")


def current() -> int:
    """A new descriptor of this thread's network namespace (the caller closes it)."""
    return os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)


def enter(fd: int) -> None:
    """Move this thread into the network namespace ``fd`` (CAP_SYS_ADMIN)."""
    _check(_libc().setns(fd, CLONE_NEWNET), "setns")


def create() -> int:
    """A new network namespace with its loopback up, as a descriptor; the thread stays put."""
    home = current()
    made = -1
    try:
        _check(_libc().unshare(CLONE_NEWNET), "unshare")
        try:
            made = current()
            _loopback_up()
        finally:
            enter(home)
    except OSError:
        if made >= 0:
            os.close(made)
        raise
    finally:
        os.close(home)
    return made


def _loopback_up() -> None:
    """``ip link set lo up`` in this thread's namespace (a new one has ``lo`` down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        got = fcntl.ioctl(s, _SIOCGIFFLAGS, struct.pack(_IFREQ, b"lo", 0))
        flags = struct.unpack(_IFREQ, got)[1]
        fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", flags | _IFF_UP))


@contextlib.contextmanager
def inside(fd: int) -> Iterator[None]:
    """Run the block in the network namespace ``fd``, then come back (this thread only)."""
    home = current()
    try:
        enter(fd)
        try:
            yield
        finally:
            enter(home)
    finally:
        os.close(home)


def socket_in(fd: int) -> socket.socket:
    """A non-blocking TCP socket of the network namespace ``fd``."""
    with inside(fd):
        made = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    made.setblocking(False)
    return made


def listener_in(fd: int | None, host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` in the namespace ``fd`` (None: this one)."""
    made = socket.socket(socket.AF_INET, socket.SOCK_STREAM) if fd is None else socket_in(fd)
    try:
        made.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        made.bind((host, port))
        made.listen(512)
    except OSError:
        made.close()
        raise
    made.setblocking(False)
    return made


def inherited() -> int | None:
    """The descriptor of kwok's network this process was given, if any (``FD_VARIABLE``)."""
    value = os.environ.get(FD_VARIABLE, "")
    return int(value) if value.isdigit() else None
