"""The payment provider's signed asynchronous notices (BIL-6). Pure Python.

A notice reaches the platform over public HTTP, without a bearer token: what authenticates it is
the provider's signature. The provider sends the header

    Provider-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>

(the shape Stripe's webhooks use). The signature covers the timestamp, so an old notice cannot be
replayed with a fresh time; a notice older (or further in the future) than the tolerance is
refused even when its signature is good; the comparison is constant-time. What the notice says
is applied once per notice id (a duplicate delivery, or a replay inside the window, changes
nothing) and once per payment key (a late notice for a step already settled by a query changes
nothing either: ``Order.answer``).
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from billing_svc.exceptions import BadSignature

SIGNATURE_HEADER = "Provider-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` under the shared secret."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """What the provider sends (the fake provider in the tests signs with this)."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str | None, body: bytes, now: datetime,
           tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS) -> int:
    """Check a notice's signature and age; returns its timestamp. Raises BadSignature (401)."""
    if not secret:
        raise BadSignature("Provider notices cannot be checked: no notice secret is configured.")
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise BadSignature(f"The {SIGNATURE_HEADER} header is missing or has no timestamp (t=...).") from None
    expected = signature(secret, timestamp, body)
    # every v1 is compared (a provider rotating its secret may send two); compare_digest is constant-time
    if not any(hmac.compare_digest(expected.encode(), given.encode()) for given in parts.get("v1", [])):
        raise BadSignature("The notice's signature does not match its body.")
    age = now.timestamp() - timestamp
    if abs(age) > tolerance_seconds:
        raise BadSignature(f"The notice was signed {int(age)} s ago, outside the {tolerance_seconds} s window: "
                           "an old notice is not accepted again.")
    return timestamp
