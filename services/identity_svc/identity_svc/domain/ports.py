"""What sign-in needs besides the database, as small interfaces (Redis and JWT live in adapters;
unit tests use in-memory fakes)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from identity_svc.domain.api_keys import KeyHasher
from identity_svc.domain.login_limits import Counter
from identity_svc.domain.signin import AccessGrant
from platform_contracts.actor import Actor


@dataclass(frozen=True)
class IssuedAccess:
    token: str
    grant: AccessGrant
    expires_in: int


@dataclass(frozen=True)
class AccessClaims:
    """What identity needs to know of an access token presented to it (log-out)."""
    user_id: str
    grant: AccessGrant


class AccessTokens(Protocol):
    def issue(self, actor: Actor, *, must_change_password: bool, now: datetime) -> IssuedAccess: ...

    def read(self, token: str) -> AccessClaims | None:
        """The claims of a valid token of ours; None when it is expired, forged or not a token."""


class Revocations(Protocol):
    """Shared with the gateway, which refuses a revoked access token."""

    def revoke(self, user_id: str, grant: AccessGrant) -> None:
        """This access token stops working (until it would have expired anyway)."""

    def revoke_all_before(self, user_id: str, moment: datetime) -> None:
        """Every access token of the user issued up to ``moment`` stops working."""


class FailureCounters(Protocol):
    """Failed log-ins per counter, each in a fixed window starting at its first failure."""

    def read(self, counters: Sequence[Counter]) -> list[tuple[Counter, int, int]]:
        """(counter, failures, seconds left in the window) for each."""

    def add_failure(self, counters: Sequence[Counter]) -> list[int]:
        """Count one failure on each; the new counts."""

    def forget(self, counters: Sequence[Counter]) -> None: ...

    def forget_account(self, login_key: str) -> None:
        """Every account counter of ``login_key`` (from any address): an admin reset the password."""


@dataclass(frozen=True)
class Sessions:
    """Everything of sign-in that is not in the database, handed to the handlers."""
    tokens: AccessTokens
    revocations: Revocations
    failures: FailureCounters
    key_hasher: KeyHasher
