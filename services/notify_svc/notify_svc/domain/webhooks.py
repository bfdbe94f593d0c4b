"""Webhooks for enterprise systems (GW-5, BIL-9): endpoints, what they may see, signatures, retries.

An organisation registers endpoints for event types of the catalogue. Each event it may see
(ORG-7: it is a party of the event) becomes one delivery per endpoint, signed like the payment
APIs integrators know::

    X-Platform-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

During a secret rotation the header carries one ``v1`` per valid secret, so the receiver can
switch at its own pace. Failed deliveries are retried with back-off for hours; an endpoint
failing for a day is disabled and its owner told; any delivery can be replayed by hand.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from notify_svc.exceptions import NotResendable, WebhookUrlRefused

SIGNATURE_HEADER = "X-Platform-Signature"
EVENT_HEADER = "X-Platform-Event"
DELIVERY_HEADER = "X-Platform-Delivery"

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"

# ORG-7: an organisation sees an event when it is one of its parties
PARTY_FIELDS = ("org_id", "vendor_id", "customer_id", "provider_id", "supplier_id", "old_provider_id")
# never leaves the platform: who operates a node inside a provider, raw template variables, flow settings
INTERNAL_FIELDS = frozenset({"operator_user_id", "settings", "variables", "nodes", "admin_user_id",
                             "department_id", "receivers"})
# a customer's integration details (BIL-9): its own, never shown to another party of the event
# (a supplier's webhook for an order result sees the order, not where or under which key the
# customer's system follows it)
CUSTOMER_ONLY_FIELDS = frozenset({"callback_url", "idempotency_key"})


@dataclass(frozen=True)
class WebhookPolicy:
    allow_private: bool = False
    backoff_seconds: float = 30.0
    max_backoff_seconds: float = 3600.0
    give_up_after: timedelta = timedelta(hours=72)
    disable_after: timedelta = timedelta(days=1)
    rotation_overlap: timedelta = timedelta(hours=24)
    timeout_seconds: float = 10.0


def check_url(url: str, resolved: list[str], allow_private: bool) -> str:
    """Refuse what is not http(s), and any URL whose host resolves into a loopback, private,
    link-local or otherwise internal address (SSRF), unless the deployment allows them."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlRefused("A webhook URL must be http:// or https:// with a host.", {"url": ["not http(s)"]})
    if parts.username or parts.password:
        raise WebhookUrlRefused("A webhook URL may not carry credentials.", {"url": ["credentials in URL"]})
    if not resolved:
        raise WebhookUrlRefused(f"The host {parts.hostname} does not resolve.", {"url": ["host does not resolve"]})
    if not allow_private:
        for address in resolved:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            if (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
                    or ip.is_unspecified):
                raise WebhookUrlRefused(f"The host {parts.hostname} resolves to an internal address ({ip}).",
                                        {"url": ["loopback or private address"]})
    return url


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}"] + [f"v1={sign(s, timestamp, body)}" for s in secrets])


def verify(header: str, body: bytes, secret: str, now: int, tolerance: int = 300) -> bool:
    """What an integrator runs (also in docs/api.md): any v1 matches and the timestamp is fresh."""
    items = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [int(v) for k, v in items if k == "t" and v.isdigit()]
    if not timestamps or abs(now - timestamps[0]) > tolerance:
        return False
    expected = sign(secret, timestamps[0], body)
    return any(hmac.compare_digest(expected, v) for k, v in items if k == "v1")


def visible_payload(org_id: str, data: dict) -> dict | None:
    """What organisation ``org_id`` may see of an event, or None when it is not a party (ORG-7)."""
    if not any(data.get(f) == org_id for f in PARTY_FIELDS):
        return None
    hidden = INTERNAL_FIELDS if data.get("customer_id") == org_id else INTERNAL_FIELDS | CUSTOMER_ONLY_FIELDS
    return {k: v for k, v in data.items() if k not in hidden}


