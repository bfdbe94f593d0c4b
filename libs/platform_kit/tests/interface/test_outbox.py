"""The transactional outbox: committed events are published exactly once, also with two relays."""
import json
import socket
import uuid
from datetime import timedelta

import eventlet
import pytest
from kombu import Connection, Exchange, Queue
from nameko import config
from sqlalchemy import create_engine, func, select

from platform_kit import outbox
from platform_kit.clock import utcnow
from platform_kit.outbox import OutboxRelay
from platform_kit.tables import outbox_events, processed_events


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


def _queue(conn, run: str, **arguments) -> Queue:
    queue = Queue(f"probe-{run}", Exchange("billing.events", type="topic", durable=True), routing_key="probe_happened",
                  durable=False, auto_delete=True, queue_arguments=arguments or None)
    queue(conn.channel()).declare()
    return queue


def _drain(conn, queue: Queue) -> list[str]:
    received = []
    bound = queue(conn.channel())
    while (message := bound.get(no_ack=True)) is not None:
        received.append(json.loads(message.body)["event_id"])
    return received


def _unsent(engine, run: str) -> list:
    with engine.connect() as c:
        return c.execute(select(outbox_events).where(outbox_events.c.correlation_id == run,
                                                     outbox_events.c.sent_at.is_(None))
                         .order_by(outbox_events.c.seq)).all()


def test_a_batch_is_published_with_one_wait_for_confirms_in_commit_order(platform_config):
    engine = create_engine(config["BILLING_DATABASE_URL"])
    run = uuid.uuid4().hex
    try:
        with Connection(config["AMQP_URI"]) as conn:
            queue = _queue(conn, run)
            expected = _insert_events(engine, 50, run)
            with engine.connect() as c:
                in_order = list(c.execute(select(outbox_events.c.event_id).where(
                    outbox_events.c.correlation_id == run).order_by(outbox_events.c.seq)).scalars())
            relay = OutboxRelay(engine, "billing", config["AMQP_URI"])
            published = 0
            while _unsent(engine, run):  # other tests' rows may share the batch
                published += relay.relay_once()
            received = _drain(conn, queue)
        assert set(received) == expected and received == in_order, "every event once, in commit order"
        assert relay.publisher.confirm_waits <= published / 50 + 1, "one wait for confirms per batch, not per event"
        relay.publisher.close()
    finally:
        engine.dispose()


def test_a_nacked_event_stays_unsent_with_its_reason_and_goes_out_on_the_next_batch(platform_config):
    """A queue that refuses messages when full makes the broker nack them (reject-publish): the
    relay marks sent only what the broker took, and publishes the rest again later."""
    engine = create_engine(config["BILLING_DATABASE_URL"])
    run = uuid.uuid4().hex
    try:
        with Connection(config["AMQP_URI"]) as conn:
            queue = _queue(conn, run, **{"x-max-length": 2, "x-overflow": "reject-publish"})
            expected = _insert_events(engine, 5, run)
            relay = OutboxRelay(engine, "billing", config["AMQP_URI"])
            assert relay.relay_once() >= 2
            left = _unsent(engine, run)
            assert len(left) == 3, "the two the queue took are sent; the three it refused are not"
            assert all(row.attempts == 1 and "nacked" in row.last_error for row in left)
            assert relay.relay_once() == 0, "refused events are held back, not hammered at the broker"
            received = _drain(conn, queue)
            while _unsent(engine, run):
                relay._held_back.clear()  # skip the back-off in the test
                relay.relay_once()
                received += _drain(conn, queue)
        assert sorted(received) == sorted(expected), "each event arrived exactly once"
        relay.publisher.close()
    finally:
        engine.dispose()


def test_a_relay_whose_connection_died_between_batches_publishes_on_a_new_one(platform_config):
    engine = create_engine(config["BILLING_DATABASE_URL"])
    run = uuid.uuid4().hex
    try:
        with Connection(config["AMQP_URI"]) as conn:
            queue = _queue(conn, run)
            relay = OutboxRelay(engine, "billing", config["AMQP_URI"])
            first = _insert_events(engine, 3, run)
            while _unsent(engine, run):
                relay.relay_once()
            relay.publisher.connection.connection.transport.sock.shutdown(socket.SHUT_RDWR)  # the broker went away
            second = _insert_events(engine, 3, run)
            while _unsent(engine, run):
                assert relay.relay_once() > 0, "published at once, not held back by a failure"
            received = _drain(conn, queue)
        assert sorted(received) == sorted(first | second)
        relay.publisher.close()
    finally:
        engine.dispose()


