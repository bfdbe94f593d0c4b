"""Faults: no event is lost without a trace, and transient failures never reach the dead-letter queue."""
import uuid

from kombu import Connection
from nameko import config
from nameko.amqp.publish import get_producer
from nameko.standalone.events import get_event_exchange
from sqlalchemy import create_engine, select

from platform_kit import dlq, topology
from platform_kit.consumer import on_event
from platform_kit.outbox import OutboxRelay
from platform_kit.tables import outbox_events
from platform_kit.testing import publish_event as publish


class Late:
    """A subscriber deployed after its publisher: its queue exists from the migration on."""

    name = "late"
    seen: list[str] = []

    @on_event("early", "thing_happened")
    def handle_thing(self, event):
        Late.seen.append(event["event_id"])


class Early:
    name = "early"


def test_an_event_published_before_its_subscriber_first_starts_waits_for_it(platform_config, container_factory,
                                                                            wait_until):
    Late.seen = []
    topology.declare(config["AMQP_URI"], Early)
    declared = topology.declare(config["AMQP_URI"], Late)  # the migrator, before any process of Late runs
    assert "evt-early-thing_happened--late.handle_thing" in declared
    event = publish("early", "thing_happened", {"n": 1})
    container = container_factory(Late)
    container.start()
    wait_until(lambda: Late.seen == [event["event_id"]], timeout=10, message="the early event")


def _outbox_row(engine, event_type: str) -> str:
    event_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(outbox_events.insert().values(
            event_id=event_id, event_type=event_type, version=1, correlation_id=None,
            envelope={"event_id": event_id, "event_type": event_type, "version": 1, "source": "lonely",
                      "occurred_at": "2026-11-21T00:00:00+00:00", "correlation_id": None, "data": {}}))
    return event_id


def test_an_unroutable_event_stays_in_the_outbox_with_its_reason_until_the_topology_is_back(platform_config):
    engine = create_engine(config["BILLING_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            conn.execute(outbox_events.delete())
        relay = OutboxRelay(engine, "lonely", config["AMQP_URI"])
        with Connection(config["AMQP_URI"]) as conn:
            get_event_exchange("lonely")(conn.channel()).declare()  # an exchange with no queue at all
        lost = _outbox_row(engine, "nobody_listens")
        assert relay.relay_once() == 0
        with engine.connect() as conn:
            row = conn.execute(select(outbox_events).where(outbox_events.c.event_id == lost)).one()
        assert row.sent_at is None and row.attempts == 1
        assert "unroutable" in row.last_error and "nobody_listens" in row.last_error

        class Lonely:
            name = "lonely"

        topology.declare(config["AMQP_URI"], Lonely)  # the migrator declares the route (its audit queue)
        relay._held_back.clear()  # skip the back-off in the test
        assert relay.relay_once() == 1
        with engine.connect() as conn:
            assert conn.execute(select(outbox_events.c.sent_at).where(outbox_events.c.event_id == lost)).scalar()
    finally:
        engine.dispose()


class Picky:
    name = "picky"
    calls = 0

    @on_event("probe", "garbled", max_attempts=2, backoff=0.05)
    def handle_garbled(self, event):
        Picky.calls += 1


def test_a_message_that_is_not_json_goes_to_the_dead_letter_queue_with_the_reason(platform_config,
                                                                                 container_factory, wait_until):
    Picky.calls = 0
    container = container_factory(Picky)
    container.start()
    exchange = get_event_exchange("probe")
    with get_producer(config["AMQP_URI"]) as producer:
        producer.publish(b"{not json", exchange=exchange, routing_key="garbled", content_type="application/json",
                         content_encoding="utf-8", declare=[exchange])
    [letter] = wait_until(lambda: dlq.list_dead_letters(config["AMQP_URI"], "picky"), timeout=10,
                          message="the garbled message in dlq.picky")
    assert "undecodable" in letter.error and Picky.calls == 0


class Patient:
    name = "patient"
    calls = 0

    @on_event("probe", "while_down", max_attempts=2, backoff=0.02)
    def handle_while_down(self, event):
        Patient.calls += 1
        if Patient.calls < 6:
            raise ConnectionError("the database is restarting")


def test_a_transient_failure_is_retried_past_max_attempts_and_never_dead_lettered(platform_config,
                                                                                 container_factory, wait_until):
    Patient.calls = 0
    container = container_factory(Patient)
    container.start()
    publish("probe", "while_down", {})
    wait_until(lambda: Patient.calls == 6, timeout=20, message="six tries, four more than max_attempts")
    assert dlq.list_dead_letters(config["AMQP_URI"], "patient") == []
