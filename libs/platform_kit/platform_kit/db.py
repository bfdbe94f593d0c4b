"""Database access for a service: a unit of work that commits the change and its events together.

``Database`` is a nameko DependencyProvider declared with the service's repositories::

    db = Database("PROJECT_DATABASE_URL", repositories={"projects": ProjectRepository})

Each worker gets a small ``Db`` handle; a use case runs inside ``with self.db.unit_of_work() as
uow:``, reaches its aggregates through the repositories (``uow.projects``) and ends with
``uow.commit()``: everything it wrote (rows, outbox events, processed-event marks, deadlines)
commits together. Whatever was not committed when the block ends is rolled back, so a handler
that raises writes nothing, and a read-only use case simply never commits. A refusal that must
still leave a record (an audit row, a failed log-in count) writes it and commits on purpose
before raising. After a commit that emitted events the outbox relay is woken, so events leave
within milliseconds, not at the next poll.
"""
from __future__ import annotations

import logging
import os
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

from nameko import config
from nameko.extensions import DependencyProvider
from sqlalchemy import create_engine, delete, event, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from platform_kit import contracts
from platform_kit.clock import isoformat, utcnow
from platform_kit.logs import current_correlation_id
from platform_kit.tables import deadlines, outbox_events, processed_events

log = logging.getLogger(__name__)
DEADLINE_BATCH = 1000


def pool_setting(name: str, default: int) -> int:
    """``DB_POOL_SIZE`` / ``DB_MAX_OVERFLOW`` from the service's config or the environment: how many
    connections one process keeps, and how many more it may open at a peak (docs/operations.md)."""
    value = config.get(name) or os.environ.get(name)
    return int(value) if value not in (None, "") else default


def make_engine(url: str, *, pool_size: int = 10, connect_timeout: float = 5,
                statement_timeout_ms: int = 30_000, max_overflow: int | None = None) -> Engine:
    """An engine whose connections yield to other greenthreads (psycogreen) when eventlet runs,
    and whose every operation is bounded: connecting waits at most ``connect_timeout`` seconds, a
    statement (lock waits included) at most ``statement_timeout_ms``, and TCP keepalives find a
    peer that vanished. Exceeding a bound is a transient failure (platform_kit.faults)."""
    _make_psycopg_green()
    overflow = pool_size if max_overflow is None else max_overflow
    engine = create_engine(url, pool_size=pool_size, max_overflow=overflow, pool_recycle=1800,
                           pool_timeout=connect_timeout * 2, connect_args={
                               "connect_timeout": max(int(connect_timeout), 1),
                               "options": f"-c statement_timeout={int(statement_timeout_ms)}",
                               "keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10,
                               "keepalives_count": 3})
    _ping_after_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


# A pooled connection is pinged before use only when it sat idle this long. SQLAlchemy's
# pool_pre_ping pinged on every checkout: one more round trip per unit of work, up to 30 % of a
# busy consumer's time in make bench's profiles. A connection used moments ago is alive or its
# failure is a disconnect SQLAlchemy sees on the statement (it then invalidates the pool, and the
# failure is transient: the call or the event is retried), exactly as a ping failing mid-burst.
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection, record) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return  # just connected, or just used
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("select 1")
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error as exc:
            # the pool drops this connection and checks out another (a new one if need be)
            raise DisconnectionError(f"a pooled connection idle for {idle_seconds:g}s+ is dead: {exc}") from exc


def _make_psycopg_green() -> None:
    try:
        from eventlet import patcher
    except ImportError:  # pragma: no cover - eventlet is always installed with nameko
        return
    if patcher.is_monkey_patched("socket"):
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()


Repositories = Mapping[str, Callable[[Session], object]]


