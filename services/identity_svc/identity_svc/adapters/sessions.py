"""What log-in and log-out need besides the database: the token secret and Redis.

``SessionStore`` is a nameko DependencyProvider: it reads ``JWT_SECRET`` and ``REDIS_URL`` in
``setup()`` and hands each worker a small ``Sessions`` object with the secret, the shared
token revocations of ``platform_kit.auth`` and the failed-log-in counters.
"""
from __future__ import annotations

from dataclasses import dataclass

import redis
from nameko import config
from nameko.extensions import DependencyProvider

from identity_svc.domain.login_limits import ACCOUNT, ADDRESS, Limit
from platform_kit.auth import Keyring, Revocations
from platform_kit.cache import redis_client, redis_key_prefix


class LoginGuard:
    """Failed log-ins counted in Redis per account and per client address, in fixed windows."""

    def __init__(self, client: redis.Redis, prefix: str = "identity:login_failures"):
        self.redis = client
        self.prefix = prefix

    def _key(self, limit: Limit, value: str) -> str:
        return f"{self.prefix}:{limit.scope}:{value}"

    def _scopes(self, login_key: str, address: str | None) -> list[tuple[Limit, str]]:
        scopes = [(ACCOUNT, self._key(ACCOUNT, login_key))]
        if address:
            scopes.append((ADDRESS, self._key(ADDRESS, address)))
        return scopes

    def blocked(self, login_key: str, address: str | None) -> tuple[Limit, int] | None:
        """The limit reached and the seconds until it lifts, or None when log-in may proceed."""
        for limit, key in self._scopes(login_key, address):
            count = self.redis.get(key)
            if count is not None and int(count) >= limit.max_failures:
                ttl = self.redis.ttl(key)
                return limit, ttl if ttl > 0 else limit.window_seconds
        return None

    def record_failure(self, login_key: str, address: str | None) -> bool:
        """Count a failure; True when it made the account or the address reach its limit."""
        reached = False
        for limit, key in self._scopes(login_key, address):
            pipe = self.redis.pipeline(transaction=True)
            # the window starts at the first failure; INCR keeps the expiry set here
            pipe.set(key, 0, ex=limit.window_seconds, nx=True)
            pipe.incr(key)
            count = pipe.execute()[1]
            reached = reached or count == limit.max_failures
        return reached

    def clear_account(self, login_key: str) -> None:
        self.redis.delete(self._key(ACCOUNT, login_key))


@dataclass(frozen=True)
class Sessions:
    secret: Keyring
    revocations: Revocations
    guard: LoginGuard


class SessionStore(DependencyProvider):
    def setup(self) -> None:
        self.secret = Keyring.from_config(config)
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
        return Sessions(self.secret, Revocations(self.redis, namespace),
                        LoginGuard(self.redis, f"{namespace}:identity:login_failures"))
