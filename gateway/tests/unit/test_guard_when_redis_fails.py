"""Faults: Redis degraded, not fatal. Each use of Redis by the gateway fails the documented way."""
from __future__ import annotations

import pytest
import redis
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.guard import REVOCATION_CACHE_SECONDS, Guard
from platform_contracts.actor import Actor
from platform_contracts.roles import ISV, VENDOR_ADMIN
from platform_kit.auth import Keyring, Revocations, issue_access_token
from platform_kit.errors import ServiceUnavailable

KEYRING = Keyring("guard-unit-tests-secret-0123456789")
ACTOR = Actor("u1", "org1", ISV, (VENDOR_ADMIN,))


class SwitchableRedis:
    """A stand-in for the Redis client whose server can be taken away (refused connections)."""

    def __init__(self):
        self.up = True
        self.data: dict[str, object] = {}

    def _check(self):
        if not self.up:
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    def pipeline(self, transaction=False):
        return _Pipeline(self)

    def set(self, key, value, nx=False, ex=None):
        self._check()
        if nx and key in self.data:
            return None
        self.data[key] = value
        return True

    def get(self, key):
        self._check()
        return self.data.get(key)

    def delete(self, key):
        self._check()
        self.data.pop(key, None)

    def mget(self, *keys):
        self._check()
        return [self.data.get(k) for k in keys]


class _Pipeline:
    def __init__(self, client):
        self.client, self.ops = client, []

    def mget(self, *keys):
        self.ops.append(lambda: self.client.mget(*keys))

    def incr(self, key):
        def op():
            self.client.data[key] = int(self.client.data.get(key, 0)) + 1
            return self.client.data[key]
        self.ops.append(op)

    def expire(self, key, seconds):
        self.ops.append(lambda: True)

    def execute(self):
        self.client._check()
        return [op() for op in self.ops]


@pytest.fixture
def guard():
    g = Guard()
    g.secret, g.redis = KEYRING, SwitchableRedis()
    g.revocations = Revocations(g.redis, "t")
    g.limit, g.prefix, g._seen = 600, "t:gw", {}
    return g


def request(token: str | None = None, method: str = "GET", headers: dict | None = None, body: bytes = b"") -> Request:
    all_headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    return Request(EnvironBuilder(path="/api/v1/projects", method=method, headers=all_headers, data=body,
                                  content_type="application/json").get_environ())


def test_rate_limits_fail_open_when_redis_is_down(guard):
    guard.redis.up = False
    assert guard.admit(request(), public=True) is None


def test_a_token_checked_moments_ago_keeps_working_while_redis_is_down(guard):
    token, _ = issue_access_token(ACTOR, KEYRING)
    assert guard.admit(request(token), public=False).actor == ACTOR
    guard.redis.up = False
    assert guard.admit(request(token), public=False).actor == ACTOR


def test_an_unseen_token_is_refused_with_503_while_redis_is_down_fail_closed(guard):
    token, _ = issue_access_token(ACTOR, KEYRING)
    guard.redis.up = False
    with pytest.raises(ServiceUnavailable, match="cannot be checked"):
        guard.admit(request(token), public=False)


def test_a_revocation_seen_before_the_outage_still_holds_and_the_cache_expires(guard):
    token, claims = issue_access_token(ACTOR, KEYRING)
    guard.revocations.redis.data[guard.revocations.keys(claims)[0]] = "1"
    with pytest.raises(Exception, match="revoked"):
        guard.admit(request(token), public=False)
    guard.redis.up = False
    with pytest.raises(Exception, match="revoked"):
        guard.admit(request(token), public=False)
    guard._seen = {jti: (seen - REVOCATION_CACHE_SECONDS - 1, revoked) for jti, (seen, revoked) in guard._seen.items()}
    with pytest.raises(ServiceUnavailable):
        guard.admit(request(token), public=False)


def test_a_write_with_an_idempotency_key_answers_503_when_the_key_cannot_be_recorded(guard):
    guard.redis.up = False
    with pytest.raises(ServiceUnavailable, match="Idempotency-Key cannot be recorded"):
        guard.idempotency_begin("user:u1", request(method="POST", headers={"Idempotency-Key": "k-1"}, body=b"{}"))
    guard.redis.up = True
    assert guard.redis.data == {}, "nothing pending is left behind"
    began = guard.idempotency_begin("user:u1", request(method="POST", headers={"Idempotency-Key": "k-1"},
                                                       body=b"{}"))
    assert isinstance(began, tuple), "once Redis is back the same key is taken normally"
