"""Choosing and checking the sandbox's TCP ports."""

from __future__ import annotations

import contextlib
import socket


def is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``host:port`` can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def pick(count: int, host: str = "127.0.0.1", *, avoid: set[int] | None = None) -> list[int]:
    """``count`` distinct free ports chosen by the kernel, none of them in ``avoid``."""
    chosen: list[int] = []
    avoid = set(avoid or ())
    with contextlib.ExitStack() as stack:
        while len(chosen) < count:
            s = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            s.bind((host, 0))
            port = s.getsockname()[1]
            if port not in avoid and port not in chosen:
                chosen.append(port)
    return chosen
