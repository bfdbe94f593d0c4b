"""Redis, as every service and the gateway reach it: one URL and one key namespace per deployment.

``REDIS_KEY_PREFIX`` namespaces every key (periodic-job claims, token revocations, failed log-ins,
gateway rate counts and idempotency records), so two deployments, or two test runs, sharing a
Redis server never see each other's keys.
"""
from __future__ import annotations

import redis
from nameko import config


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(config.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


def redis_key_prefix() -> str:
    return str(config.get("REDIS_KEY_PREFIX") or "platform")