class UnitOfWork:
    """One transaction: the service's repositories plus the kernel's outbox, inbox and deadlines.

    ``session`` is for repositories; handlers speak to repositories and to the methods below.
    """

    def __init__(self, session: Session, source: str, repositories: Repositories | None = None):
        self.session = session
        self.source = source
        self.emitted: list[dict] = []       # emitted in the transaction now open
        self.published: list[dict] = []     # committed, on their way out through the relay
        self.commits = 0
        self._deadlines: dict[tuple[str, str], dict | None] = {}
        self._outbox: list[dict] = []      # outbox rows of this transaction, written at commit
        for name, factory in (repositories or {}).items():
            setattr(self, name, factory(session))

    def commit(self) -> None:
        self._write_outbox()
        self._write_deadlines()
        self.session.commit()
        self.commits += 1
        self.published.extend(self.emitted)
        self.emitted = []

    def rollback(self) -> None:
        self.session.rollback()
        self.emitted = []
        self._outbox = []
        self._deadlines = {}

    def emit(self, event_type: str, data: dict, *, occurred_at: datetime | None = None) -> dict:
        """Write an event to the outbox in this transaction; it is published after commit.

        The rows of a transaction are inserted together when it commits, in one statement (one
        round trip, not one per event), in the order they were emitted."""
        contract = contracts.contract(event_type)
        if contract.source != self.source:
            raise ValueError(f"{self.source} may not emit {event_type!r}: it belongs to {contract.source}")
        envelope = {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "version": contract.version,
            "source": self.source,
            "occurred_at": isoformat(occurred_at or utcnow()),
            "correlation_id": current_correlation_id(),
            "data": contracts.validate_data(event_type, data),
        }
        self._outbox.append({"event_id": envelope["event_id"], "event_type": event_type, "version": contract.version,
                             "correlation_id": envelope["correlation_id"], "envelope": envelope})
        self.emitted.append(envelope)
        return envelope

    def claim_event(self, event: dict, handler: str) -> bool:
        """Record that ``handler`` applies ``event`` in this transaction.

        Returns False when it was applied before: the caller then does nothing, so a redelivered
        event has exactly one effect. Two concurrent deliveries serialise on the primary key.
        """
        result = self.session.execute(
            pg_insert(processed_events)
            .values(event_id=event["event_id"], handler=handler)
            .on_conflict_do_nothing()
        )
        return result.rowcount == 1

    def schedule(self, kind: str, key: str, due_at: datetime, payload: dict | None = None) -> None:
        """Set (or move) the durable deadline ``kind``/``key``; it fires once at ``due_at``.

        Deadlines are written when the unit of work commits, all in one statement per batch, so a
        use case that moves thousands (a calendar change reaching every open case) costs a few
        round trips, not one per deadline. The last word on a key within the unit of work wins.
        """
        if due_at.tzinfo is None:
            raise ValueError("deadline due_at must be timezone-aware")
        self._deadlines[(kind, key)] = {"kind": kind, "key": key, "due_at": due_at, "payload": payload or {},
                                        "correlation_id": current_correlation_id()}

    def cancel_deadline(self, kind: str, key: str) -> None:
        self._deadlines[(kind, key)] = None

    def _write_outbox(self) -> None:
        rows, self._outbox = self._outbox, []
        if rows:
            self.session.execute(outbox_events.insert(), rows)  # psycopg2: one multi-row INSERT

    def _write_deadlines(self) -> None:
        pending, self._deadlines = self._deadlines, {}
        upserts = [row for row in pending.values() if row is not None]
        cancels = [key for key, row in pending.items() if row is None]
        if upserts:
            # one statement with many parameter sets: SQLAlchemy sends it as multi-row VALUES pages
            # (insertmanyvalues) from a statement compiled once; building a .values(rows) statement
            # compiled every row's bind parameters anew, most of the time of a large reschedule
            stmt = pg_insert(deadlines)
            stmt = stmt.on_conflict_do_update(
                constraint="uq_deadlines_kind_key",
                set_={"due_at": stmt.excluded.due_at, "payload": stmt.excluded.payload,
                      "correlation_id": stmt.excluded.correlation_id,
                      "attempts": 0, "locked_until": None, "last_error": None},
            )
            for start in range(0, len(upserts), DEADLINE_BATCH * 10):
                self.session.execute(stmt, upserts[start:start + DEADLINE_BATCH * 10])
        for start in range(0, len(cancels), DEADLINE_BATCH):
            batch = cancels[start:start + DEADLINE_BATCH]
            self.session.execute(delete(deadlines).where(tuple_(deadlines.c.kind, deadlines.c.key).in_(batch)))


