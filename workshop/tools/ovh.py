"""The official ``ovh`` client, for the emulated OVHcloud API or for the real one.

Public module: ``client()``. Notebooks call it and never hold a key::

    from workshop.tools import ovh as ovh_tools
    api = ovh_tools.client()
    project = api.get("/cloud/project")[0]
    api.post(f"/cloud/project/{project}/kube", region="GRA11", name="my-cluster")

Which API answers:

- **The real one** when an endpoint python-ovh knows (``ovh-eu``, ``ovh-ca``, ``ovh-us``,
  ...) is configured the way python-ovh reads it: ``OVH_ENDPOINT`` (with
  ``OVH_APPLICATION_KEY``, ``OVH_APPLICATION_SECRET``, ``OVH_CONSUMER_KEY``), or
  ``[default] endpoint=`` in ``./ovh.conf``, ``~/.ovh.conf`` or ``/etc/ovh.conf``.
  The client is python-ovh's own, configured by python-ovh itself.
- **The emulator** otherwise: ``$WORKSHOP_HOME/ovh.conf`` (written by ``workshop cloud
  credentials``) holds its URL and keys; the emulator is started (``workshop cloud up``)
  if it does not answer.

How the emulator is reached. python-ovh has no setting for an API URL: ``Client``
resolves its ``endpoint`` argument in ``ovh.client.ENDPOINTS``, the public module-level
mapping of endpoint names to URLs that its docstring names as the list of valid values,
and raises ``InvalidRegion`` for any other name. The least invasive way in is therefore
to add one entry to that mapping, ``ENDPOINTS["workshop-emulator"] =
"http://127.0.0.1:PORT/1.0"``, and create the client with that name: no private
attribute, no subclass, no patched method, and every request is signed and sent by
python-ovh's unchanged code (the ``/1.0`` suffix keeps its ``/v1``/``/v2`` path
handling right). go-ovh and the Terraform provider need nothing of the kind: they accept
a URL as ``OVH_ENDPOINT``.

Keys are never printed or logged; ``target()`` says which API is used without them.
"""

from __future__ import annotations

import configparser
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import ovh

from workshop import subcommand
from workshop.errors import CloudError
from workshop.home import workshop_home

EMULATOR = "workshop-emulator"
"""The endpoint name the emulator is registered under (``workshop.cloud.ENDPOINT``)."""
CONF_NAME = "ovh.conf"
START_TIMEOUT = 120.0
KEYS = ("application_key", "application_secret", "consumer_key")


def conf_path() -> Path:
    """The emulator's keys: ``$WORKSHOP_HOME/ovh.conf``."""
    return workshop_home() / CONF_NAME


def real_endpoint(endpoint: str | None = None) -> str | None:
    """The real endpoint configured for python-ovh (argument, environment, ovh.conf), if any."""
    name = endpoint or ovh.config.ConfigurationManager().get("default", "endpoint")
    if name is None or name == EMULATOR:
        return None
    section = _emulator_section(conf_path())
    if section is not None and name.rstrip("/") == section["url"]:
        return None  # the emulator's URL, as go-ovh and Terraform are given it
    if name not in ovh.client.ENDPOINTS:
        raise CloudError(
            f"unknown OVHcloud endpoint {name!r}",
            hint=f"python-ovh knows: {', '.join(sorted(ovh.client.ENDPOINTS))}",
        )
    return str(name)


def _emulator_section(path: Path) -> dict[str, str] | None:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path)
        section = dict(parser[EMULATOR])
    except (KeyError, configparser.Error):
        return None
    if not all(section.get(k) for k in ("url", *KEYS)):
        return None
    return section


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url + "/auth/time", timeout=3) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def _start_emulator() -> None:
    try:
        tail = subcommand.run("cloud", "up", timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        raise CloudError(
            f"the emulated OVHcloud API did not start within {START_TIMEOUT:.0f}s",
            hint="`workshop cloud status` shows where it stands",
        ) from e
    if tail is not None:
        raise CloudError(
            f"the emulated OVHcloud API did not start:\n{tail}",
            hint="run `workshop cloud up` in a terminal to see each step",
        )


def client(
    endpoint: str | None = None,
    *,
    start_emulator: Callable[[], None] | None = None,
    timeout: float = 180,
) -> ovh.Client:
    """An ``ovh.Client`` for the real API if one is configured, else for the emulator.

    ``endpoint`` forces a real endpoint (``"ovh-eu"``); ``start_emulator`` replaces the
    ``workshop cloud up`` subprocess (a seam for tests).
    """
    real = real_endpoint(endpoint)
    if real is not None:
        try:
            return ovh.Client(endpoint=real, timeout=timeout)
        except ovh.exceptions.InvalidConfiguration as e:
            raise CloudError(
                f"the OVHcloud endpoint {real} is configured, but its keys are not: {e}",
                hint="set OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY "
                "(or an ovh.conf section); never write them in a notebook",
            ) from e
    # keys with no endpoint are a mistake; keys beside the emulator's URL are the
    # emulator's own (workshop.tools.terraform gives them to `tofu` that way)
    keys_set = os.environ.get("OVH_APPLICATION_KEY") or os.environ.get("OVH_CLIENT_ID")
    if keys_set and not os.environ.get("OVH_ENDPOINT"):
        raise CloudError(
            "OVHcloud keys are set in the environment, but no endpoint",
            hint="set OVH_ENDPOINT=ovh-eu (or ovh-ca, ovh-us) for the real API, or unset "
            "the OVH_* variables to use the workshop's emulator",
        )
    path = conf_path()
    section = _emulator_section(path)
    if section is None or not _answers(section["url"]):
        (start_emulator or _start_emulator)()
        section = _emulator_section(path)
        if section is None:
            raise CloudError(
                f"no keys for the emulated OVHcloud API in {path}",
                hint="`workshop cloud credentials` creates them",
            )
    ovh.client.ENDPOINTS[EMULATOR] = section["url"]
    return ovh.Client(
        endpoint=EMULATOR,
        application_key=section["application_key"],
        application_secret=section["application_secret"],
        consumer_key=section["consumer_key"],
        timeout=timeout,
    )


def target(endpoint: str | None = None) -> str:
    """Which API ``client()`` talks to, for the top of a notebook (no key in it)."""
    real = real_endpoint(endpoint)
    if real is not None:
        return f"the OVHcloud API {real} ({ovh.client.ENDPOINTS[real]})"
    section = _emulator_section(conf_path())
    where = section["url"] if section else "started on first use"
    return f"the workshop's emulated OVHcloud API ({where})"
