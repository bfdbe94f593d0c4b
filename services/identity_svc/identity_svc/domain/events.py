"""What an aggregate returns when it changes: the events the handler then emits (outbox)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    type: str
    data: dict
