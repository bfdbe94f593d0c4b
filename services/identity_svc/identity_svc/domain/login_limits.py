"""How many failed log-ins are tolerated before a log-in must wait (ORG-4, GW-2).

Three counters, each in a fixed window that starts at its first failure:
- per account and client address: the tight one. Guessing one user's password from one machine
  stops after a few tries, and only that machine waits: the user signs in from elsewhere.
- per account, from anywhere: a higher ceiling against guessing from many machines.
- per address alone: a much higher ceiling against one machine trying many accounts. It is high
  on purpose: many people share one office or carrier address, and a few of them mistyping
  must not lock out everyone behind it.
A success forgets the account's counters (not the address's: one valid account must not let a
machine go on guessing others).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    scope: str
    max_failures: int
    window_seconds: int
    who: str


ACCOUNT_AT_ADDRESS = Limit("account_at_address", 5, 15 * 60, "this account from your address")
ACCOUNT = Limit("account", 10, 15 * 60, "this account")
ADDRESS = Limit("address", 100, 15 * 60, "this address")


@dataclass(frozen=True)
class Counter:
    """One counter a log-in attempt touches: the limit and what it counts (a key)."""
    limit: Limit
    key: str


def counters(login_key: str, address: str | None) -> list[Counter]:
    """The counters of a log-in attempt; without an address only the account's."""
    found = [Counter(ACCOUNT, login_key)]
    if address:
        found.append(Counter(ACCOUNT_AT_ADDRESS, f"{login_key}|{address}"))
        found.append(Counter(ADDRESS, address))
    return found


def account_counters(login_key: str, address: str | None) -> list[Counter]:
    """What a success (or an admin's reset) forgets."""
    return [c for c in counters(login_key, address) if c.limit is not ADDRESS]


def blocking(counted: Sequence[tuple[Counter, int, int]]) -> tuple[Limit, int] | None:
    """``counted``: (counter, failures so far, seconds left in its window). The limit reached,
    with the seconds until it lifts, or None when the attempt may proceed."""
    for counter, failures, seconds_left in counted:
        if failures >= counter.limit.max_failures:
            return counter.limit, seconds_left if seconds_left > 0 else counter.limit.window_seconds
    return None


def retry_message(limit: Limit, retry_after_seconds: int) -> str:
    minutes = max(1, math.ceil(retry_after_seconds / 60))
    return (f"Too many failed sign-in attempts for {limit.who}. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.")
