"""ticket_svc in nameko containers on the test database, broker and Redis.

``rpc(actor)`` calls entrypoints as the gateway would (the caller in the context data).
``deliver(event_type, source, data)`` hands a contract-checked event to the service's own
handler, as the broker would. ``fast_forward(kind, key)`` is the test's clock: it moves a durable
deadline to now, as if its time had come, so rules counted in working days run in seconds.
"""
from __future__ import annotations

import gc
import json
import uuid

import pytest
from nameko import config as nameko_config
from nameko.testing.services import entrypoint_hook
from sqlalchemy import create_engine, text

from platform_contracts.actor import ACTOR_KEY, Actor
from platform_kit import contracts
from platform_kit.clock import isoformat, utcnow
from ticket_svc.service import TicketService


class Rpc:
    def __init__(self, container, actor: Actor | None):
        self._container = container
        self._context = {ACTOR_KEY: actor.to_header()} if actor else {}

    def __getattr__(self, method: str):
        def call(*args, **kwargs):
            with entrypoint_hook(self._container, method, context_data=dict(self._context)) as hook:
                return hook(*args, **kwargs)
        return call


@pytest.fixture
def ticket(platform_config, container_factory, tmp_path):
    with nameko_config.patch({"FILE_STORAGE_DIR": str(tmp_path / "files")}):
        container = container_factory(TicketService)
        container.start()
        yield container
        container.stop()
    gc.collect()


@pytest.fixture
def rpc(ticket):
    return lambda actor=None: Rpc(ticket, actor)


@pytest.fixture(scope="session")
def db(test_database_urls):
    engine = create_engine(test_database_urls["ticket"])
    yield engine
    engine.dispose()


def envelope(event_type: str, data: dict) -> dict:
    contract = contracts.contract(event_type)
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "version": contract.version,
            "source": contract.source, "occurred_at": isoformat(utcnow()), "correlation_id": None,
            "data": contracts.validate_data(event_type, data)}


@pytest.fixture
def deliver(ticket):
    handlers = {"user_created": "handle_user_created", "user_updated": "handle_user_updated",
                "organisation_created": "handle_organisation_created", "calendar_changed": "handle_calendar_changed",
                "project_created": "handle_project_created", "provider_assigned": "handle_provider_assigned"}

    def send(event_type: str, data: dict) -> None:
        with entrypoint_hook(ticket, handlers[event_type]) as hook:
            hook(envelope(event_type, data))
    return send


@pytest.fixture
def fast_forward(db):
    def move(kind: str, key: str) -> bool:
        with db.begin() as conn:
            moved = conn.execute(text("update deadlines set due_at = now() - interval '1 second', locked_until = null "
                                      "where kind = :k and key = :key"), {"k": kind, "key": key}).rowcount
        return moved == 1
    return move


@pytest.fixture
def deadline_exists(db):
    def exists(kind: str, key: str) -> bool:
        with db.connect() as conn:
            return conn.execute(text("select 1 from deadlines where kind = :k and key = :key"),
                                {"k": kind, "key": key}).first() is not None
    return exists


@pytest.fixture
def outbox(db):
    """``outbox(event_type, **data)``: the envelopes written whose data contains ``data``."""
    def find(event_type: str, **match) -> list[dict]:
        with db.connect() as conn:
            return list(conn.execute(text("select envelope from outbox_events where event_type = :t "
                                          "and envelope->'data' @> cast(:m as jsonb) order by seq"),
                                     {"t": event_type, "m": json.dumps(match)}).scalars())
    return find


@pytest.fixture
def world(deliver):
    """A customer that bought a provider-delivered order, the provider's agents and admin, the operator."""
    def make() -> dict:
        u = uuid.uuid4().hex[:8]
        provider, vendor, customer = f"prov-{u}", f"ven-{u}", f"cust-{u}"
        people = {
            "customer": Actor(f"c-{u}", customer, "customer", ("customer",)),
            "a1": Actor(f"a1-{u}", provider, "isv", ("support_agent",)),
            "a2": Actor(f"a2-{u}", provider, "isv", ("support_agent",)),
            "admin": Actor(f"adm-{u}", provider, "isv", ("provider_admin",)),
            "rival": Actor(f"r-{u}", f"rival-{u}", "isv", ("support_agent",)),
        }
        for actor in people.values():
            deliver("user_created", {"user_id": actor.user_id, "org_id": actor.org_id, "org_kind": actor.org_kind,
                                     "login_name": actor.user_id, "display_name": actor.user_id,
                                     "roles": list(actor.roles), "active": True})
        order, project = f"ORD-{u}", str(uuid.uuid4())
        deliver("project_created", {"project_id": project, "order_id": order, "product_id": f"prod-{u}",
                                    "vendor_id": vendor, "customer_id": customer, "template_id": "t",
                                    "template_version": 1})
        deliver("provider_assigned", {"project_id": project, "provider_id": provider, "product_id": f"prod-{u}",
                                      "node_key": "assign", "round": 1, "rule": "weighted"})
        return {**people, "order_id": order, "provider": provider}
    return make
