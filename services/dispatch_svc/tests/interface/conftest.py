"""dispatch_svc with the real broker and database: events go in as project and identity would
publish them, RPCs go in as the gateway would call them (the caller in the context data)."""
from __future__ import annotations

import uuid

import pytest
from nameko import config
from nameko.amqp.publish import get_producer
from nameko.standalone.events import get_event_exchange
from nameko.standalone.rpc import ClusterRpcClient
from sqlalchemy import create_engine

from platform_contracts.actor import Actor
from platform_contracts.roles import ISV


def envelope(source: str, event_type: str, data: dict) -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "version": 1, "source": source,
            "occurred_at": "2026-11-22T00:00:00+00:00", "correlation_id": None, "data": data}


class Publisher:
    """Publishes events onto the test virtual host exactly as a service's outbox relay does."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri

    def __call__(self, source: str, event_type: str, data: dict) -> dict:
        event = envelope(source, event_type, data)
        exchange = get_event_exchange(source)
        with get_producer(self.amqp_uri) as producer:
            producer.publish(event, exchange=exchange, routing_key=event_type, serializer="json",
                             declare=[exchange])
        return event

    def many(self, source: str, event_type: str, payloads: list[dict]) -> None:
        exchange = get_event_exchange(source)
        with get_producer(self.amqp_uri) as producer:
            for data in payloads:
                producer.publish(envelope(source, event_type, data), exchange=exchange, routing_key=event_type,
                                 serializer="json", declare=[exchange])


@pytest.fixture
def publish(platform_config) -> Publisher:
    return Publisher(config["AMQP_URI"])


@pytest.fixture
def event_sink(platform_config):
    """A queue bound to every dispatch event, as project and notify would have: without any
    subscriber the outbox relay keeps retrying unroutable events and slows a load test down."""
    from kombu import Connection, Queue

    queue = Queue(f"dispatch-sink-{uuid.uuid4().hex[:8]}", exchange=get_event_exchange("dispatch"),
                  routing_key="#", auto_delete=False, durable=True)
    with Connection(config["AMQP_URI"]) as connection:
        queue(connection.default_channel).declare()
        yield queue
        queue(connection.default_channel).delete()


@pytest.fixture
def dispatch_db(platform_config):
    engine = create_engine(config["DISPATCH_DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def rpc_as(platform_config):
    """``with rpc_as(actor) as rpc:`` a client whose calls carry ``actor`` (None: the system)."""
    def make(actor: Actor | None = None) -> ClusterRpcClient:
        return ClusterRpcClient(context_data={"actor": actor.to_header()} if actor else {}, timeout=20)
    return make


def reached(kind: str, *, project_id: str | None = None, product_id: str = "prod", vendor_id: str = "vendor",
            provider_id: str | None = None, round_: int = 1, settings: dict | None = None) -> dict:
    project_id = project_id or str(uuid.uuid4())
    return {"project_id": project_id, "order_id": f"ord-{project_id}", "product_id": product_id,
            "vendor_id": vendor_id, "customer_id": "cust", "provider_id": provider_id, "node_key": kind,
            "node_kind": kind, "node_name": kind, "node_index": 0, "role": None, "round": round_,
            "settings": settings or {}}


def user(user_id: str, org_id: str, roles: tuple[str, ...], department_id: str | None = None) -> dict:
    return {"user_id": user_id, "org_id": org_id, "org_kind": ISV, "login_name": user_id, "display_name": user_id,
            "phone": None, "email": None, "roles": list(roles), "department_id": department_id, "active": True}


@pytest.fixture
def make_reached():
    return reached


@pytest.fixture
def make_user():
    return user
