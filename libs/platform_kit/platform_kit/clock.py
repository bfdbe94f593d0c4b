"""Timezone-aware UTC time, the only kind used inside the platform."""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the platform only handles timezone-aware times")
    return moment.astimezone(UTC).isoformat()


def for_sql(moment: datetime) -> datetime:
    """``moment`` in UTC for a query: PostgreSQL refuses UTC offsets beyond ±15:59, which ISO 8601
    text (and Python) allow (``...-20:55``); a moment UTC cannot hold (year 1 at +01:00) becomes
    the earliest or latest one, which compares the same against every stored time."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.min if moment.year < 5000 else datetime.max).replace(tzinfo=UTC)
