"""The outbox relay: publishes committed events to the service's nameko event exchange.

Rows are taken ``FOR UPDATE SKIP LOCKED`` in commit order, published with publisher confirms,
and marked sent in the same transaction that locked them. Two relays (two replicas) never hold
the same row, so a row is published once; if the process dies after the broker confirmed but
before the mark committed, the row is published again and the consumers' processed-event
table absorbs the duplicate (at-least-once delivery, exactly-once effect).
"""
from __future__ import annotations

import logging
import threading

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
        mandatory=False,
    )


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

        with Session(self.engine) as session, session.begin():
            rows = session.execute(
                select(t.c.seq, t.c.envelope)
                .where(t.c.sent_at.is_(None))
                .order_by(t.c.seq)
                .limit(self.batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            sent: list[int] = []
            try:
                with get_producer(self.amqp_uri) as producer:
                    for row in rows:
                        publish_envelope(producer, self.exchange, row.envelope)
                        sent.append(row.seq)
            except Exception as exc:
                failed = rows[len(sent)].seq
                session.execute(update(t).where(t.c.seq == failed).values(
                    attempts=t.c.attempts + 1, last_error=repr(exc)[:2000]))
                log.warning("publishing outbox event %s failed: %r", failed, exc)
            if sent:
                session.execute(update(t).where(t.c.seq.in_(sent)).values(sent_at=utcnow()))
            metrics.OUTBOX_PUBLISHED.labels(self.source).inc(len(sent))
        self.published_total += len(sent)
        return len(sent)
