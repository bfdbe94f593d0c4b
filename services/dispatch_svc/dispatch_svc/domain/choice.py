"""The two choices of dispatch: a provider by weight (DSP-2), an employee by load (DSP-5). Pure Python.

Both take the random generator as an argument, so tests fix a seed and production passes a
system generator; neither ever picks a candidate that is full, closed or lacks the role.
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

MAX_HELD_LIMIT = 2000

# why an employee-level dispatch waits (DSP-5, shown in the provider admin's queue)
NOBODY_WITH_ROLE = "nobody at the provider holds the role"
NOBODY_WITH_ROLE_IN_DEPARTMENT = "nobody in the claimer's department holds the role"
ALL_CLOSED = "every employee with the role has switched off new work"
ALL_FULL = "every open employee with the role is at capacity"


@dataclass(frozen=True)
class ProviderSlot:
    provider_id: str
    weight: int
    max_held: int
    held: int

    @property
    def has_capacity(self) -> bool:
        return self.held < self.max_held


def choose_provider(slots: Sequence[ProviderSlot], rng: random.Random | None = None) -> ProviderSlot | None:
    """Weighted random choice among providers below their maximum (DSP-2).

    With weights 20 and 30, the first is chosen with probability 20/50. Providers at their
    maximum, or with weight 0, are never chosen; None means the project must queue (DSP-3).
    """
    candidates = [s for s in slots if s.has_capacity and s.weight > 0]
    if not candidates:
        return None
    rng = rng or random.SystemRandom()
    # integers, so the split is exact: point in [0, total) falls in one provider's share
    point = rng.randrange(sum(s.weight for s in candidates))
    for slot in candidates:
        point -= slot.weight
        if point < 0:
            return slot
    return candidates[-1]  # pragma: no cover - unreachable with integer weights


class Candidate(Protocol):
    user_id: str
    roles: tuple[str, ...]
    department_id: str | None
    active: bool
    open: bool
    held: int
    capacity: int


def choose_employee(staff: Iterable[Candidate], role: str, rng: random.Random | None = None,
                    departments: set[str] | None = None) -> tuple[Candidate | None, str | None]:
    """DSP-5/DSP-6: the open employee with the role and the smallest held ÷ capacity; ties at random.

    ``departments`` narrows the choice to those departments (department-first after a claim).
    Returns (employee, None) or (None, the reason the project waits).
    """
    with_role = [e for e in staff if e.active and role in e.roles
                 and (departments is None or e.department_id in departments)]
    if not with_role:
        return None, NOBODY_WITH_ROLE_IN_DEPARTMENT if departments is not None else NOBODY_WITH_ROLE
    open_ = [e for e in with_role if e.open]
    if not open_:
        return None, ALL_CLOSED
    free = [e for e in open_ if e.held < e.capacity]
    if not free:
        return None, ALL_FULL
    lowest = min(Fraction(e.held, e.capacity) for e in free)
    ties = sorted((e for e in free if Fraction(e.held, e.capacity) == lowest), key=lambda e: e.user_id)
    return (rng or random.SystemRandom()).choice(ties), None


def department_and_below(parents: Mapping[str, str | None], root: str) -> set[str]:
    """The department and every department under it (the tree of ORG-3), for department-first."""
    found, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                found.add(child)
                frontier.append(child)
    return found
