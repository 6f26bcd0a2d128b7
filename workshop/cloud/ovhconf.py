"""The learner's ``ovh.conf``: the emulator's URL and keys, in python-ovh's own format.

python-ovh reads ``[default] endpoint`` and a section per endpoint holding
``application_key``, ``application_secret`` and ``consumer_key``. It knows endpoints by
name only, so the emulator's section also carries its ``url``, which
``workshop.tools.ovh`` registers under that name before it builds a client. The file is
readable by its owner only; nothing here ever prints a key.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path

ENDPOINT = "workshop-emulator"
"""The endpoint name of the emulator (``workshop.tools.ovh.EMULATOR`` is the same)."""

HEADER = """\
; Keys for the emulated OVHcloud API of the Kubernetes workshop, written by
; `workshop cloud credentials`. Keep them out of notebooks: `workshop.tools.ovh.client()`
; reads this file. python-ovh knows endpoints by name, so `url` says where this one is.
"""


@dataclass(frozen=True)
class Keys:
    url: str
    application_key: str
    application_secret: str
    consumer_key: str

    def masked(self) -> dict[str, str]:
        """The keys as status output may show them: enough to tell them apart, no more."""
        return {
            "application_key": mask(self.application_key),
            "application_secret": "*" * 8,
            "consumer_key": mask(self.consumer_key),
        }


def mask(key: str) -> str:
    return f"{key[:4]}…" if len(key) > 8 else "****"


def read(path: Path) -> Keys | None:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path)
        section = parser[ENDPOINT]
        return Keys(
            url=section["url"],
            application_key=section["application_key"],
            application_secret=section["application_secret"],
            consumer_key=section["consumer_key"],
        )
    except (KeyError, configparser.Error):
        return None


def write(path: Path, keys: Keys) -> None:
    """Write (or rewrite) the emulator's section; other sections of the file are kept."""
    parser = configparser.RawConfigParser()
    parser.read(path)
    if not parser.has_section("default"):
        parser.add_section("default")
    parser.set("default", "endpoint", ENDPOINT)
    if not parser.has_section(ENDPOINT):
        parser.add_section(ENDPOINT)
    for name, value in (
        ("url", keys.url),
        ("application_key", keys.application_key),
        ("application_secret", keys.application_secret),
        ("consumer_key", keys.consumer_key),
    ):
        parser.set(ENDPOINT, name, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(HEADER)
        parser.write(f)
    tmp.replace(path)


def set_url(path: Path, url: str) -> None:
    """Point an existing file at the emulator's current URL (its port may have moved)."""
    keys = read(path)
    if keys is not None and keys.url != url:
        write(path, Keys(url, keys.application_key, keys.application_secret, keys.consumer_key))
