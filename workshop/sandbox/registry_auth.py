"""The sandbox registry's credentials: one user, a random password, never printed.

The registry (CNCF distribution) checks HTTP basic auth against an htpasswd file of bcrypt
hashes (``auth: htpasswd``), as a Managed Private Registry asks for a login. On the first
``workshop sandbox up`` the workshop makes a random password and keeps it, mode 0600, in
``$WORKSHOP_HOME/registry-auth/password``; later starts reuse it. Nothing prints or logs
it: the workshop's own clients read it from files it writes, each mode 0600:

- ``registry-auth/config.json``: a Docker-style ``{"auths": {HOST: {"auth": ...}}}``, the
  file crane reads from ``$DOCKER_CONFIG`` and helm from ``--registry-config``;
- ``sandbox/config/registry.htpasswd``: ``USER:$2b$...``, what the registry checks.

The pulls add-on reads the password file, as a node's container runtime is given
credentials for a private registry.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt

from workshop.sandbox.layout import Layout

USER = "workshop"
# The password is 32 random bytes: its entropy, not the hash's cost, is what resists
# guessing. The registry checks the hash on every request (distribution keeps no cache),
# so a low cost keeps pushes and pulls quick.
ROUNDS = 6


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str = field(repr=False)  # never in a log line

    def basic(self) -> str:
        """The value of an ``Authorization`` header."""
        return "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()


def folder(layout: Layout) -> Path:
    """``$WORKSHOP_HOME/registry-auth``: the password and the clients' config.json."""
    return layout.home / "registry-auth"


def password_file(layout: Layout) -> Path:
    return folder(layout) / "password"


def docker_config(layout: Layout) -> Path:
    """The folder for ``$DOCKER_CONFIG`` (crane); its ``config.json`` is helm's too."""
    return folder(layout)


def htpasswd_file(layout: Layout) -> Path:
    return layout.config / "registry.htpasswd"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600, replacing it in one step."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    tmp.chmod(0o600)
    tmp.replace(path)


def load(layout: Layout) -> Credentials | None:
    """The credentials, or None when the sandbox never made them."""
    try:
        password = password_file(layout).read_text().strip()
    except OSError:
        return None
    return Credentials(USER, password) if password else None


def ensure(layout: Layout, host: str) -> Credentials:
    """Make the password once (kept across restarts), then write the htpasswd file and the
    clients' config.json for ``host`` (the port may change from one start to the next)."""
    where = folder(layout)
    where.mkdir(parents=True, exist_ok=True)
    where.chmod(0o700)
    found = load(layout)
    if found is None:
        found = Credentials(USER, secrets.token_urlsafe(32))
        _write_private(password_file(layout), found.password + "\n")
    password_file(layout).chmod(0o600)
    hashed = bcrypt.hashpw(found.password.encode(), bcrypt.gensalt(rounds=ROUNDS)).decode()
    layout.config.mkdir(parents=True, exist_ok=True)
    _write_private(htpasswd_file(layout), f"{found.user}:{hashed}\n")
    auth = base64.b64encode(f"{found.user}:{found.password}".encode()).decode()
    port = host.rpartition(":")[2]
    config = {"auths": {name: {"auth": auth} for name in (host, f"localhost:{port}")}}
    _write_private(where / "config.json", json.dumps(config, indent=1) + "\n")
    return found
