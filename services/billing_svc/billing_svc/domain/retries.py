"""Deadlines and retry budgets of the steps toward outside systems (BIL-6). Pure Python.

Every call to a supplier's fulfilment system or to the payment provider can go unanswered (no
URL, a 5xx, a time-out), answer ``processing`` for ever, or keep failing. None of them may retry
for ever: each has a budget of attempts, spaced by exponential back-off, and a deadline.

- **Fulfilment**: an order whose supplier does not answer within ``max_attempts`` attempts, or is
  not fulfilled by ``fulfil_deadline`` after it was placed, fails and releases its credit.
- **Payment steps**: a step without a final answer after ``max_attempts`` attempts, or still
  without one ``answer_deadline`` after it first went out, stops (``stuck``) and waits for the
  operator; a payout or a refund's return that the provider refused ``max_attempts`` times stops
  the same way. A stuck step alerts the operator (and the supplier for its payouts and refunds).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 5.0
    max_backoff_seconds: float = 3600.0
    fulfil_deadline_seconds: float = 86400.0
    answer_deadline_seconds: float = 86400.0

    @classmethod
    def from_config(cls, config: dict) -> RetryPolicy:
        """From BILLING_RETRY_* settings (see config.yml); a missing or empty one keeps its default."""
        names = {"max_attempts": "BILLING_RETRY_MAX_ATTEMPTS", "base_seconds": "BILLING_RETRY_BASE_SECONDS",
                 "max_backoff_seconds": "BILLING_RETRY_MAX_BACKOFF_SECONDS",
                 "fulfil_deadline_seconds": "BILLING_FULFIL_DEADLINE_SECONDS",
                 "answer_deadline_seconds": "BILLING_ANSWER_DEADLINE_SECONDS"}
        values = {}
        for field_name, key in names.items():
            raw = config.get(key)
            if raw not in (None, ""):
                values[field_name] = int(raw) if field_name == "max_attempts" else float(raw)
        policy = cls(**values)
        if policy.max_attempts < 1 or policy.base_seconds <= 0:
            raise ValueError("BILLING_RETRY_MAX_ATTEMPTS must be at least 1 and BILLING_RETRY_BASE_SECONDS positive")
        return policy

    def backoff(self, attempt: int) -> timedelta:
        """The wait after the ``attempt``-th unsuccessful attempt: base, 2 × base, 4 × base ... capped."""
        return timedelta(seconds=min(self.base_seconds * 2 ** max(attempt - 1, 0), self.max_backoff_seconds))

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def fulfil_deadline(self, placed_at: datetime) -> datetime:
        return placed_at + timedelta(seconds=self.fulfil_deadline_seconds)

    def answer_deadline(self, first_sent_at: datetime) -> datetime:
        return first_sent_at + timedelta(seconds=self.answer_deadline_seconds)


DEFAULT_POLICY = RetryPolicy()
