"""The provider's side of the OVHcloud API: settings as go-ovh reads them, waiting, errors."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import ovh

SETTINGS = ("endpoint", "application_key", "application_secret", "consumer_key")
OTHER_AUTH = ("access_token", "client_id", "client_secret")
POLL = 0.5


class Failure(Exception):
    """An error for the plan or apply output: a summary line and its detail."""

    def __init__(self, summary: str, detail: str = "") -> None:
        super().__init__(summary)
        self.summary = summary
        self.detail = detail


def setting(config: Mapping[str, Any], name: str) -> str | None:
    """A provider argument, else its ``OVH_*`` variable, else ``ovh.conf`` (the real
    provider's order: go-ovh reads ``./ovh.conf``, ``~/.ovh.conf``, ``/etc/ovh.conf``, the
    endpoint under ``[default]`` and the keys under a section named by the endpoint)."""
    value = config.get(name)
    if isinstance(value, str) and value:
        return value
    from_env = os.environ.get(f"OVH_{name.upper()}")
    if from_env:
        return from_env
    section = "default" if name == "endpoint" else setting(config, "endpoint")
    if section is None:
        return None
    found = ovh.config.ConfigurationManager().get(section, name)
    return str(found) if found else None


def endpoint_name(endpoint: str) -> str:
    """The python-ovh endpoint name for ``endpoint``: a known name, or a URL registered.

    go-ovh takes an endpoint containing ``/`` as the API's URL; python-ovh only knows names
    (``ovh.client.ENDPOINTS``), so a URL is added to that mapping under a name of its own.
    """
    if "/" not in endpoint:
        if endpoint not in ovh.client.ENDPOINTS:
            known = ", ".join(sorted(ovh.client.ENDPOINTS))
            raise Failure(
                f"unknown endpoint '{endpoint}', "
                "consider checking 'Endpoints' list or using an URL",
                f"known endpoints: {known}",
            )
        return endpoint
    if endpoint.endswith("/"):
        raise Failure(f"endpoint {endpoint!r} ends with '/'", "write the URL without it")
    name = f"url:{endpoint}"
    ovh.client.ENDPOINTS[name] = endpoint
    return name


def connect(config: Mapping[str, Any]) -> ovh.Client:
    """An authenticated client from the provider block and the environment."""
    for name in OTHER_AUTH:
        if setting(config, name):
            raise Failure(
                f"{name} is not supported by the workshop's ovh provider",
                "use application_key, application_secret and consumer_key "
                "(or OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET, OVH_CONSUMER_KEY)",
            )
    values = {name: setting(config, name) for name in SETTINGS}
    if not values["application_key"] or not values["application_secret"]:
        raise Failure(
            "missing authentication information, you need to provide one of the following: "
            "application_key/application_secret, client_id/client_secret, or access_token",
            "set them in the provider block or as OVH_APPLICATION_KEY and "
            "OVH_APPLICATION_SECRET (never in a file you commit)",
        )
    endpoint = values["endpoint"]
    if not endpoint:
        raise Failure("unknown endpoint ''", "set endpoint (e.g. ovh-eu) or OVH_ENDPOINT")
    try:
        client = ovh.Client(
            endpoint=endpoint_name(endpoint),
            application_key=values["application_key"],
            application_secret=values["application_secret"],
            consumer_key=values["consumer_key"],
        )
        client.get("/auth/details")
    except ovh.exceptions.APIError as e:
        raise Failure(f"OVH client seems to be misconfigured: {e}") from e
    return client


def call(client: ovh.Client, method: str, path: str, **body: Any) -> Any:
    """One API call; a ``Failure`` naming the call when the API refuses it."""
    try:
        return client.call(method, path, body or None, need_auth=True)
    except ovh.exceptions.APIError as e:
        described = f" with params {body}" if body else ""
        raise Failure(f"calling {method.title()} {path}{described}:\n\t {e}") from e


def gone(client: ovh.Client, path: str) -> bool:
    """True when ``GET path`` answers 404."""
    try:
        client.get(path)
    except ovh.exceptions.ResourceNotFoundError:
        return True
    except ovh.exceptions.APIError as e:
        raise Failure(f"calling Get {path}:\n\t {e}") from e
    return False


def delete(client: ovh.Client, path: str, what: str, *, timeout: float) -> None:
    """``DELETE path`` and wait until it answers 404 (nothing to do if it already does)."""
    if gone(client, path):
        return
    call(client, "DELETE", path)
    wait_for(
        f"{what} to be deleted",
        lambda: "done" if gone(client, path) else None,
        timeout=timeout,
    )


def wait_for(
    what: str,
    probe: Callable[[], str | None],
    *,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Poll ``probe`` until it returns ``"done"``; any other non-None value is a failure."""
    deadline = time.monotonic() + timeout
    while True:
        answer = probe()
        if answer == "done":
            return
        if answer is not None:
            raise Failure(f"{what}: {answer}")
        if time.monotonic() > deadline:
            raise Failure(f"timeout while waiting for {what} ({timeout:.0f}s)")
        sleep(POLL)


def status_probe(
    client: ovh.Client, path: str, *, ready: tuple[str, ...], failed: tuple[str, ...] = ("ERROR",)
) -> Callable[[], str | None]:
    """A probe for ``wait_for``: done when the object's status is one of ``ready``."""

    def probe() -> str | None:
        status = str(call(client, "GET", path).get("status", ""))
        if status in ready:
            return "done"
        if status in failed:
            return f"status is {status}"
        return None

    return probe
