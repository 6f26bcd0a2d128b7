"""OVHcloud API request signatures, computed as python-ovh and go-ovh compute them (pure).

A signed call carries ``X-Ovh-Signature: $1$`` + the SHA-1 of
``secret+consumerKey+METHOD+fullUrl+body+timestamp``. The full URL is the one the client
used (scheme, host, port, path and query) and the body is the raw bytes it sent, so the
server checks the bytes on the wire, never a re-serialised copy.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "$1$"


def signature(
    *, secret: str, consumer_key: str, method: str, url: str, body: bytes, timestamp: str
) -> str:
    """The ``X-Ovh-Signature`` value of one request."""
    payload = b"+".join(
        [
            secret.encode(),
            consumer_key.encode(),
            method.encode(),
            url.encode(),
            body,
            timestamp.encode(),
        ]
    )
    return PREFIX + hashlib.sha1(payload, usedforsecurity=False).hexdigest()


def matches(expected: str, given: str) -> bool:
    """Compare signatures in constant time (the usual precaution for secrets)."""
    return hmac.compare_digest(expected.encode(), given.encode())
