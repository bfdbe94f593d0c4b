"""A sign-in (GW-2): one log-in and everything issued in it, until it ends.

A log-in starts a sign-in: a family of refresh tokens, one live at a time. Each refresh spends
the live token and issues the next one together with a new access token (rotation). A spent
token presented again means someone else holds a copy: the sign-in ends, and with it every
access token issued in it that has not expired yet. The user's other sign-ins (other devices)
are not touched: only a password change, a reset or a deactivation ends them all.

Refresh tokens are opaque random strings; only their SHA-256 is stored.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

REFRESH_TOKEN_DAYS = 30


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Presented(StrEnum):
    """What a presented refresh token turns out to be."""
    LIVE = "live"
    REUSED = "reused"        # spent by rotation and presented again: a copy is loose
    REVOKED = "revoked"      # the sign-in ended before (log-out, password change ...)
    EXPIRED = "expired"


@dataclass(frozen=True)
class AccessGrant:
    """An access token issued in a sign-in: enough to revoke it until it expires."""
    jti: str
    expires_at: datetime


@dataclass
class RefreshToken:
    id: str
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    access: AccessGrant | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    replaced_by: str | None = None


@dataclass
class SignIn:
    family_id: str
    user_id: str
    tokens: list[RefreshToken] = field(default_factory=list)

    @classmethod
    def begin(cls, family_id: str, user_id: str, token_id: str, access: AccessGrant,
              now: datetime) -> tuple[SignIn, str]:
        """A new sign-in and its first refresh token (in clear, handed out once)."""
        sign_in = cls(family_id, user_id)
        return sign_in, sign_in._issue(token_id, access, now)

    def _issue(self, token_id: str, access: AccessGrant, now: datetime) -> str:
        clear = secrets.token_urlsafe(32)
        self.tokens.append(RefreshToken(token_id, hash_refresh_token(clear), now,
                                        now + timedelta(days=REFRESH_TOKEN_DAYS), access))
        return clear

    def token(self, token_hash: str) -> RefreshToken:
        return next(t for t in self.tokens if t.token_hash == token_hash)

    def present(self, token_hash: str, now: datetime) -> Presented:
        token = self.token(token_hash)
        if token.revoked_at is not None:
            return Presented.REUSED if token.revoked_reason == "rotated" else Presented.REVOKED
        if token.expires_at <= now:
            return Presented.EXPIRED
        return Presented.LIVE

    def rotate(self, token_hash: str, token_id: str, access: AccessGrant, now: datetime) -> str:
        """Spend the live token ``token_hash`` and issue its successor (returned in clear)."""
        if self.present(token_hash, now) is not Presented.LIVE:
            raise ValueError("only a live refresh token rotates")
        spent = self.token(token_hash)
        clear = self._issue(token_id, access, now)
        spent.revoked_at, spent.revoked_reason, spent.replaced_by = now, "rotated", token_id
        return clear

    @property
    def ended(self) -> bool:
        return all(t.revoked_at is not None for t in self.tokens)

    def end(self, reason: str, now: datetime) -> list[AccessGrant]:
        """End the sign-in: no refresh token of it works any more. Returns the access tokens
        issued in it that are still unexpired, for the caller to revoke."""
        for token in self.tokens:
            if token.revoked_at is None:
                token.revoked_at, token.revoked_reason = now, reason
        return [t.access for t in self.tokens if t.access is not None and t.access.expires_at > now]
