"""GW-6: the gateway's side of integrator keys, with identity's answer faked: a malformed key never
reaches identity, a verified key is kept for a short while, and a revocation mark in Redis refuses
it at the very next request, however recently it was verified."""
from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.guard import Guard, KeyClaims
from platform_kit.auth import Keyring, Revocations
from platform_kit.clock import utcnow
from platform_kit.errors import RateLimited, Unauthenticated

KEY_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
KEY = "dpk_0f1e2d3c4b5a69788796a5b4c3d2e1f0_" + "s" * 43


class FakeRedis:
    def __init__(self):
        self.data: dict[str, object] = {}

    def pipeline(self, transaction=False):
        return FakePipeline(self)

    def mget(self, *keys):
        return [self.data.get(k) for k in keys]


class FakePipeline:
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
        return [op() for op in self.ops]


class Identity:
    """identity.authenticate_api_key, counting the calls."""

    def __init__(self, rate_limit=None):
        self.calls, self.rate_limit = 0, rate_limit

    def __call__(self, key):
        self.calls += 1
        if key != KEY:
            raise Unauthenticated("The API key is not valid.")
        now = utcnow()
        return {"actor": {"user_id": KEY_ID, "org_id": "org-c", "org_kind": "customer", "roles": ["customer"]},
                "key_id": KEY_ID, "created_at": now.isoformat(), "valid_until": (now + timedelta(days=1)).isoformat(),
                "rate_limit_per_minute": self.rate_limit}


@pytest.fixture
def guard():
    g = Guard()
    g.secret, g.redis = Keyring("guard-key-tests-secret-0123456789"), FakeRedis()
    g.revocations = Revocations(g.redis, "t")
    g.limit, g.prefix, g._seen, g._keys, g.key_cache_seconds = 600, "t:gw", {}, {}, 60.0
    return g


def request(key: str | None = KEY, **headers) -> Request:
    all_headers = {**({"X-Api-Key": key} if key is not None else {}), **headers}
    return Request(EnvironBuilder(path="/api/v1/projects", headers=all_headers).get_environ())


def test_GW6_a_key_acts_as_its_service_account_and_identity_is_asked_once_a_while(guard):
    identity = Identity()
    claims = guard.admit(request(), public=False, resolve_key=identity)
    assert isinstance(claims, KeyClaims) and claims.actor.user_id == KEY_ID and claims.actor.api_key
    assert claims.actor.roles == ("customer",)
    guard.admit(request(), public=False, resolve_key=identity)
    assert identity.calls == 1
    guard._keys = {k: (seen - 61, c) for k, (seen, c) in guard._keys.items()}
    guard.admit(request(), public=False, resolve_key=identity)
    assert identity.calls == 2


def test_GW6_a_revoked_key_is_refused_at_the_next_request_though_verified_a_moment_ago(guard):
    identity = Identity()
    guard.admit(request(), public=False, resolve_key=identity)
    guard.redis.data[f"t:auth:revoked:key-{KEY_ID}"] = "1"  # what identity writes when an admin revokes it
    with pytest.raises(Unauthenticated, match="revoked"):
        guard.admit(request(), public=False, resolve_key=identity)


@pytest.mark.parametrize("key", ["", "Bearer x", "dpk_short_key", KEY + "x"])
def test_GW6_a_malformed_key_is_refused_without_asking_identity(guard, key):
    identity = Identity()
    with pytest.raises(Unauthenticated):
        guard.admit(request(key), public=False, resolve_key=identity)
    assert identity.calls == 0


def test_GW6_a_key_and_a_bearer_token_together_are_refused(guard):
    with pytest.raises(Unauthenticated, match="not both"):
        guard.admit(request(Authorization="Bearer abc"), public=False, resolve_key=Identity())


def test_GW6_GW4_a_key_counts_against_its_own_limit(guard):
    identity = Identity(rate_limit=2)
    for _ in range(2):
        guard.admit(request(), public=False, resolve_key=identity)
    with pytest.raises(RateLimited, match="at most 2 a minute"):
        guard.admit(request(), public=False, resolve_key=identity)
    assert any(k.startswith(f"t:gw:rl:key:{KEY_ID}:") for k in guard.redis.data)
