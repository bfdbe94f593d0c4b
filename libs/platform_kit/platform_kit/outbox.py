"""The outbox relay: publishes committed events to the service's nameko event exchange.

Rows are taken ``FOR UPDATE SKIP LOCKED`` in commit order, published with publisher confirms,
and marked sent in the same transaction that locked them. Two relays (two replicas) never hold
the same row, so a row is published once; if the process dies after the broker confirmed but
before the mark committed, the row is published again and the consumers' processed-event
table absorbs the duplicate (at-least-once delivery, exactly-once effect).

A batch is published on one confirm-mode channel and the broker's confirms are awaited once for
the whole batch (not one round trip per event): a row is marked sent only when the broker acked
it and did not return it. A row the broker nacked (a queue refused it) stays unsent with its
reason and is published again with back-off; when the connection breaks or the confirms do not
come within ``CONFIRM_TIMEOUT_SECONDS``, the rows without an answer stay unsent and are published
again (the consumers absorb a duplicate).

Events are published ``mandatory``: the migrator declares a route for every event a service
publishes (platform_kit.topology), so an event the broker cannot route means the broker lost its
definitions. Such an event is not marked sent: it stays in the outbox, is counted in
``platform_outbox_unroutable_total`` and logged as an error, and is tried again with back-off
(each row on its own: one unroutable event never holds up the others) until the topology is back.
The audit queue routes every event, so ``mandatory`` cannot see one subscriber's queue missing
(deleted by hand, lost by a broker): before each batch the relay checks that every queue its
events must reach exists (``platform_kit.topology.QueueCheck``). An event with a missing queue is
not published and not marked sent; it is held like an unroutable one, logged as an error,
counted (``platform_outbox_held_for_missing_queue_total``), and the queue is flagged
(``platform_outbox_queue_missing`` = 1: the alert rule in docs/operations.md) until it is back
(the subscriber declares it when it starts, the migrator whenever it runs).

Sent rows are kept ``OUTBOX_KEEP_HOURS`` (72, a config key) for operators to look at, then the
relay deletes them, every ``PRUNE_EVERY_SECONDS``, oldest first in windows of the primary key, so
the table and its unsent-rows index stay the size of a few days of traffic: the relay's poll
otherwise walks ever more dead index entries. An unsent row is never deleted, however old. In the
same pass it deletes the consumers' ``processed_events`` marks older than
``PROCESSED_EVENTS_KEEP_DAYS`` (30): an event is redelivered within minutes (a requeue, a relay
that died between the broker's confirm and its mark), and a handler that failed wrote no mark, so
a dead-lettered event replayed later is applied once either way.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kombu import Connection, Producer
from nameko.constants import PERSISTENT
from nameko.standalone.events import get_event_exchange
from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from platform_kit import metrics
from platform_kit.clock import utcnow
from platform_kit.topology import QueueCheck

log = logging.getLogger(__name__)

BATCH = 200
POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
CONFIRM_TIMEOUT_SECONDS = 30.0
KEEP_HOURS = 72.0
KEEP_MARKS_DAYS = 30.0
PRUNE_EVERY_SECONDS = 300.0
PRUNE_WINDOW = 5_000          # rows of the primary key one delete looks at
PRUNE_MAX_WINDOWS = 200       # per pass: a backlog of sent rows goes over several passes


def publish_options(envelope: dict) -> dict:
    headers = {}
    if envelope.get("correlation_id"):
        # nameko turns ``nameko.*`` headers into the handling worker's context data
        headers["nameko.correlation_id"] = envelope["correlation_id"]
    return {"routing_key": envelope["event_type"], "headers": headers, "serializer": "json",
            "delivery_mode": PERSISTENT, "mandatory": True, "message_id": envelope["event_id"]}


def is_unroutable(exc: BaseException) -> bool:
    return "NO_ROUTE" in str(exc)


@dataclass
class BatchAnswer:
    """What the broker said about each event of a batch, by event id."""

    acked: set[str] = field(default_factory=set)
    nacked: set[str] = field(default_factory=set)
    returned: dict[str, str] = field(default_factory=dict)  # event id -> the broker's reason
    error: Exception | None = None  # the connection broke or the confirms did not come: the rest is unknown

    def routed(self, event_id: str) -> bool:
        return event_id in self.acked and event_id not in self.returned


class ConfirmingPublisher:
    """One connection with a confirm-mode channel: ``publish`` sends a whole batch, then waits once
    for the broker's answers (acks, nacks, and the returns of unroutable mandatory messages).

    RabbitMQ sends an unroutable mandatory message's ``basic.return`` before its ``basic.ack`` on
    the same channel, so an event acked and not returned was routed to every bound queue.
    """

    def __init__(self, amqp_uri: str, exchange, confirm_timeout: float = CONFIRM_TIMEOUT_SECONDS):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.confirm_timeout = confirm_timeout
        self.connection: Connection | None = None
        self.confirm_waits = 0  # how many times a batch waited for the broker (tests: once per batch)
        self._tag = 0  # the channel's last delivery tag
        self._waiting: dict[int, str] = {}  # delivery tag -> event id, published and not answered
        self._answer = BatchAnswer()

    def _open(self) -> None:
        self.connection = Connection(self.amqp_uri, connect_timeout=5)
        channel = self.connection.channel()
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        channel.events["basic_return"].add(self._on_return)
        self.exchange(channel).declare()
        self.producer = Producer(channel, exchange=self.exchange)
        self._tag = 0

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # already broken: there is nothing left to close
                log.debug("closing the outbox relay's broker connection failed", exc_info=True)

    def _answered(self, tag: int, multiple: bool, into: set[str]) -> None:
        for t in [t for t in self._waiting if t <= tag] if multiple else [tag]:
            event_id = self._waiting.pop(t, None)
            if event_id is not None:
                into.add(event_id)

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._answered(tag, multiple, self._answer.acked)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._answered(tag, multiple, self._answer.nacked)

    def _on_return(self, exc, exchange, routing_key, message) -> None:
        self._answer.returned[message.properties.get("message_id")] = str(exc)

    def publish(self, envelopes: list[dict]) -> BatchAnswer:
        """Publish the envelopes in order and wait for every confirm; never raises: an error ends
        the batch and is in the answer, with what the broker had answered until then."""
        self._answer, self._waiting = BatchAnswer(), {}
        try:
            if self.connection is None:
                self._open()
            for envelope in envelopes:
                self.producer.publish(envelope, exchange=self.exchange, **publish_options(envelope))
                self._tag += 1
                self._waiting[self._tag] = envelope["event_id"]
            self.confirm_waits += 1
            deadline = time.monotonic() + self.confirm_timeout
            while self._waiting:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"the broker did not confirm {len(self._waiting)} events within "
                                       f"{self.confirm_timeout:.0f}s")
                self.connection.drain_events(timeout=remaining)
        except Exception as exc:
            self._answer.error = exc
            self.close()  # a channel in an unknown state is never reused
        return self._answer


class OutboxRelay:
    def __init__(self, engine: Engine, source: str, amqp_uri: str, keep_hours: float = KEEP_HOURS,
                 keep_marks_days: float = KEEP_MARKS_DAYS, queue_check: QueueCheck | None = None):
        self.engine = engine
        self.queue_check = queue_check if queue_check is not None else QueueCheck(source, amqp_uri)
        self.keep = timedelta(hours=keep_hours)
        self.keep_marks = timedelta(days=keep_marks_days)
        self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
        self.source = source
        self.amqp_uri = amqp_uri
        self.exchange = get_event_exchange(source)
        self.publisher = ConfirmingPublisher(amqp_uri, self.exchange)
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
        try:
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
                if time.monotonic() >= self._next_prune:
                    self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                    try:
                        self.prune()
                        self.prune_marks()
                    except Exception:
                        log.exception("pruning the sent events of %s failed; tried again later", self.source)
                self._wake.wait(timeout=backoff)
                self._wake.clear()
        finally:
            self.publisher.close()
            self.queue_check.close()

    def _publish(self, envelopes: list[dict]) -> BatchAnswer:
        reused = self.publisher.connection is not None
        answer = self.publisher.publish(envelopes)
        if answer.error is not None and reused and not (answer.acked or answer.nacked or answer.returned):
            # the connection kept since the last batch had died meanwhile (a broker restart, an idle
            # timeout): nothing was confirmed, so publish the batch again on a fresh connection
            answer = self.publisher.publish(envelopes)
        return answer

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
            rows = self._without_missing_queues(session, rows)
            if not rows:
                return 0
            answer = self._publish([row.envelope for row in rows])
            sent: list[int] = []
            unanswered = None
            for row in rows:
                event_id = row.envelope["event_id"]
                if answer.routed(event_id):
                    sent.append(row.seq)
                    self._held_back.pop(row.seq, None)
                elif event_id in answer.returned:
                    self._hold_back(session, row, answer.returned[event_id])
                elif event_id in answer.nacked:
                    self._nacked(session, row)
                elif unanswered is None:
                    unanswered = row
            if answer.error is not None and unanswered is not None:
                # the first event without an answer carries the error; the rest are simply tried again
                self._failed(session, unanswered, repr(answer.error))
            if sent:
                session.execute(update(t).where(t.c.seq.in_(sent)).values(sent_at=utcnow()))
            metrics.OUTBOX_PUBLISHED.labels(self.source).inc(len(sent))
        self.published_total += len(sent)
        return len(sent)

    def prune(self, now: datetime | None = None) -> int:
        """Delete the rows sent before the kept period; return how many. Walks the primary key from
        its oldest row in windows of ``PRUNE_WINDOW`` (each an index range, one short transaction)
        and stops at the first window that starts inside the kept period: seq follows the order
        rows were written, so everything after it is younger."""
        from platform_kit.tables import outbox_events as t

        cutoff = (now or utcnow()) - self.keep
        deleted = 0
        with self.engine.connect() as conn:
            low = conn.execute(select(func.min(t.c.seq))).scalar()
        for _ in range(PRUNE_MAX_WINDOWS):
            if low is None:
                break
            with self.engine.begin() as conn:
                first = conn.execute(select(t.c.created_at).where(t.c.seq >= low)
                                     .order_by(t.c.seq).limit(1)).scalar()
                if first is None or first >= cutoff:
                    break
                deleted += conn.execute(delete(t).where(
                    t.c.seq >= low, t.c.seq < low + PRUNE_WINDOW,
                    t.c.sent_at.is_not(None), t.c.sent_at < cutoff)).rowcount
                low = conn.execute(select(func.min(t.c.seq)).where(t.c.seq >= low + PRUNE_WINDOW)).scalar()
        if deleted:
            metrics.OUTBOX_PRUNED.labels(self.source).inc(deleted)
            log.info("pruned %d events of %s sent before %s", deleted, self.source, cutoff.isoformat())
        return deleted

    def prune_marks(self, now: datetime | None = None) -> int:
        """Delete the processed-event marks older than the kept period, a batch per short transaction
        (the BRIN index on processed_at finds them); return how many."""
        from platform_kit.tables import processed_events as p

        cutoff = (now or utcnow()) - self.keep_marks
        oldest = select(p.c.event_id, p.c.handler).where(p.c.processed_at < cutoff).limit(PRUNE_WINDOW)
        deleted = 0
        for _ in range(PRUNE_MAX_WINDOWS):
            with self.engine.begin() as conn:
                batch = conn.execute(delete(p).where(tuple_(p.c.event_id, p.c.handler).in_(oldest))).rowcount
            deleted += batch
            if batch < PRUNE_WINDOW:
                break
        if deleted:
            metrics.PROCESSED_MARKS_PRUNED.labels(self.source).inc(deleted)
            log.info("pruned %d processed-event marks of %s older than %s", deleted, self.source, cutoff.isoformat())
        return deleted

    def _without_missing_queues(self, session: Session, rows: list) -> list:
        """The rows whose every subscriber queue exists; the others are held (not published)."""
        missing = self.queue_check.missing(row.envelope.get("event_type") for row in rows)
        for queue in self.queue_check.checked():
            metrics.OUTBOX_QUEUE_MISSING.labels(self.source, queue).set(0 if queue not in
                                                                        self.queue_check.known_missing() else 1)
        if not missing:
            return rows
        from platform_kit.tables import outbox_events as t

        kept = []
        for row in rows:
            event_type = row.envelope.get("event_type")
            if event_type not in missing:
                kept.append(row)
                continue
            delay = self._back_off(row)
            queues = ", ".join(missing[event_type])
            session.execute(update(t).where(t.c.seq == row.seq).values(
                attempts=t.c.attempts + 1,
                last_error=f"subscriber queue missing: {queues}; not sent, retried in {delay:.0f}s"[:2000]))
            metrics.OUTBOX_HELD_FOR_QUEUE.labels(self.source, event_type).inc()
            log.error("event %s (%s) is not sent: its subscriber queue %s is missing on the broker; it stays in "
                      "the outbox and is retried in %.0fs. Start the subscriber or run the migrator "
                      "(python -m platform_kit.migrate --all) to declare it.",
                      row.envelope.get("event_id"), event_type, queues, delay)
        return kept

    def _failed(self, session: Session, row, error: str) -> None:
        from platform_kit.tables import outbox_events as t

        session.execute(update(t).where(t.c.seq == row.seq).values(attempts=t.c.attempts + 1,
                                                                   last_error=error[:2000]))
        log.warning("publishing outbox event %s (%s) failed: %s", row.seq, row.envelope.get("event_type"), error)

    def _back_off(self, row) -> float:
        """Hold this row back (each row on its own: the others go on); returns the delay."""
        failures = self._held_back.get(row.seq, (0.0, 0))[1] + 1
        delay = min(POLL_SECONDS * 2 ** failures, MAX_BACKOFF_SECONDS)
        self._held_back[row.seq] = (time.monotonic() + delay, failures)
        return delay

    def _nacked(self, session: Session, row) -> None:
        delay = self._back_off(row)
        self._failed(session, row, f"nacked: the broker did not take the event (a queue refused it, e.g. full); "
                                   f"retried in {delay:.0f}s")

    def _hold_back(self, session: Session, row, reason: str) -> None:
        from platform_kit.tables import outbox_events as t

        delay = self._back_off(row)
        event_type = row.envelope.get("event_type")
        session.execute(update(t).where(t.c.seq == row.seq).values(
            attempts=t.c.attempts + 1,
            last_error=f"unroutable: no queue is bound for {event_type!r} on {self.exchange.name} ({reason})"[:2000]))
        metrics.OUTBOX_UNROUTABLE.labels(self.source, event_type).inc()
        log.error("event %s (%s) cannot be routed: the broker has no queue for it; it stays in the outbox "
                  "and is retried in %.0fs. Run the migrator (python -m platform_kit.migrate --all) to declare "
                  "the topology.", row.envelope.get("event_id"), event_type, delay)
