"""Redis, as every service and the gateway reach it: one URL and one key namespace per deployment.

``REDIS_KEY_PREFIX`` namespaces every key (periodic-job claims, token revocations, failed log-ins,
gateway rate counts and idempotency records), so two deployments, or two test runs, sharing a
Redis server never see each other's keys.
"""
from __future__ import annotations

import redis
from nameko import config
from nameko.extensions import SharedExtension


def redis_client() -> redis.Redis:
    """A client whose every operation is bounded: connecting and each command wait at most
    ``REDIS_TIMEOUT_SECONDS`` (default 2), so a hung Redis gives an error, never a hang."""
    timeout = float(config.get("REDIS_TIMEOUT_SECONDS", 2))
    return redis.Redis.from_url(config.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                                socket_connect_timeout=timeout, socket_timeout=timeout,
                                health_check_interval=30)


class RedisConnection(SharedExtension):
    """The container's one Redis client: opened at setup, closed at stop.

    Declare it as a sub-extension (``redis = RedisConnection()``) of an entrypoint, a dependency
    provider or another shared extension; every user in the container gets the same client.
    Closing at stop, while eventlet's hub still runs, matters: redis-py's ``__del__`` at
    interpreter exit would take a green lock after the hub is gone.
    """

    _client: redis.Redis | None = None
    _stopped = False

    @property
    def client(self) -> redis.Redis | None:
        """Opened on first use (extensions set up in an order nameko chooses); None once stopped."""
        if self._client is None and not self._stopped:
            self._client = redis_client()
        return self._client

    @property
    def key_prefix(self) -> str:
        return redis_key_prefix()

    def setup(self) -> None:
        self._stopped = False

    def stop(self) -> None:
        self._stopped = True
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def kill(self) -> None:
        self.stop()


def redis_key_prefix() -> str:
    return str(config.get("REDIS_KEY_PREFIX") or "platform")
