"""The transactional outbox: committed events are published exactly once, also with two relays."""
import json
import uuid

import eventlet
from kombu import Connection, Exchange, Queue
from nameko import config
from sqlalchemy import create_engine, func, select

from platform_kit.outbox import OutboxRelay
from platform_kit.tables import outbox_events


def _insert_events(engine, count: int, run: str) -> set[str]:
    ids = set()
    with engine.begin() as conn:
        for n in range(count):
            event_id = str(uuid.uuid4())
            ids.add(event_id)
            conn.execute(outbox_events.insert().values(
                event_id=event_id, event_type="probe_happened", version=1, correlation_id=run,
                envelope={"event_id": event_id, "event_type": "probe_happened", "version": 1,
                          "source": "billing", "occurred_at": "2026-11-21T00:00:00+00:00",
                          "correlation_id": run, "data": {"n": n}}))
    return ids


def test_outbox_publishes_every_event_exactly_once_with_two_relays_running(platform_config, wait_until):
    engine = create_engine(config["BILLING_DATABASE_URL"])
    run = uuid.uuid4().hex
    with Connection(config["AMQP_URI"]) as conn:
        queue = Queue(f"probe-{run}", Exchange("billing.events", type="topic", durable=True),
                      routing_key="probe_happened", durable=False, auto_delete=True)
        queue(conn.channel()).declare()
        expected = _insert_events(engine, 300, run)
        relays = [OutboxRelay(engine, "billing", config["AMQP_URI"]) for _ in range(2)]
        for relay in relays:
            relay.batch = 7  # small batches so both relays compete for rows
        threads = [eventlet.spawn(relay.run) for relay in relays]

        def unsent() -> int:
            with engine.connect() as c:
                return c.execute(select(func.count()).where(outbox_events.c.correlation_id == run,
                                                            outbox_events.c.sent_at.is_(None))).scalar_one()

        wait_until(lambda: unsent() == 0, timeout=30, message="the outbox to drain")
        for relay in relays:
            relay.stop()
        for thread in threads:
            thread.wait()

        received: list[str] = []
        bound = queue(conn.channel())
        while (message := bound.get(no_ack=True)) is not None:
            received.append(json.loads(message.body)["event_id"])
    assert len(received) == len(expected), "an event was published twice or not at all"
    assert set(received) == expected
    assert all(r.published_total > 0 for r in relays), "both relays should have taken part"
    engine.dispose()


def test_an_event_is_not_published_when_its_transaction_rolls_back(platform_config):
    from sqlalchemy.orm import Session

    from platform_kit.db import UnitOfWork

    engine = create_engine(config["PROJECT_DATABASE_URL"])
    order_id = f"rollback-{uuid.uuid4()}"
    try:
        with Session(engine) as session, session.begin():
            uow = UnitOfWork(session, "project")
            uow.emit("project_created", {"project_id": "p", "order_id": order_id, "product_id": "x",
                                         "vendor_id": "v", "customer_id": "c", "template_id": "t",
                                         "template_version": 1})
            raise RuntimeError("the business change failed")
    except RuntimeError:
        pass
    with engine.connect() as conn:
        rows = conn.execute(select(outbox_events).where(
            outbox_events.c.envelope["data"]["order_id"].astext == order_id)).all()
    assert rows == []
    engine.dispose()
