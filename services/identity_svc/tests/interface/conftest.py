"""The real identity service in a nameko container, on the test database, broker and Redis.

``rpc(actor)`` calls entrypoints as the gateway would: the caller travels in the context data,
never in the payload. Everything is created with random names, so tests never depend on each
other or on the order they run in.
"""
from __future__ import annotations

import gc
import json
import uuid
from dataclasses import dataclass

import pytest
import redis
from nameko import config as nameko_config
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from identity_svc.service import IdentityService
from platform_contracts.actor import ACTOR_KEY, Actor
from platform_contracts.roles import ISV, OPERATOR
from platform_kit.auth import Revocations, decode_access_token

JWT_SECRET = "identity-interface-tests-secret"
OPERATOR_PASSWORD = "Operator2024"


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _random_address() -> str:
    octets = uuid.uuid4().bytes[:3]
    return "10." + ".".join(str(b) for b in octets)


def _actor_of(user: dict, org_kind: str = ISV) -> Actor:
    return Actor(user["id"], user["org_id"], org_kind, tuple(user["roles"]), user["department_id"])


@pytest.fixture
def unique():
    """``unique("name")``: a name no other test uses."""
    return _unique


@pytest.fixture
def random_address():
    """A client address no other test uses, so per-address counters never collide."""
    return _random_address


@pytest.fixture
def actor_of():
    """The Actor the gateway would send for a user (as dumped by the service)."""
    return _actor_of


@pytest.fixture
def decode():
    """Verify an access token as the gateway does."""
    return lambda token: decode_access_token(token, JWT_SECRET)


class Rpc:
    """``rpc.create_user({...})`` runs the entrypoint in the container as ``actor``."""

    def __init__(self, container, actor: Actor | None):
        self._container = container
        self._context = {ACTOR_KEY: actor.to_header()} if actor else {}

    def __getattr__(self, method: str):
        def call(*args, **kwargs):
            with entrypoint_hook(self._container, method, context_data=dict(self._context)) as hook:
                return hook(*args, **kwargs)
        return call


@pytest.fixture
def identity(platform_config, container_factory):
    with nameko_config.patch({"JWT_SECRET": JWT_SECRET}):
        container = container_factory(IdentityService)
        container.start()
        yield container
        container.stop()
    # Workers leave Redis clients in reference cycles; collect them while eventlet's hub still
    # runs, or redis-py's __del__ complains at interpreter exit.
    gc.collect()


@pytest.fixture
def rpc(identity):
    def as_actor(actor: Actor | None = None) -> Rpc:
        return Rpc(identity, actor)
    return as_actor


@pytest.fixture
def operator(rpc) -> Actor:
    """The platform operator (created by the first test that asks, then reused)."""
    result = rpc().bootstrap_operator(_unique("operator"), OPERATOR_PASSWORD)
    return Actor(result["user"]["id"], result["organisation"]["id"], OPERATOR, ("platform_operator",))


@dataclass
class Tenant:
    org: dict
    admin: dict
    password: str
    actor: Actor

    @property
    def root_department_id(self) -> str:
        return self.org["root_department_id"]


@pytest.fixture
def new_isv(rpc, operator):
    def create(kind: str = "isv") -> Tenant:
        result = rpc(operator).create_organisation({
            "name": _unique("ISV"), "kind": kind,
            "admin": {"login_name": _unique("admin"), "display_name": "Main account", "phone": "+86 138 0000 0000",
                      "email": "admin@example.com"}})
        return Tenant(result["organisation"], result["admin"], result["password"], _actor_of(result["admin"], kind))
    return create


@pytest.fixture
def isv(new_isv) -> Tenant:
    return new_isv()


@pytest.fixture
def new_employee(rpc):
    def create(tenant: Tenant, roles=("engineer",), **fields) -> tuple[dict, str]:
        result = rpc(tenant.actor).create_user({"login_name": _unique("staff"), "display_name": "Employee",
                                                "roles": list(roles), **fields})
        return result["user"], result["password"]
    return create


@pytest.fixture
def sign_in(rpc):
    """A user's first log-in and forced password change; returns the new password.

    Tokens issued right after the change must work at once (revocation compares milliseconds).
    """
    def first_login(user: dict, one_time: str, new_password: str | None = None) -> str:
        new_password = new_password or f"Chosen{uuid.uuid4().hex[:6]}9"
        assert rpc().login(user["login_name"], one_time, _random_address())["must_change_password"] is True
        rpc(_actor_of(user)).change_password({"current_password": one_time, "new_password": new_password})
        return new_password
    return first_login


@pytest.fixture(scope="session")
def db(test_database_urls):
    engine = create_engine(test_database_urls["identity"])
    yield engine
    engine.dispose()


@pytest.fixture
def redis_client():
    # per test, so that no client outlives eventlet's hub (redis-py closes itself in __del__)
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    yield client
    client.close()


@pytest.fixture
def revocations(redis_client, platform_config) -> Revocations:
    return Revocations(redis_client, platform_config["REDIS_KEY_PREFIX"])


@pytest.fixture
def outbox(db):
    """``outbox(event_type, **data_fields)``: the envelopes written with that data, oldest first."""
    def find(event_type: str, **match) -> list[dict]:
        with db.connect() as conn:
            rows = conn.execute(text("select envelope from outbox_events where event_type = :t "
                                     "and envelope->'data' @> cast(:m as jsonb) order by seq"),
                                {"t": event_type, "m": json.dumps(match)}).scalars().all()
        return list(rows)
    return find