@dataclass
class Endpoint:
    id: str
    org_id: str
    url: str
    event_types: list[str]
    secret: str
    description: str = ""
    enabled: bool = True
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    failing_since: datetime | None = None
    disabled_reason: str | None = None
    created_at: datetime | None = None

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_type in self.event_types

    def signing_secrets(self, now: datetime) -> list[str]:
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            secrets.append(self.previous_secret)
        return secrets

    def rotate(self, new_secret: str, now: datetime, overlap: timedelta) -> None:
        """The old secret still signs (as a second v1) until the overlap ends."""
        self.previous_secret, self.previous_secret_expires_at = self.secret, now + overlap
        self.secret = new_secret

    def succeeded(self) -> None:
        self.failing_since = None

    def failed(self, now: datetime, policy: WebhookPolicy) -> bool:
        """Returns True when this failure disables the endpoint (failing for ``disable_after``)."""
        if self.failing_since is None:
            self.failing_since = now
        if self.enabled and now - self.failing_since >= policy.disable_after:
            self.enabled = False
            self.disabled_reason = f"failing since {self.failing_since.isoformat()}"
            return True
        return False

    def enable(self) -> None:
        self.enabled, self.disabled_reason, self.failing_since = True, None, None


@dataclass
class WebhookDelivery:
    id: str
    endpoint_id: str
    org_id: str
    event_id: str
    event_type: str
    payload: dict
    status: str = PENDING
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    created_at: datetime | None = None
    delivered_at: datetime | None = None
    next_attempt_at: datetime | None = None
    window_start: datetime | None = None     # retries stop ``give_up_after`` from here (reset on replay)
    log: list[dict] = field(default_factory=list)

    def body(self) -> dict:
        """What the endpoint receives: the event as the organisation may see it."""
        return {"id": self.event_id, "type": self.event_type,
                "created_at": self.created_at.isoformat() if self.created_at else None, "data": self.payload}

    def record(self, ok: bool, status: int | None, answer: str, now: datetime, policy: WebhookPolicy,
               endpoint_enabled: bool) -> datetime | None:
        """Log one attempt; returns when to try again, or None when delivered or given up."""
        self.attempts += 1
        self.last_status, self.last_error = status, None if ok else answer[:500]
        self.log.append({"at": now.isoformat(), "status": status, "ok": ok, "answer": answer[:500]})
        if ok:
            self.status, self.delivered_at, self.next_attempt_at = DELIVERED, now, None
            return None
        started = self.window_start or self.created_at or now
        if not endpoint_enabled or now - started >= policy.give_up_after:
            self.status, self.next_attempt_at = FAILED, None
            return None
        self.next_attempt_at = now + timedelta(seconds=min(policy.backoff_seconds * 2 ** (self.attempts - 1),
                                                           policy.max_backoff_seconds))
        return self.next_attempt_at

    def replay(self, now: datetime) -> None:
        if self.status == PENDING:
            raise NotResendable(f"Webhook delivery {self.id} is still being tried.")
        self.status, self.next_attempt_at, self.window_start = PENDING, now, now


# how far two machines' clocks may disagree (NTP keeps them within milliseconds)
CLOCK_MARGIN = timedelta(milliseconds=500)


class SubscribedTypes:
    """Which event types some enabled endpoint subscribes to, as a snapshot taken at ``as_of``: lets
    the fan-out skip an event nobody wants without a unit of work (most events, most of the time).

    The snapshot only answers for events that occurred before it was taken (less a margin for the
    clocks of two machines): an endpoint committed before an event occurred is then in the
    snapshot. A newer event reads the types again (and refreshes the snapshot), so a subscription
    created or re-enabled on any replica applies from the moment it is committed; no message
    between replicas is needed. A snapshot that names the type never skips: the endpoints are
    read as before. With a backlog (events handled later than they occurred) nearly every event
    is answered from the snapshot; without one each costs one light read, as before it cost the
    endpoints' read and a commit.
    """

    def __init__(self, margin: timedelta = CLOCK_MARGIN):
        self.margin = margin
        self.types: frozenset[str] = frozenset()
        self.as_of: datetime | None = None

    def covers(self, occurred_at: datetime) -> bool:
        return self.as_of is not None and occurred_at <= self.as_of - self.margin

    def unwanted(self, event_type: str, occurred_at: datetime) -> bool:
        """True only when certainly no endpoint wants this event."""
        return self.covers(occurred_at) and event_type not in self.types

    def refresh(self, types: Iterable[str], as_of: datetime) -> None:
        """``as_of``: a time taken before the query that read ``types`` started."""
        if self.as_of is None or as_of >= self.as_of:
            self.types, self.as_of = frozenset(types), as_of
