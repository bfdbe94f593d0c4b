"""No event lost to a missing queue: a subscriber's queue deleted while the subscriber is down.

Every service's audit queue takes every event, so a ``mandatory`` publish is always routable; the
relay must know, from the declared topology, which queues each event type has to reach, hold the
events (not mark them sent) and alert while one is missing, and deliver every one once it is back."""
from __future__ import annotations

import logging
import uuid

import pytest
from kombu import Connection
from marshmallow import Schema, fields
from nameko import config
from nameko.standalone.rpc import ClusterRpcClient
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, func, select

from platform_kit import contracts, topology
from platform_kit.consumer import on_event
from platform_kit.db import Database
from platform_kit.errors import rpc
from platform_kit.tables import outbox_events

EVENT = "queue_test_happened"


class Happened(Schema):
    n = fields.Integer(required=True)
    run = fields.String(required=True)


class Publisher:
    name = "queuepub"
    db = Database("BILLING_DATABASE_URL")

    @rpc
    def happen(self, n: int, run: str) -> int:
        with self.db.unit_of_work() as uow:
            uow.emit(EVENT, {"n": n, "run": run})
            uow.commit()
        return n


received: list[int] = []


class Subscriber:
    name = "queuesub"
    db = Database("BILLING_DATABASE_URL", relay_events=False)

    @on_event("queuepub", EVENT, backoff=0.2)
    def handle_happened(self, event):
        with self.db.unit_of_work() as uow:
            if uow.claim_event(event, "queuesub.handle_happened"):
                uow.commit()
                received.append(event["data"]["n"])


@pytest.fixture(autouse=True)
def _registered():
    # the platform's subscriptions are read before this test's event exists: notify offers every
    # catalogued event to webhooks, and would otherwise count as a subscriber of it too
    topology.required_queues("queuepub")
    contracts.register(EVENT, source="queuepub", schema=Happened, description="test event of the fault suite")
    topology.also_subscribing(Subscriber)
    received.clear()
    yield
    topology.no_longer_subscribing(Subscriber)
    contracts.unregister(EVENT)


def _outbox(run: str) -> tuple[int, int]:
    """(sent, unsent) events of this run."""
    engine = create_engine(config["BILLING_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(outbox_events.c.sent_at.is_(None), func.count()).where(
                outbox_events.c.event_type == EVENT, outbox_events.c.envelope["data"]["run"].astext == run)
                .group_by(outbox_events.c.sent_at.is_(None))).all()
    finally:
        engine.dispose()
    counts = {unsent: n for unsent, n in rows}
    return counts.get(False, 0), counts.get(True, 0)


def _happen(numbers, run: str) -> None:
    with ClusterRpcClient(uri=config["AMQP_URI"], timeout=10) as client:
        for n in numbers:
            client.queuepub.happen(n, run)


def test_a_subscriber_queue_deleted_while_its_service_is_down_holds_every_event_alerts_and_delivers_all_later(
        platform_config, container_factory, wait_until, caplog):
    run = uuid.uuid4().hex
    queue = topology.subscriptions_of(Subscriber)[0].queue_name
    topology.declare(config["AMQP_URI"], Publisher)       # the migrator, before anything runs
    topology.declare(config["AMQP_URI"], Subscriber)
    container_factory(Publisher).start()
    subscriber = container_factory(Subscriber)
    subscriber.start()
    _happen([1, 2], run)
    wait_until(lambda: sorted(received) == [1, 2], timeout=20, message="the first events delivered")
    assert _outbox(run) == (2, 0)
    subscriber.stop()

    with Connection(config["AMQP_URI"]) as conn:           # the queue is lost while the subscriber is down
        conn.channel().queue_delete(queue)
    with caplog.at_level(logging.ERROR, logger="platform_kit.outbox"):
        _happen([3, 4, 5], run)
        wait_until(lambda: sum(f"subscriber queue {queue} is missing" in r.getMessage() for r in caplog.records) >= 3,
                   timeout=20, message="an error logged for each held event")
    assert _outbox(run) == (2, 3), "no event is marked sent while a queue it must reach is missing"
    assert REGISTRY.get_sample_value("platform_outbox_queue_missing",
                                     {"service": "queuepub", "queue": queue}) == 1
    assert REGISTRY.get_sample_value("platform_outbox_held_for_missing_queue_total",
                                     {"service": "queuepub", "event_type": EVENT}) >= 3

    container_factory(Subscriber).start()                  # back: it declares its queue as it starts
    wait_until(lambda: _outbox(run) == (5, 0), timeout=60, message="every held event sent once the queue is back")
    wait_until(lambda: sorted(received) == [1, 2, 3, 4, 5], timeout=30, message="every event delivered")
    assert REGISTRY.get_sample_value("platform_outbox_queue_missing", {"service": "queuepub", "queue": queue}) == 0