def test_the_events_of_a_transaction_are_written_at_commit_in_one_statement_in_emit_order(platform_config):
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from platform_kit.db import UnitOfWork

    engine = create_engine(config["PROJECT_DATABASE_URL"])
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *a: statements.append(sql))
    orders = [f"batch-{uuid.uuid4()}" for _ in range(3)]
    try:
        with Session(engine) as session:
            uow = UnitOfWork(session, "project")
            for order_id in orders:
                uow.emit("project_created", {"project_id": "p", "order_id": order_id, "product_id": "x",
                                             "vendor_id": "v", "customer_id": "c", "template_id": "t",
                                             "template_version": 1})
            assert not [s for s in statements if "outbox_events" in s], "nothing is written before the commit"
            uow.commit()
        assert len([s for s in statements if "INSERT INTO outbox_events" in s]) == 1
        with engine.connect() as conn:
            written = conn.execute(select(outbox_events.c.envelope["data"]["order_id"].astext).where(
                outbox_events.c.envelope["data"]["order_id"].astext.in_(orders)).order_by(outbox_events.c.seq)
            ).scalars().all()
        assert written == orders
        assert [e["data"]["order_id"] for e in uow.published] == orders
    finally:
        engine.dispose()


@pytest.fixture
def kernel_tables_alone():
    """An engine on a database of its own holding only the kernel's tables (so the prune tests see
    only their own rows)."""
    from platform_kit.migrate import drop_database, ensure_database
    from platform_kit.tables import kernel_metadata
    from platform_kit.testing import TEST_PREFIX

    url = f"postgresql://postgres@127.0.0.1:5432/{TEST_PREFIX}kernel_prune"
    drop_database(url)
    ensure_database(url)
    engine = create_engine(url)
    kernel_metadata.create_all(engine)
    yield engine
    engine.dispose()
    drop_database(url)


def test_sent_events_are_pruned_after_the_kept_period_and_unsent_ones_never(kernel_tables_alone, monkeypatch):
    """The relay deletes what it sent before OUTBOX_KEEP_HOURS, window by window of the primary key,
    and keeps everything unsent (however old) and everything sent inside the period."""
    engine = kernel_tables_alone
    now = utcnow()
    days_ago = lambda d: now - timedelta(days=d)  # noqa: E731
    # written in time order, as the platform writes them: (created, sent, what prune must do)
    rows = [(days_ago(9), days_ago(9), "pruned")] * 7 + [
        (days_ago(8), None, "kept: never sent"),
        (days_ago(6), days_ago(6), "pruned"),
        (days_ago(5), days_ago(1), "kept: sent inside the period"),
        (days_ago(4), days_ago(4), "pruned"),
        (days_ago(1), days_ago(1), "kept: inside the period"),
        (now, None, "kept: new"),
    ]
    with engine.begin() as conn:
        for n, (created, sent, _) in enumerate(rows):
            conn.execute(outbox_events.insert().values(
                event_id=str(uuid.uuid4()), event_type="probe_happened", version=1, envelope={"n": n},
                created_at=created, sent_at=sent))
    monkeypatch.setattr(outbox, "PRUNE_WINDOW", 3)  # several windows, one of them mixed
    relay = OutboxRelay(engine, "billing", "memory://", keep_hours=72)
    try:
        assert relay.prune(now) == sum(1 for *_, fate in rows if fate == "pruned")
        with engine.connect() as conn:
            left = sorted(r.envelope["n"] for r in conn.execute(select(outbox_events.c.envelope)))
        assert left == [n for n, (*_, fate) in enumerate(rows) if fate.startswith("kept")]
        assert relay.prune(now) == 0, "a second pass finds nothing more"
    finally:
        relay.publisher.close()


def test_processed_event_marks_are_pruned_after_their_kept_days(kernel_tables_alone, monkeypatch):
    engine = kernel_tables_alone
    now = utcnow()
    marks = {(str(uuid.uuid4()), handler): now - timedelta(days=days)
             for days in (45, 31, 31, 30.5, 29, 1, 0) for handler in ("project.on_a", "project.on_b")}
    with engine.begin() as conn:
        conn.execute(processed_events.insert(), [{"event_id": e, "handler": h, "processed_at": at}
                                                 for (e, h), at in marks.items()])
    monkeypatch.setattr(outbox, "PRUNE_WINDOW", 3)  # several batches, the last one short
    relay = OutboxRelay(engine, "project", "memory://", keep_marks_days=30)
    try:
        old = {key for key, at in marks.items() if at < now - timedelta(days=30)}
        assert relay.prune_marks(now) == len(old) == 8
        with engine.connect() as conn:
            left = {(r.event_id, r.handler) for r in conn.execute(select(processed_events))}
        assert left == set(marks) - old
        assert relay.prune_marks(now) == 0
    finally:
        relay.publisher.close()
