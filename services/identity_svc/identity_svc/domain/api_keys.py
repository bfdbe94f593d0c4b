"""Integrator keys (GW-6): an organisation's own credentials for its enterprise systems.

An ERP should not sign in with a person's password and refresh 15-minute tokens. An
organisation's admin (ISV, customer or the operator) makes a key for each system instead:

- it belongs to the organisation, not to the admin who made it: it keeps working when that
  person leaves, until it expires or an admin of the organisation revokes it;
- it carries roles of its organisation, never one its creator did not hold when making it;
- it acts as a service account: ``Actor(user_id=<key id>, api_key=True)``, named by its name
  (``display_name``, Chinese first) in the audit log and wherever another service shows a name;
- it may do what its roles allow, except managing users or keys (``access.is_admin``): a key
  that could make another key or an account with a password would outlive its own revocation.

The clear key, ``dpk_<id as 32 hex digits>_<secret>``, is shown once at creation. Only a keyed
hash of the secret is stored (``KeyHasher``: HMAC-SHA256 under a server secret, compared in
constant time), so a copy of the database opens nothing. Pure Python.
"""
from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from identity_svc.domain.roles import ordered
from identity_svc.exceptions import NotAllowedNow

KEY_PREFIX = "dpk"
DEFAULT_DAYS = 365
MAX_DAYS = 730
# last use is written at most once a minute per key: a busy integration does not write a row per call
LAST_USED_PRECISION = timedelta(minutes=1)
# the revocation mark the gateway reads must outlive its short cache of a verified key (seconds);
# after that identity itself refuses the key from its row
REVOCATION_MARK = timedelta(days=1)
_CLEAR = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{32}})_([A-Za-z0-9_-]{{43}})$")
STATES = ("active", "revoked", "expired")


class KeyHasher(Protocol):
    """The keyed hash of a key's secret (adapters: HMAC-SHA256 under a server secret)."""

    def digest(self, secret: str) -> tuple[str, str]:
        """(id of the server secret used, hex digest) under the current server secret."""

    def verify(self, secret: str, kid: str, digest: str) -> bool:
        """Whether ``secret`` hashes to ``digest`` under the server secret ``kid``, in constant time."""


def parse(clear: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed clear key, else None."""
    found = _CLEAR.match(clear.strip()) if isinstance(clear, str) else None
    if found is None:
        return None
    return str(uuid.UUID(found.group(1))), found.group(2)


def display_name(name: str) -> str:
    """How a key is named where a person reads who did something (LOC-1: Chinese first)."""
    return f"{name}（API 密钥）"


def revocation_id(key_id: str) -> str:
    """The token id under which the gateway finds the key revoked (``platform_kit.auth.Revocations``)."""
    return f"key-{key_id}"


def scope(creator_roles: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The key's roles: each one its creator holds (so of the creator's organisation's kind), at
    least one. Anything else is NotAllowedNow naming ``roles``."""
    held, wanted = set(creator_roles), list(wanted)
    beyond = sorted({r for r in wanted if r not in held})
    if beyond:
        raise NotAllowedNow("An API key cannot have roles you do not hold.",
                            {"roles": [f"not yours to give: {', '.join(beyond)}; "
                                       f"choose from {', '.join(ordered(held))}"]})
    if not wanted:
        raise NotAllowedNow("An API key needs at least one role.", {"roles": ["give at least one role"]})
    return ordered(wanted)


@dataclass
class ApiKey:
    id: str
    org_id: str
    name: str
    roles: list[str]
    secret_hash: str
    hash_kid: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    rate_limit_per_minute: int | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    last_used_at: datetime | None = None
    _rehashed: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def issue(cls, *, org_id: str, name: str, roles: list[str], created_by: str, now: datetime,
              days: int, hasher: KeyHasher, rate_limit_per_minute: int | None = None) -> tuple[ApiKey, str]:
        """A new key and its clear form, returned once."""
        if not 1 <= days <= MAX_DAYS:
            raise NotAllowedNow("A key lives 1 to 730 days.", {"expires_in_days": ["1 to 730"]})
        key_id = uuid.uuid4()
        secret = secrets.token_urlsafe(32)
        kid, digest = hasher.digest(secret)
        key = cls(id=str(key_id), org_id=org_id, name=" ".join(name.split()), roles=list(roles), secret_hash=digest,
                  hash_kid=kid, created_by=created_by, created_at=now, expires_at=now + timedelta(days=days),
                  rate_limit_per_minute=rate_limit_per_minute)
        return key, f"{KEY_PREFIX}_{key_id.hex}_{secret}"

    @property
    def display_name(self) -> str:
        return display_name(self.name)

    @property
    def prefix(self) -> str:
        """The start of the clear key, enough to tell keys apart in a list; never the secret."""
        return f"{KEY_PREFIX}_{uuid.UUID(self.id).hex[:8]}"

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"

    def opens_with(self, secret: str, hasher: KeyHasher) -> bool:
        return hasher.verify(secret, self.hash_kid, self.secret_hash)

    def rehash_if_old(self, secret: str, hasher: KeyHasher) -> None:
        """After the server secret was rotated: the hash moves to the current one while we hold the secret."""
        kid, digest = hasher.digest(secret)
        if kid != self.hash_kid:
            self.hash_kid, self.secret_hash, self._rehashed = kid, digest, True

    def used(self, now: datetime) -> bool:
        """Record a use; True when the row must be written (first use, a minute since the last, a rehash)."""
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_PRECISION:
            self.last_used_at = now
            return True
        return self._rehashed

    def revoke(self, by: str, now: datetime) -> bool:
        """False when it was revoked before (revoking is idempotent)."""
        if self.revoked_at is not None:
            return False
        self.revoked_at, self.revoked_by = now, by
        return True
