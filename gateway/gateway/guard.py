"""What every request passes before its route runs (GW-2, GW-4).

- **Authentication**: ``Authorization: Bearer <access token>``, verified locally (HS256 only,
  issuer, expiry) and against the revocations identity writes to Redis; or an organisation's
  integrator key, ``X-Api-Key: dpk_...`` (GW-6), verified by identity (which alone holds the
  keyed hashes), kept verified in this process for at most ``API_KEY_CACHE_SECONDS`` (60) and
  checked against the same revocations in Redis on every request, so a revoked key answers 401
  at once on every replica.
- **Authorisation by role**: a route names the roles that may call it; the service behind it
  then checks the object itself (tenant), so the gateway is never the only line of defence.
- **First log-in**: a user who must change the password may only read ``/me``, change the
  password and sign out.
- **Rate limits** per client (the user, the key, or the address when anonymous): a fixed window
  per minute in Redis, answered 429 with ``Retry-After``. A key may have its own limit. The
  address is the client's behind the proxies named in ``TRUSTED_PROXIES`` (``gateway.proxies``).
- **Idempotency keys** on writes: the first answer is stored for 24 h under the caller and the
  key; the same key and body replay it (``Idempotent-Replayed: true``), the same key with another
  body is refused (422), and a concurrent duplicate gets 409 while the first is in flight.

When Redis is slow or down (every operation is bounded by ``REDIS_TIMEOUT_SECONDS``), each use
degrades on purpose (docs/operations.md):
- rate limits fail open: the request goes on, counted in ``platform_gateway_redis_degraded_total``;
- a write with an ``Idempotency-Key`` answers 503 when the key cannot be recorded: never a
  duplicate, never a key stuck in "pending";
- revocation answers from a local cache of what Redis said about this token in the last
  ``REVOCATION_CACHE_SECONDS``; a token not seen in that window is refused with 503 (fail closed),
  so a sign-out is never ignored for longer than that window.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import redis
from nameko import config
from nameko.extensions import SharedExtension
from prometheus_client import Counter
from werkzeug.wrappers import Request, Response

from gateway.proxies import client_address, parse_trusted
from platform_contracts.actor import Actor
from platform_kit.auth import Keyring, Revocations, TokenClaims, decode_access_token
from platform_kit.cache import RedisConnection, redis_key_prefix
from platform_kit.clock import utcnow
from platform_kit.errors import Conflict, Forbidden, RateLimited, ServiceUnavailable, Unauthenticated, Unprocessable

log = logging.getLogger(__name__)
REDIS_DEGRADED = Counter("platform_gateway_redis_degraded_total",
                         "Gateway requests served degraded because Redis was unreachable", ["use"])
IDEMPOTENCY_TTL = 24 * 3600
REVOCATION_CACHE_SECONDS = 30
IN_FLIGHT_TTL = 60
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
MAX_KEY_LENGTH = 200
API_KEY_HEADER = "X-Api-Key"
# the shape of a key (identity_svc.domain.api_keys): anything else is refused without asking identity
API_KEY_SHAPE = re.compile(r"^dpk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class KeyClaims(TokenClaims):
    """An integrator key, verified by identity: its service account and its own rate limit."""

    rate_limit: int | None = None


def address_of(request: Request) -> str | None:
    """The client's address as ``ApiRoute`` worked it out (behind trusted proxies), else the peer's."""
    return getattr(request, "client_address", None) or request.remote_addr


def client_of(actor: Actor | None, request: Request) -> str:
    """Who a request counts against: the key, the user, or (anonymous) the address."""
    if actor is None:
        return f"addr:{address_of(request)}"
    return f"{'key' if actor.api_key else 'user'}:{actor.user_id}"


class Guard(SharedExtension):
    connection = RedisConnection()

    def setup(self) -> None:
        self.secret = Keyring.from_config(config)
        self.redis = self.connection.client
        self._seen: dict[str, tuple[float, bool]] = {}  # token id -> (when Redis answered, revoked)
        self.revocations = Revocations(self.redis, redis_key_prefix())
        self.limit = int(config.get("RATE_LIMIT_PER_MINUTE", 600))
        self.prefix = f"{redis_key_prefix()}:gw"
        self.trusted_proxies = parse_trusted(config.get("TRUSTED_PROXIES"))
        self.key_cache_seconds = float(config.get("API_KEY_CACHE_SECONDS", 60))
        self._keys: dict[str, tuple[float, KeyClaims]] = {}  # sha256 of a key -> (when identity said, claims)

    def client_address(self, request: Request) -> str | None:
        return client_address(request.remote_addr, request.headers.getlist("X-Forwarded-For"), self.trusted_proxies)

    # --- who -------------------------------------------------------------------------------

    def admit(self, request: Request, public: bool,
              resolve_key: Callable[[str], dict] | None = None) -> TokenClaims | None:
        """Verify the token or key (unless the route is public) and count the request against the
        client's rate, in one Redis round trip. A request with a bad token is counted against its
        address before it is refused, so guessing tokens is rate-limited too. ``resolve_key``
        asks identity about an integrator key this process has not verified lately."""
        try:
            claims = None if public else self.read_credentials(request, resolve_key)
        except Unauthenticated:
            try:
                pipe = self.redis.pipeline(transaction=False)
                self._count(pipe, f"addr:{address_of(request)}")
                count = pipe.execute()[0]
            except redis.RedisError as exc:
                self._degraded("rate_limit", exc)
                raise Unauthenticated("The access token is not valid.") from None
            self._check_count(count)
            raise
        client = client_of(claims.actor if claims else None, request)
        try:
            pipe = self.redis.pipeline(transaction=False)
            if claims:
                pipe.mget(*self.revocations.keys(claims))
            self._count(pipe, client)
            results = pipe.execute()
        except redis.RedisError as exc:
            self._degraded("rate_limit", exc)
            if claims and self._revoked_as_last_seen(claims):
                raise Unauthenticated("The access token was revoked; sign in again.") from None
            return claims
        if claims:
            revoked = self.revocations.is_revoked(claims, results[0])
            self._remember(claims.jti, revoked)
            if revoked:
                if isinstance(claims, KeyClaims):
                    raise Unauthenticated("This API key was revoked.")
                raise Unauthenticated("The access token was revoked; sign in again.")
        self._check_count(results[-2], getattr(claims, "rate_limit", None))
        return claims

    def _remember(self, jti: str, revoked: bool) -> None:
        now = time.monotonic()
        if len(self._seen) > 50_000:  # keep the cache to the window it serves
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] <= REVOCATION_CACHE_SECONDS}
        self._seen[jti] = (now, revoked)

    def _revoked_as_last_seen(self, claims: TokenClaims) -> bool:
        """Redis is unreachable: answer from what it said about this token moments ago, or refuse."""
        seen = self._seen.get(claims.jti)
        if seen is None or time.monotonic() - seen[0] > REVOCATION_CACHE_SECONDS:
            raise ServiceUnavailable("Sign-ins cannot be checked right now; please retry shortly.")
        return seen[1]

    def _degraded(self, use: str, exc: Exception) -> None:
        REDIS_DEGRADED.labels(use).inc()
        log.warning("Redis unavailable for %s (%s): degrading as documented", use, exc)

    def read_credentials(self, request: Request, resolve_key: Callable[[str], dict] | None) -> TokenClaims:
        key = request.headers.get(API_KEY_HEADER)
        if key is None:
            return self.read_token(request)
        if request.headers.get("Authorization"):
            raise Unauthenticated(f"Send either {API_KEY_HEADER} or Authorization, not both.")
        return self.read_api_key(key, resolve_key)

    def read_api_key(self, key: str, resolve_key: Callable[[str], dict] | None) -> KeyClaims:
        """The key's service account: from this process's memory when identity verified the key
        in the last ``API_KEY_CACHE_SECONDS``, else from identity. Revocation is checked by the
        caller in Redis either way."""
        if not API_KEY_SHAPE.match(key.strip()):
            raise Unauthenticated("The API key is not valid: it looks like dpk_<32 hex digits>_<secret>.")
        digest = hashlib.sha256(key.strip().encode()).hexdigest()
        now = time.monotonic()
        cached = self._keys.get(digest)
        if cached and now - cached[0] <= self.key_cache_seconds and cached[1].expires_at > utcnow():
            return cached[1]
        if resolve_key is None:
            raise Unauthenticated("The API key is not valid.")
        answer = resolve_key(key.strip())  # Unauthenticated (401) or ServiceUnavailable (503) pass on
        who = answer["actor"]
        actor = Actor(who["user_id"], who["org_id"], who["org_kind"], tuple(who["roles"]), None, api_key=True)
        claims = KeyClaims(actor, f"key-{answer['key_id']}", datetime.fromisoformat(answer["created_at"]),
                           datetime.fromisoformat(answer["valid_until"]), False, answer["rate_limit_per_minute"])
        if len(self._keys) > 10_000:  # keep the memory to the window it serves
            self._keys = {k: v for k, v in self._keys.items() if now - v[0] <= self.key_cache_seconds}
        self._keys[digest] = (now, claims)
        return claims

    def read_token(self, request: Request) -> TokenClaims:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Sign in and send the access token as 'Authorization: Bearer <token>'.")
        return decode_access_token(token.strip(), self.secret)

    @staticmethod
    def authorise(claims: TokenClaims, roles: tuple[str, ...], allow_pending_password: bool) -> Actor:
        if claims.must_change_password and not allow_pending_password:
            raise Forbidden("Change your initial password first (POST /api/v1/auth/password).",
                            {"password": ["must be changed at first log-in"]})
        if roles and not claims.actor.has_role(*roles):
            raise Forbidden("Your role does not allow this.", {"roles": [f"needs one of: {', '.join(roles)}"]})
        return claims.actor

    # --- how often --------------------------------------------------------------------------

    def _count(self, pipe, client: str) -> None:
        key = f"{self.prefix}:rl:{client}:{int(time.time() // 60)}"
        pipe.incr(key)
        pipe.expire(key, 61)

    def _check_count(self, count: int, limit: int | None = None) -> None:
        limit = limit or self.limit
        if count > limit:
            retry = 60 - int(time.time() % 60)
            raise RateLimited(f"Too many requests: at most {limit} a minute. Retry in {retry} s.",
                              {"retry_after": [str(retry)]})

    # --- once -------------------------------------------------------------------------------

    def idempotency_begin(self, scope: str, request: Request) -> tuple[str, str] | Response | None:
        """None: no key. A Response: replay the stored answer. Else (redis key, fingerprint)."""
        key = request.headers.get("Idempotency-Key")
        if key is None or request.method not in WRITE_METHODS:
            return None
        if not key or len(key) > MAX_KEY_LENGTH:
            raise Unprocessable("The Idempotency-Key header must be 1 to 200 characters.",
                                {"Idempotency-Key": ["1 to 200 characters"]})
        fingerprint = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), request.get_data()])).hexdigest()
        redis_key = f"{self.prefix}:idem:{scope}:{hashlib.sha256(key.encode()).hexdigest()}"
        pending = json.dumps({"state": "pending", "fingerprint": fingerprint})
        try:
            if self.redis.set(redis_key, pending, nx=True, ex=IN_FLIGHT_TTL):
                return redis_key, fingerprint
            stored = json.loads(self.redis.get(redis_key) or "null")
        except redis.RedisError as exc:
            self._degraded("idempotency", exc)
            raise ServiceUnavailable("The Idempotency-Key cannot be recorded right now, so the request was not "
                                     "run; retry it with the same key shortly.") from None
        if stored is None:  # expired between the two calls: take it now
            return self.idempotency_begin(scope, request)
        if stored["fingerprint"] != fingerprint:
            raise Unprocessable("This Idempotency-Key was used with another request; use a new key.",
                                {"Idempotency-Key": ["already used with a different request"]})
        if stored["state"] == "pending":
            raise Conflict("A request with this Idempotency-Key is still being processed; retry shortly.",
                           {"Idempotency-Key": ["in progress"]})
        response = Response(stored["body"], status=stored["status"], mimetype="application/json")
        response.headers["Idempotent-Replayed"] = "true"
        return response

    def idempotency_finish(self, redis_key: str, fingerprint: str, response: Response) -> None:
        try:
            if response.status_code >= 500:
                self.redis.delete(redis_key)  # a fault of ours: let the client retry for real
                return
            self.redis.set(redis_key, json.dumps({
                "state": "done", "fingerprint": fingerprint, "status": response.status_code,
                "body": response.get_data(as_text=True)}), ex=IDEMPOTENCY_TTL)
        except redis.RedisError as exc:
            # the answer goes out; the pending mark expires within IN_FLIGHT_TTL
            self._degraded("idempotency", exc)
