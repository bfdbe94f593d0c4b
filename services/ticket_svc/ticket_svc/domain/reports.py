"""Per provider and per agent figures over a period (TKT-5): response and resolution times
(median, 90th and 95th percentile, in service seconds), breaches and the SLA achievement (the
share of tickets with no target breached), satisfaction, the backlog and its age. Pure."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TicketFigures:
    assignee_id: str | None
    open: bool
    first_response_seconds: int | None
    resolution_seconds: int | None
    breaches: int
    rating: int | None
    opened_at: datetime | None = None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def summarise(rows: Iterable[TicketFigures], now: datetime | None = None) -> dict:
    rows = list(rows)
    ages = [(now - r.opened_at).total_seconds() for r in rows if r.open and r.opened_at and now]
    responses = [r.first_response_seconds for r in rows if r.first_response_seconds is not None]
    resolutions = [r.resolution_seconds for r in rows if r.resolution_seconds is not None]
    ratings = [r.rating for r in rows if r.rating is not None]
    return {
        "tickets": len(rows),
        "backlog": sum(1 for r in rows if r.open),
        "first_response_median": median(responses),
        "first_response_p90": percentile(responses, 90),
        "first_response_p95": percentile(responses, 95),
        "resolution_median": median(resolutions),
        "resolution_p90": percentile(resolutions, 90),
        "resolution_p95": percentile(resolutions, 95),
        "breaches": sum(r.breaches for r in rows),
        "breached_tickets": sum(1 for r in rows if r.breaches),
        "sla_achievement": round(100 * sum(1 for r in rows if not r.breaches) / len(rows), 1) if rows else None,
        "backlog_age_median_seconds": median(ages),
        "backlog_oldest_seconds": max(ages) if ages else None,
        "satisfaction": round(sum(ratings) / len(ratings), 2) if ratings else None,
        "ratings": len(ratings),
    }


def report(rows: Iterable[TicketFigures], now: datetime | None = None) -> dict:
    """The provider's figures and one line per agent; ``now`` ages the backlog."""
    rows = list(rows)
    by_agent: dict[str, list[TicketFigures]] = {}
    for row in rows:
        if row.assignee_id:
            by_agent.setdefault(row.assignee_id, []).append(row)
    return {"total": summarise(rows, now),
            "agents": [{"agent_id": agent, **summarise(items, now)} for agent, items in sorted(by_agent.items())]}
