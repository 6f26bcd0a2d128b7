"""A pod's image pull secrets as a keyring: which login to send to which registry.

The kubelet reads the Secrets a pod names in ``imagePullSecrets`` (type
``kubernetes.io/dockerconfigjson``, or the older ``kubernetes.io/dockercfg``), and for each
image looks up the entries whose key matches the image's registry: ``host[:port][/path]``,
with or without ``https://``, ``*`` standing for one label of the host name
(``*.gra7.container-registry.ovh.net``). The most specific key comes first; the runtime
tries each login in turn. Secrets of other types are not read, as the kubelet ignores them.

Pure but for ``fetch`` at the end (the Secrets, from kube-apiserver): a Secret that
cannot be used raises ``SecretError``, whose text says which Secret and what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import urllib3
from kubernetes.client.exceptions import ApiException

from workshop.sandbox.addons.catalogue import ImageRef
from workshop.sandbox.addons.client import Kube, call
from workshop.sandbox.registry_auth import Credentials

DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson"
DOCKER_CFG = "kubernetes.io/dockercfg"
KEYS = {DOCKER_CONFIG_JSON: ".dockerconfigjson", DOCKER_CFG: ".dockercfg"}


class SecretError(ValueError):
    """A pull secret the kubelet cannot use; ``str()`` names it and says why."""


@dataclass(frozen=True)
class Entry:
    """One ``auths`` key (``host[:port][/path]``) and the login it holds."""

    host: str
    port: str
    path: str
    login: Credentials

    def matches(self, ref: ImageRef) -> bool:
        host, _, port = ref.registry.lower().partition(":")
        if port != self.port or not _host_matches(self.host, host):
            return False
        return not self.path or f"{ref.repository}/".startswith(f"{self.path}/")


@dataclass(frozen=True)
class Keyring:
    """The logins of a pod's pull secrets, in the order the kubelet tries them."""

    entries: tuple[Entry, ...] = ()

    def lookup(self, ref: ImageRef) -> list[Credentials]:
        """The logins for ``ref``'s registry, the most specific key first (none: [])."""
        found = [e for e in self.entries if e.matches(ref)]
        found.sort(key=lambda e: (len(e.host) + len(e.path), "*" not in e.host), reverse=True)
        logins: list[Credentials] = []
        for entry in found:
            if entry.login not in logins:
                logins.append(entry.login)
        return logins


NO_LOGINS = Keyring()


def _host_matches(pattern: str, host: str) -> bool:
    wanted, given = pattern.split("."), host.split(".")
    return len(wanted) == len(given) and all(
        w == "*" or w == g for w, g in zip(wanted, given, strict=True)
    )


def parse_key(key: str) -> tuple[str, str, str]:
    """``https://host:port/path/`` → (host, port, path), as the kubelet normalises a key."""
    split = urlsplit(key if "://" in key else f"https://{key}")
    netloc = split.netloc.lower()
    host, _, port = netloc.partition(":")
    return host, port, split.path.strip("/")


def decode_auth(value: str) -> Credentials:
    """The ``auth`` field: ``base64(user:password)``, padded or not."""
    try:
        text = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as e:
        raise SecretError(f"its auth field is not base64 ({e})") from None
    user, colon, password = text.partition(":")
    if not colon:
        raise SecretError(
            "unable to parse auth field, must be formatted as base64(username:password)"
        )
    return Credentials(user, password)


def entries(config: Mapping[str, Any]) -> list[Entry]:
    """The entries of a docker config (``{"auths": {...}}``, or a bare ``.dockercfg`` map)."""
    auths = config.get("auths", config)
    if not isinstance(auths, Mapping):
        raise SecretError('its "auths" is not an object')
    found = []
    for key, value in auths.items():
        if not isinstance(value, Mapping):
            raise SecretError(f"its entry for {key!r} is not an object")
        auth = value.get("auth")
        if auth:
            if not isinstance(auth, str):
                raise SecretError(f"the auth field of {key!r} is not a string")
            login = decode_auth(auth)
        else:
            login = Credentials(str(value.get("username", "")), str(value.get("password", "")))
        host, port, path = parse_key(str(key))
        if host and (login.user or login.password):  # an empty entry is no login at all
            found.append(Entry(host, port, path, login))
    return found


def read_secret(secret: Mapping[str, Any]) -> list[Entry]:
    """The entries of one Secret object (its ``data`` base64, as the API returns it)."""
    meta = secret.get("metadata") or {}
    name = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
    field = KEYS.get(str(secret.get("type", "")))
    encoded = (secret.get("data") or {}).get(field) if field else None
    if not field or not encoded:
        return []  # not a registry login: the kubelet does not read it either
    try:
        config = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError) as e:
        raise SecretError(
            f'the image pull secret "{name}" cannot be read: its {field} is not valid JSON ({e})'
        ) from None
    if not isinstance(config, Mapping):
        raise SecretError(
            f'the image pull secret "{name}" cannot be read: its {field} is not a JSON object'
        )
    try:
        return entries(config)
    except SecretError as e:
        raise SecretError(f'the image pull secret "{name}" cannot be read: {e}') from None


def keyring(secrets: Iterable[Mapping[str, Any]]) -> Keyring:
    """The keyring of a pod's pull secrets, in the order the pod names them."""
    return Keyring(tuple(entry for secret in secrets for entry in read_secret(secret)))


# -- the I/O: a pod's pull secrets, read as the kubelet reads them ----------------------------


def fetch(kube: Kube, pod: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The Secrets the pod names in ``imagePullSecrets``, and the names that could not be
    read (missing, or refused): the kubelet pulls without those, after a warning."""
    namespace = pod["metadata"]["namespace"]
    found, missing = [], []
    for reference in pod["spec"].get("imagePullSecrets") or []:
        name = str(reference.get("name") or "")
        try:
            secret = call(kube.core.read_namespaced_secret, name, namespace) if name else None
        except (ApiException, OSError, urllib3.exceptions.HTTPError):
            secret = None
        if secret is None:
            missing.append(name)
        else:
            found.append(secret)
    return found, missing


def for_pod(kube: Kube, pod: Mapping[str, Any]) -> Keyring:
    """The keyring of the pod's readable pull secrets (``SecretError``: one cannot be used)."""
    if not pod["spec"].get("imagePullSecrets"):
        return NO_LOGINS
    return keyring(fetch(kube, pod)[0])
