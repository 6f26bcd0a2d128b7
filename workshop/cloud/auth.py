"""Authentication: application keys, consumer keys, signatures and access rules (pure).

``authenticate`` checks a call as the real API does, in order: the headers are there, the
application key exists, the consumer key exists for that application and is validated
and not expired, the signature matches, the timestamp is recent, the caller's address is
allowed, and one of the consumer key's access rules grants the method and path.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache

from workshop.cloud import protocol, signing
from workshop.cloud.protocol import Request
from workshop.cloud.store import Credential, Store

# How far a signed timestamp may be from the server's clock (the client corrects its
# clock with GET /auth/time first, so honest calls are always within it).
TIMESTAMP_WINDOW = 180
METHODS = ("GET", "POST", "PUT", "DELETE")


@cache
def _rule_pattern(path: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in path.split("*")), re.DOTALL)


def granted(rules: list[dict[str, str]], method: str, path: str) -> bool:
    """Whether an access rule allows ``method path`` (``*`` matches anything, ``/`` too)."""
    return any(
        rule.get("method") == method and _rule_pattern(rule.get("path", "")).fullmatch(path)
        for rule in rules
    )


def refresh(credential: Credential, now: float) -> None:
    """A validated consumer key past its expiry becomes ``expired``."""
    if credential.state == "validated" and credential.expires and now >= credential.expires:
        credential.state = "expired"


def _ip_allowed(ip: str, allowed: list[str] | None) -> bool:
    if not allowed:
        return True
    address = ipaddress.ip_address(ip)
    return any(address in ipaddress.ip_network(block, strict=False) for block in allowed)


def authenticate(store: Store, request: Request, api_path: str) -> Credential:
    """The consumer key of a signed call, or the API's error answer."""
    application_key = request.header("x-ovh-application")
    consumer_key = request.header("x-ovh-consumer")
    timestamp = request.header("x-ovh-timestamp")
    given = request.header("x-ovh-signature")
    if not (application_key and consumer_key and timestamp and given):
        raise protocol.unauthenticated()
    application = store.applications.get(application_key)
    if application is None or application.status != "active":
        raise protocol.invalid_key()
    credential = store.credentials.get(consumer_key)
    if credential is None or credential.application_key != application_key:
        raise protocol.not_credential()
    refresh(credential, request.now)
    if credential.state != "validated":
        raise protocol.invalid_credential()
    expected = signing.signature(
        secret=application.secret,
        consumer_key=consumer_key,
        method=request.method,
        url=request.url,
        body=request.body,
        timestamp=timestamp,
    )
    if not signing.matches(expected, given):
        raise protocol.invalid_signature()
    try:
        skew = abs(int(timestamp) - request.now)
    except ValueError as e:
        raise protocol.invalid_signature() from e
    if skew > TIMESTAMP_WINDOW:
        raise protocol.query_out_of_time()
    if not _ip_allowed(request.client_ip, credential.allowed_ips):
        raise protocol.ip_not_allowed(request.client_ip)
    if not granted(credential.rules, request.method, api_path):
        raise protocol.not_granted()
    credential.last_use = request.now
    return credential


def check_rules(rules: object) -> list[dict[str, str]]:
    """The ``accessRules`` of a consumer key request, checked."""
    if not isinstance(rules, list) or not rules:
        raise protocol.bad_request("[accessRules] Property is mandatory")
    checked = []
    for rule in rules:
        if not isinstance(rule, dict) or set(rule) - {"method", "path"}:
            raise protocol.bad_request("[accessRules] Each rule is {method, path}")
        method, path = rule.get("method"), rule.get("path")
        if method not in METHODS:
            raise protocol.bad_request(
                f"[accessRules.method] Given data ({protocol.shown(method)}) does not belong "
                "to the auth.MethodEnum enumeration"
            )
        if not isinstance(path, str) or not path.startswith("/"):
            raise protocol.bad_request(f"[accessRules.path] Invalid path {protocol.shown(path)}")
        checked.append({"method": method, "path": path})
    return checked


def check_ips(ips: object) -> list[str] | None:
    if ips is None:
        return None
    if not isinstance(ips, list) or not all(isinstance(ip, str) for ip in ips):
        raise protocol.bad_request("[allowedIPs] A list of IP blocks is expected")
    try:
        return [str(ipaddress.ip_network(ip, strict=False)) for ip in ips]
    except ValueError as e:
        raise protocol.bad_request(f"[allowedIPs] {protocol.clip(str(e))}") from e


def application_for(store: Store, request: Request) -> str:
    """The application key of an unsigned call that needs one (POST /auth/credential)."""
    key = request.header("x-ovh-application")
    if not key or key not in store.applications:
        raise protocol.invalid_key()
    return key
