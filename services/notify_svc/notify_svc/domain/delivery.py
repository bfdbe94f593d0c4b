"""One message on one channel to one recipient, and the rules of when and how often it is tried (NTF-4).

A delivery is created once per (dedupe key, recipient, channel): a redelivered event finds it
and sends nothing more. It is sent at ``due_at`` (later than now during the recipient's quiet
hours, or at the end of a digest window), retried with exponential back-off when the provider
fails, and gives up after ``max_attempts``; an operator may resend a failed or skipped one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from notify_svc.exceptions import NotResendable

PENDING, SENT, FAILED, SKIPPED, DIGESTED = "pending", "sent", "failed", "skipped", "digested"
STATUSES = (PENDING, SENT, FAILED, SKIPPED, DIGESTED)


@dataclass(frozen=True)
class Policy:
    """Delivery settings from configuration (see config.yml)."""

    max_attempts: int = 6
    backoff_seconds: float = 30.0
    max_backoff_seconds: float = 3600.0
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    digest_seconds: float = 0.0          # 0: no e-mail digests
    fallback_after: int = 1              # failed attempts on the primary provider before the fallback


@dataclass(frozen=True)
class Attempt:
    at: datetime
    provider: str
    ok: bool
    answer: str


@dataclass(frozen=True)
class SendResult:
    """What a channel answers: ``ok``; ``retryable`` failures are tried again, others fail at once."""

    ok: bool
    provider: str
    answer: str
    retryable: bool = True


@dataclass
class Delivery:
    id: str
    dedupe_key: str
    recipient_key: str
    channel: str
    template: str
    subject: str
    body: str
    address: str | None
    recipient_user_id: str | None = None
    urgent: bool = False
    link: str | None = None
    status: str = PENDING
    due_at: datetime | None = None
    attempts: list[Attempt] = field(default_factory=list)
    last_error: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    source_event_id: str | None = None
    digest_of: list[str] = field(default_factory=list)

    @property
    def attempt_count(self) -> int:
        return len(self.attempts)

    def skip(self, reason: str) -> None:
        self.status, self.last_error = SKIPPED, reason

    def failed_attempts_on(self, provider: str) -> int:
        return sum(1 for a in self.attempts if a.provider == provider and not a.ok)

    def record(self, result: SendResult, now: datetime, policy: Policy) -> datetime | None:
        """Log one attempt; returns when to try again, or None when done (sent or given up)."""
        self.attempts.append(Attempt(now, result.provider, result.ok, result.answer[:1000]))
        if result.ok:
            self.status, self.sent_at, self.last_error = SENT, now, None
            return None
        self.last_error = result.answer[:1000]
        if not result.retryable or self.attempt_count >= policy.max_attempts:
            self.status = FAILED
            return None
        return now + timedelta(seconds=backoff(self.attempt_count, policy.backoff_seconds, policy.max_backoff_seconds))

    def resend(self, now: datetime) -> None:
        """NTF-4: an operator sends a failed or skipped message again; its log keeps the old attempts."""
        if self.status not in (FAILED, SKIPPED):
            raise NotResendable(f"Delivery {self.id} is {self.status}; only failed or skipped ones are resent.")
        self.status, self.due_at = PENDING, now

    def merged_into(self, digest_id: str) -> None:
        self.status, self.last_error = DIGESTED, f"sent in digest {digest_id}"


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds before try ``attempt + 1``: base, 2·base, 4·base ... capped."""
    return min(base * 2 ** (attempt - 1), cap)


def release_time(now: datetime, timezone: str, policy: Policy) -> datetime:
    """When a non-urgent SMS may go: now, or the end of the recipient's quiet hours (NTF-3)."""
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    local = now.astimezone(zone)
    start, end = policy.quiet_start, policy.quiet_end
    t = local.timetz().replace(tzinfo=None)
    if start == end:
        return now
    quiet = (start <= t or t < end) if start > end else (start <= t < end)
    if not quiet:
        return now
    morning = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if morning <= local:
        morning = (local + timedelta(days=1)).replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return morning.astimezone(now.tzinfo)


def due_time(channel: str, urgent: bool, now: datetime, timezone: str, policy: Policy) -> datetime:
    if urgent:
        return now
    if channel == "sms":
        return release_time(now, timezone, policy)
    return now


def digest(deliveries: list[Delivery], digest_id: str, now: datetime) -> Delivery:
    """Several non-urgent e-mails to one recipient become one message (NTF-3); each original is
    marked as sent in it, so its log says where it went."""
    first = deliveries[0]
    parts = [f"{d.subject}\n{d.body}" for d in deliveries]
    combined = Delivery(
        id=digest_id, dedupe_key=f"digest:{digest_id}", recipient_key=first.recipient_key, channel=first.channel,
        template="digest", subject=f"{len(deliveries)} notifications" if len(deliveries) > 1 else first.subject,
        body="\n\n---\n\n".join(parts), address=first.address, recipient_user_id=first.recipient_user_id,
        due_at=now, created_at=now, digest_of=[d.id for d in deliveries])
    for d in deliveries:
        d.merged_into(digest_id)
    return combined


def provider_for(delivery: Delivery, providers: list[str], fallback_after: int) -> str:
    """The primary provider until it has failed ``fallback_after`` times for this message, then the
    fallback (NTF-2): one provider being down never stops the message."""
    if len(providers) > 1 and delivery.failed_attempts_on(providers[0]) >= fallback_after:
        return providers[1]
    return providers[0]
