"""Timezone-aware UTC time, the only kind used inside the platform."""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the platform only handles timezone-aware times")
    return moment.astimezone(UTC).isoformat()
