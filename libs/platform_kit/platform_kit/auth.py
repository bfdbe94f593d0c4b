"""Access tokens and the ``Caller`` dependency; the actor itself is ``platform_contracts.actor`` (pure).

The gateway verifies a bearer token, then puts the caller (``Actor``) into nameko's context
data, which nameko copies into the headers of every RPC and event the request causes; a service
reads it with the ``Caller`` dependency and checks the object it is about to touch (ORG-7).

Access tokens are short-lived HS256 JWTs signed with ``JWT_SECRET``; only HS256 is accepted, so
``alg: none`` or a switched algorithm fails. Revocation lives in Redis, shared by the service that signs in (which
revokes) and the gateway (which checks): a revoked token id, and per user a "not before" instant
that a password change or reset moves forward, invalidating every older token at once.
"""
from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from nameko.extensions import DependencyProvider

from platform_contracts.actor import ACTOR_KEY, Actor
from platform_kit.clock import utcnow
from platform_kit.errors import Unauthenticated

ALGORITHM = "HS256"
ISSUER = "delivery-platform"
ACCESS_TOKEN_MINUTES = 15


class Caller(DependencyProvider):
    """``self.caller``: the Actor of the request being served, or None for system work."""

    def get_dependency(self, worker_ctx) -> Actor | None:
        return Actor.from_header(worker_ctx.context_data.get(ACTOR_KEY))


def require_actor(actor: Actor | None) -> Actor:
    if actor is None:
        raise Unauthenticated("This call needs a signed-in user.")
    return actor


# --- tokens -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TokenClaims:
    actor: Actor
    jti: str
    issued_at: datetime
    expires_at: datetime
    must_change_password: bool


@dataclass(frozen=True)
class Keyring:
    """The secret that signs new tokens and the earlier ones still accepted while they expire.

    Every token names its key (``kid``: a digest of the secret, never the secret), so the secret
    can be rotated with an overlap: set the new ``JWT_SECRET`` and move the old one into
    ``JWT_PREVIOUS_SECRETS`` (comma-separated) until the old tokens have expired.
    """

    current: str
    previous: tuple[str, ...] = ()

    @staticmethod
    def kid_of(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()[:16]

    @property
    def kid(self) -> str:
        return self.kid_of(self.current)

    def secret_for(self, kid: str | None) -> str | None:
        if kid is None:
            return self.current
        return next((s for s in (self.current, *self.previous) if self.kid_of(s) == kid), None)

    @classmethod
    def from_config(cls, config) -> Keyring:
        """Refuses to start without a real secret: there is no default to fall back on."""
        current = required_secret(config, "JWT_SECRET")
        previous = tuple(s.strip() for s in str(config.get("JWT_PREVIOUS_SECRETS") or "").split(",")
                         if s.strip() and not _PLACEHOLDER.match(s.strip()))
        return cls(current, previous)


_PLACEHOLDER = re.compile(r"^\$\{[^}]*\}$")


def required_secret(config, key: str) -> str:
    value = config.get(key)
    if not isinstance(value, str) or not value.strip() or _PLACEHOLDER.match(value.strip()):
        raise RuntimeError(f"configuration key {key} is not set: this process signs or checks tokens with it "
                           "and has no default. Set it in the environment (`make run` and the tests "
                           "generate one; see .env.example for Docker Compose).")
    return value


def _keyring(secret: str | Keyring) -> Keyring:
    return secret if isinstance(secret, Keyring) else Keyring(secret)


def issue_access_token(actor: Actor, secret: str | Keyring, *, must_change_password: bool = False,
                       now: datetime | None = None, minutes: int = ACCESS_TOKEN_MINUTES) -> tuple[str, TokenClaims]:
    keyring = _keyring(secret)
    now = now or utcnow()
    claims = TokenClaims(actor, uuid.uuid4().hex, now, now + timedelta(minutes=minutes), must_change_password)
    token = jwt.encode({
        "iss": ISSUER, "sub": actor.user_id, "org": actor.org_id, "okind": actor.org_kind,
        "roles": list(actor.roles), "dept": actor.department_id, "mcp": must_change_password,
        "jti": claims.jti, "iat": int(now.timestamp()), "exp": int(claims.expires_at.timestamp()),
        # JWT's iat has whole seconds; revocation compares milliseconds, so that a token issued
        # just after a password change (within the same second) is still valid
        "iat_ms": int(now.timestamp() * 1000), "typ": "access",
    }, keyring.current, algorithm=ALGORITHM, headers={"kid": keyring.kid})
    return token, claims


def decode_access_token(token: str, secret: str | Keyring) -> TokenClaims:
    """Verify key, signature, algorithm, issuer, type and expiry; raise Unauthenticated saying which."""
    keyring = _keyring(secret)
    try:
        key = keyring.secret_for(jwt.get_unverified_header(token).get("kid"))
    except jwt.InvalidTokenError:
        raise Unauthenticated("The access token is not valid.") from None
    if key is None:
        raise Unauthenticated("The access token was signed with a key that is no longer accepted; sign in again.")
    try:
        data = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=ISSUER,
                          options={"require": ["exp", "iat", "sub", "jti", "iss"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("The access token has expired; refresh it or sign in again.") from None
    except jwt.InvalidTokenError:
        raise Unauthenticated("The access token is not valid.") from None
    if data.get("typ") != "access":
        raise Unauthenticated("The access token is not valid.")
    actor = Actor(user_id=data["sub"], org_id=data["org"], org_kind=data["okind"],
                  roles=tuple(data.get("roles", ())), department_id=data.get("dept"))
    issued_ms = data.get("iat_ms", data["iat"] * 1000)
    return TokenClaims(actor, data["jti"], datetime.fromtimestamp(issued_ms / 1000, UTC),
                       datetime.fromtimestamp(data["exp"], UTC), bool(data.get("mcp")))


class Revocations:
    """Revoked token ids and per-user "not before" instants, in Redis."""

    def __init__(self, redis_client, namespace: str = "platform"):
        """``namespace``: the deployment's REDIS_KEY_PREFIX; the signing service and the gateway share it."""
        self.redis = redis_client
        self.prefix = f"{namespace}:auth"

    def revoke(self, claims: TokenClaims) -> None:
        ttl = max(int((claims.expires_at - utcnow()).total_seconds()), 1)
        self.redis.set(f"{self.prefix}:revoked:{claims.jti}", "1", ex=ttl)

    def revoke_all_before(self, user_id: str, moment: datetime | None = None) -> None:
        """Every token of ``user_id`` issued before ``moment`` (default now) stops working."""
        stamp = int((moment or utcnow()).timestamp() * 1000)
        self.redis.set(f"{self.prefix}:not_before:{user_id}", stamp, ex=ACCESS_TOKEN_MINUTES * 60 * 4)

    def keys(self, claims: TokenClaims) -> tuple[str, str]:
        """The two keys ``is_revoked`` reads, for callers that batch them with other commands."""
        return f"{self.prefix}:revoked:{claims.jti}", f"{self.prefix}:not_before:{claims.actor.user_id}"

    def is_revoked(self, claims: TokenClaims, values: list | None = None) -> bool:
        """``values``: what MGET of ``keys(claims)`` returned, if the caller fetched them already."""
        revoked, not_before = values if values is not None else self.redis.mget(*self.keys(claims))
        if revoked:
            return True
        # milliseconds; a token issued at the very millisecond of the change is refused too
        return not_before is not None and int(claims.issued_at.timestamp() * 1000) <= int(not_before)
