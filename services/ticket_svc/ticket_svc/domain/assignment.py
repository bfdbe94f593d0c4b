"""Who gets a new ticket (TKT-2): the least-loaded on-duty support agent of the provider. Pure."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AgentLoad:
    user_id: str
    on_duty: bool
    on_duty_since: datetime | None
    open_tickets: int


def choose_agent(agents: Iterable[AgentLoad]) -> str | None:
    """The on-duty agent with the fewest open tickets; ties go to whoever came on duty first
    (then the id, so that the choice is deterministic). None when nobody is on duty."""
    on_duty = [a for a in agents if a.on_duty]
    if not on_duty:
        return None
    best = min(on_duty, key=lambda a: (a.open_tickets, a.on_duty_since is None,
                                       a.on_duty_since or datetime.min, a.user_id))
    return best.user_id