class Db:
    """What a worker sees: a way to open units of work."""

    def __init__(self, provider: Database, worker_ctx=None):
        self._provider = provider
        self._worker_ctx = worker_ctx

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """A unit of work; what is not committed by ``uow.commit()`` when the block ends is rolled back."""
        session = self._provider.sessionmaker()
        uow = UnitOfWork(session, self._provider.source, self._provider.repositories)
        try:
            yield uow
        finally:
            try:
                session.rollback()
            finally:
                session.close()
        if uow.commits:
            self._provider.committed_by(self._worker_ctx)
        if uow.published:
            self._provider.wake_relay()

    def ping(self) -> None:
        """One round trip to the database (readiness)."""
        with self._provider.engine.connect() as conn:
            conn.execute(text("select 1"))


class Database(DependencyProvider):
    """The service's own PostgreSQL database, read from config key ``url_key``.

    With ``relay_events`` (the default) it also runs the outbox relay of this service; every
    replica runs one and ``FOR UPDATE SKIP LOCKED`` keeps them from publishing a row twice.
    """

    def __init__(self, url_key: str, *, repositories: Repositories | None = None, relay_events: bool = True,
                 pool_size: int = 10):
        self.url_key = url_key
        self.repositories = dict(repositories or {})
        self.relay_events = relay_events
        self.pool_size = pool_size
        self.engine: Engine | None = None
        self.relay = None
        self._committed: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @property
    def source(self) -> str:
        return self.container.service_name

    def setup(self) -> None:
        url = config.get(self.url_key)
        if not url:
            raise RuntimeError(f"configuration key {self.url_key} (the database URL) is not set")
        pool_size = pool_setting("DB_POOL_SIZE", self.pool_size)
        self.engine = make_engine(url, pool_size=pool_size, max_overflow=pool_setting("DB_MAX_OVERFLOW", pool_size),
                                  connect_timeout=float(config.get("DB_CONNECT_TIMEOUT_SECONDS", 5)),
                                  statement_timeout_ms=int(config.get("DB_STATEMENT_TIMEOUT_MS", 30_000)))
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)
        if self.relay_events:
            from platform_kit.outbox import KEEP_HOURS, KEEP_MARKS_DAYS, OutboxRelay

            self.relay = OutboxRelay(self.engine, self.source, config["AMQP_URI"],
                                     keep_hours=float(config.get("OUTBOX_KEEP_HOURS", KEEP_HOURS)),
                                     keep_marks_days=float(config.get("PROCESSED_EVENTS_KEEP_DAYS", KEEP_MARKS_DAYS)))

    def start(self) -> None:
        if self.relay:
            self.container.spawn_managed_thread(self.relay.run, identifier=f"{self.source}.outbox_relay")

    def stop(self) -> None:
        if self.relay:
            self.relay.stop()
        if self.engine is not None:
            self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def wake_relay(self) -> None:
        if self.relay:
            self.relay.wake()

    def get_dependency(self, worker_ctx) -> Db:
        return Db(self, worker_ctx)

    def committed_by(self, worker_ctx) -> None:
        if worker_ctx is not None:
            self._committed[worker_ctx] = True

    def committed_in(self, worker_ctx) -> bool:
        """Whether a unit of work of this worker committed (a retry would then repeat an effect)."""
        return self._committed.get(worker_ctx, False)

    def worker_teardown(self, worker_ctx) -> None:
        self._committed.pop(worker_ctx, None)



