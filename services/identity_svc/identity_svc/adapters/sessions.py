"""What sign-in needs besides the database: access tokens (JWT) and Redis.

``SessionStore`` is a nameko DependencyProvider: it reads ``JWT_SECRET`` (refusing to start
without it) and ``REDIS_URL`` in ``setup()`` and hands each worker a ``domain.ports.Sessions``
built from the classes below, which implement the domain's small interfaces (unit tests use
in-memory fakes instead).
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime

import redis
from nameko import config
from nameko.extensions import DependencyProvider

from identity_svc.domain.login_limits import Counter
from identity_svc.domain.ports import AccessClaims, IssuedAccess, Sessions
from identity_svc.domain.signin import AccessGrant
from platform_contracts.actor import Actor
from platform_kit import auth
from platform_kit.cache import redis_client, redis_key_prefix
from platform_kit.exceptions import Unauthenticated


class JwtAccessTokens:
    def __init__(self, keyring: auth.Keyring):
        self.secret = keyring

    def issue(self, actor: Actor, *, must_change_password: bool, now: datetime) -> IssuedAccess:
        token, claims = auth.issue_access_token(actor, self.secret, must_change_password=must_change_password,
                                                now=now)
        return IssuedAccess(token, AccessGrant(claims.jti, claims.expires_at), auth.ACCESS_TOKEN_MINUTES * 60)

    def read(self, token: str) -> AccessClaims | None:
        try:
            claims = auth.decode_access_token(token, self.secret)
        except Unauthenticated:
            return None  # expired or not ours: it opens nothing any more
        return AccessClaims(claims.actor.user_id, AccessGrant(claims.jti, claims.expires_at))


class RedisRevocations:
    """``platform_kit.auth.Revocations``, the keys the gateway checks on every request."""

    def __init__(self, revocations: auth.Revocations):
        self.revocations = revocations

    def revoke(self, user_id: str, grant: AccessGrant) -> None:
        self.revocations.revoke(auth.TokenClaims(Actor(user_id, "", ""), grant.jti, grant.expires_at,
                                                 grant.expires_at, False))

    def revoke_all_before(self, user_id: str, moment: datetime) -> None:
        self.revocations.revoke_all_before(user_id, moment)


class RedisFailureCounters:
    """Failed log-ins counted in Redis, one key per counter, in fixed windows."""

    def __init__(self, client: redis.Redis, prefix: str):
        self.redis = client
        self.prefix = prefix

    def _key(self, counter: Counter) -> str:
        return f"{self.prefix}:{counter.limit.scope}:{counter.key}"

    def read(self, counters: Sequence[Counter]) -> list[tuple[Counter, int, int]]:
        pipe = self.redis.pipeline(transaction=False)
        for counter in counters:
            pipe.get(self._key(counter))
            pipe.ttl(self._key(counter))
        values = pipe.execute()
        return [(c, int(values[2 * i] or 0), int(values[2 * i + 1])) for i, c in enumerate(counters)]

    def add_failure(self, counters: Sequence[Counter]) -> list[int]:
        pipe = self.redis.pipeline(transaction=True)
        for counter in counters:
            # the window starts at the first failure; INCR keeps the expiry set here
            pipe.set(self._key(counter), 0, ex=counter.limit.window_seconds, nx=True)
            pipe.incr(self._key(counter))
        values = pipe.execute()
        return [int(v) for v in values[1::2]]

    def forget(self, counters: Sequence[Counter]) -> None:
        if counters:
            self.redis.delete(*(self._key(c) for c in counters))

    def forget_account(self, login_key: str) -> None:
        escaped = "".join(f"\\{ch}" if ch in "*?[]\\" else ch for ch in login_key)
        keys = [f"{self.prefix}:account:{login_key}",
                *self.redis.scan_iter(match=f"{self.prefix}:account_at_address:{escaped}|*", count=500)]
        self.redis.delete(*keys)


class HmacKeyHasher:
    """Integrator keys' secrets hashed with HMAC-SHA256 under a key derived from the token secret.

    Each server secret (``JWT_SECRET``, then the ones in ``JWT_PREVIOUS_SECRETS``) yields its own
    hashing key, named by the secret's key id, so a rotation of the token secret does not lock
    keys out: a key hashed under a previous secret still opens, and is hashed again under the
    current one at its next use. A random 256-bit secret needs no slow hash; the keyed hash means
    a copy of the database alone cannot even test a guess."""

    LABEL = b"delivery-platform/integrator-key/v1"

    def __init__(self, keyring: auth.Keyring):
        self.keyring = keyring

    def _key(self, secret: str) -> bytes:
        return hmac.new(secret.encode(), self.LABEL, hashlib.sha256).digest()

    def digest(self, secret: str) -> tuple[str, str]:
        return self.keyring.kid, hmac.new(self._key(self.keyring.current), secret.encode(), hashlib.sha256).hexdigest()

    def verify(self, secret: str, kid: str, digest: str) -> bool:
        server_secret = self.keyring.secret_for(kid)
        if server_secret is None:
            return False
        expected = hmac.new(self._key(server_secret), secret.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, digest)


class SessionStore(DependencyProvider):
    def setup(self) -> None:
        self.keyring = auth.Keyring.from_config(config)
        self.redis = redis_client()

    def stop(self) -> None:
        # drop the client now, while the hub runs: redis-py's __del__ at interpreter exit
        # would take a green lock after eventlet's hub is gone
        client, self.redis = getattr(self, "redis", None), None
        if client is not None:
            client.close()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> Sessions:
        namespace = redis_key_prefix()
        return Sessions(JwtAccessTokens(self.keyring), RedisRevocations(auth.Revocations(self.redis, namespace)),
                        RedisFailureCounters(self.redis, f"{namespace}:identity:login_failures"),
                        HmacKeyHasher(self.keyring))
