"""The outbox relay: publishes committed events to the service's nameko event exchange.

Rows are taken ``FOR UPDATE SKIP LOCKED`` in commit order, published with publisher confirms,
and marked sent in the same transaction that locked them. Two relays (two replicas) never hold
the same row, so a row is published once; if the process dies after the broker confirmed but
before the mark committed, the row is published again and the consumers' processed-event
table absorbs the duplicate (at-least-once delivery, exactly-once effect).

Events are published ``mandatory``: the migrator declares a route for every event a service
publishes (platform_kit.topology), so an event the broker cannot route means the broker lost its
definitions. Such an event is not marked sent: it stays in the outbox, is counted in
``platform_outbox_unroutable_total`` and logged as an error, and is tried again with back-off
(each row on its own: one unroutable event never holds up the others) until the topology is back.
"""
from __future__ import annotations

import logging
import threading
import time

from nameko.amqp.publish import get_producer
from nameko.constants import PERSISTENT
from nameko.standalone.events import get_event_exchange
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from platform_kit import metrics
from platform_kit.clock import utcnow

log = logging.getLogger(__name__)

BATCH = 200
POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0


def publish_envelope(producer, exchange, envelope: dict) -> None:
    headers = {}
    if envelope.get("correlation_id"):
        # nameko turns ``nameko.*`` headers into the handling worker's context data
        headers["nameko.correlation_id"] = envelope["correlation_id"]
    producer.publish(
        envelope,
        exchange=exchange,
        routing_key=envelope["event_type"],
        headers=headers,
        serializer="json",
        delivery_mode=PERSISTENT,
        declare=[exchange],
        retry=True,
        retry_policy={"max_retries": 3},
        mandatory=True,
    )


class Unroutable(Exception):
    """The broker has no queue for this event: its topology is missing (run the migrator)."""


def is_unroutable(exc: BaseException) -> bool:
    return "NO_ROUTE" in str(exc)


class OutboxRelay:
    def __init__(self, engine: Engine, source: str, amqp_uri: str):
        self.engine = engine
        self.source = source
        self.amqp_uri = amqp_uri
        self.exchange = get_event_exchange(source)
        self._wake = threading.Event()
        self._running = False
        self.batch = BATCH
        self.published_total = 0
        self._held_back: dict[int, tuple[float, int]] = {}  # seq -> (retry after, failures)

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._running = False
        self._wake.set()

    def run(self) -> None:
        self._running = True
        backoff = POLL_SECONDS
        while self._running:
            try:
                sent = self.relay_once()
                backoff = POLL_SECONDS
            except Exception:
                log.exception("outbox relay of %s failed; retrying in %.1fs", self.source, backoff)
                sent = 0
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            if sent >= self.batch:
                continue
            self._wake.wait(timeout=backoff)
            self._wake.clear()

    def relay_once(self) -> int:
        """Publish one batch of unsent events; return how many were published."""
        from platform_kit.tables import outbox_events as t

        now = time.monotonic()
        waiting = [seq for seq, (after, _) in self._held_back.items() if after > now]
        with Session(self.engine) as session, session.begin():
            query = select(t.c.seq, t.c.envelope).where(t.c.sent_at.is_(None))
            if waiting:
                query = query.where(t.c.seq.not_in(waiting))
            rows = session.execute(
                query.order_by(t.c.seq).limit(self.batch).with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            sent: list[int] = []
            try:
                with get_producer(self.amqp_uri) as producer:
                    for row in rows:
                        try:
                            publish_envelope(producer, self.exchange, row.envelope)
                        except Exception as exc:
                            if not is_unroutable(exc):
                                raise
                            self._hold_back(session, row, exc)
                            continue
                        sent.append(row.seq)
                        self._held_back.pop(row.seq, None)
            except Exception as exc:
                failed = next(r for r in rows if r.seq not in sent and r.seq not in self._held_back)
                session.execute(update(t).where(t.c.seq == failed.seq).values(
                    attempts=t.c.attempts + 1, last_error=repr(exc)[:2000]))
                log.warning("publishing outbox event %s failed: %r", failed.seq, exc)
            if sent:
                session.execute(update(t).where(t.c.seq.in_(sent)).values(sent_at=utcnow()))
            metrics.OUTBOX_PUBLISHED.labels(self.source).inc(len(sent))
        self.published_total += len(sent)
        return len(sent)

    def _hold_back(self, session: Session, row, exc: Exception) -> None:
        from platform_kit.tables import outbox_events as t

        failures = self._held_back.get(row.seq, (0.0, 0))[1] + 1
        delay = min(POLL_SECONDS * 2 ** failures, MAX_BACKOFF_SECONDS)
        self._held_back[row.seq] = (time.monotonic() + delay, failures)
        event_type = row.envelope.get("event_type")
        session.execute(update(t).where(t.c.seq == row.seq).values(
            attempts=t.c.attempts + 1,
            last_error=f"unroutable: no queue is bound for {event_type!r} on {self.exchange.name} ({exc})"[:2000]))
        metrics.OUTBOX_UNROUTABLE.labels(self.source, event_type).inc()
        log.error("event %s (%s) cannot be routed: the broker has no queue for it; it stays in the outbox "
                  "and is retried in %.0fs. Run the migrator (python -m platform_kit.migrate --all) to declare "
                  "the topology.", row.envelope.get("event_id"), event_type, delay)
