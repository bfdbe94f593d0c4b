"""How many failed log-ins are tolerated before an account or an address must wait (ORG-4, GW-2).

Counting per account stops guessing one user's password from many machines; counting per
client address stops one machine from trying many accounts. The window is fixed: it starts at
the first failure and the count is forgotten when it ends (or, for the account, at a success).
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    scope: str
    max_failures: int
    window_seconds: int


ACCOUNT = Limit("account", 5, 15 * 60)
ADDRESS = Limit("address", 20, 15 * 60)


def retry_message(limit: Limit, retry_after_seconds: int) -> str:
    minutes = max(1, math.ceil(retry_after_seconds / 60))
    who = "this account" if limit.scope == "account" else "this address"
    return (f"Too many failed sign-in attempts for {who}. "
            f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.")
