"""Choosing a provider for a project (DSP-1, DSP-2). Pure Python."""
from __future__ import annotations

import random
from dataclasses import dataclass

MAX_HELD_LIMIT = 2000


@dataclass(frozen=True)
class ProviderSlot:
    provider_id: str
    weight: int
    max_held: int
    held: int

    @property
    def has_capacity(self) -> bool:
        return self.held < self.max_held


def choose_provider(slots: list[ProviderSlot], rng: random.Random | None = None) -> ProviderSlot | None:
    """Weighted random choice among providers below their maximum (DSP-2).

    With weights 20 and 30, the first is chosen with probability 20/50. Providers at their
    maximum, or with weight 0, are never chosen; None means the project must queue (DSP-3).
    """
    candidates = [s for s in slots if s.has_capacity and s.weight > 0]
    if not candidates:
        return None
    rng = rng or random.SystemRandom()
    point = rng.uniform(0, sum(s.weight for s in candidates))
    for slot in candidates:
        point -= slot.weight
        if point < 0:
            return slot
    return candidates[-1]
