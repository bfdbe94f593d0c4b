"""Periodic jobs that run once per period across all replicas, and durable deadlines.

``@periodic(seconds)`` or ``@periodic(cron=..., timezone=...)``: APScheduler's triggers decide
the instants; every replica wakes at each, but runs the job only after claiming that instant in
Redis (``SET key NX``); instants are aligned to the wall clock, so all replicas agree on them
and exactly one of them runs each.

``@on_deadline(kind)``: the handler for deadlines that units of work set with
``uow.schedule(kind, key, due_at, payload)``. Deadlines live in the service's database, so a
restart loses none; a poller leases due rows ``FOR UPDATE SKIP LOCKED`` (one replica fires each),
and a deadline whose handler fails is retried with back-off, its lease expiring if the process
dies mid-way.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import redis
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from eventlet.event import Event
from nameko.extensions import Entrypoint, SharedExtension
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from platform_kit import metrics
from platform_kit.cache import RedisConnection
from platform_kit.clock import utcnow
from platform_kit.tables import deadlines

log = logging.getLogger(__name__)

LEASE_SECONDS = 60
POLL_SECONDS = 1.0
MAX_DEADLINE_BACKOFF = 600


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def make_trigger(interval: float | None = None, cron: str | None = None, timezone: str = "UTC") -> BaseTrigger:
    """APScheduler decides when a job is due: every ``interval`` seconds counted from the Unix epoch
    (so every replica computes the same instants), or a crontab expression in a time zone
    (``cron="0 0 * * *", timezone="Asia/Shanghai"``: midnight in China, for daily statements)."""
    if (interval is None) == (cron is None):
        raise ValueError("a periodic job takes either an interval in seconds or a cron expression")
    if interval is not None:
        if interval <= 0:
            raise ValueError("the interval must be positive")
        return IntervalTrigger(seconds=interval, start_date=EPOCH, timezone=UTC)
    return CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))


class Periodic(Entrypoint):
    """``@periodic(seconds)`` or ``@periodic(cron="0 * * * *", timezone="Asia/Shanghai")``.

    Every replica wakes at each instant the trigger names, and runs the job only after claiming
    that instant in Redis (``SET key NX``): exactly one replica runs each period. A run that
    overlaps the next instant makes that instant be skipped, never run twice at once. With Redis
    unreachable the period is skipped (logged and counted), never run by several replicas.
    """

    def __init__(self, interval: float | None = None, *, cron: str | None = None, timezone: str = "UTC",
                 name: str | None = None, **kwargs):
        self.trigger = make_trigger(interval, cron, timezone)
        self.interval = interval
        self.job_name = name
        self._stopping = threading.Event()
        super().__init__(**kwargs)

    connection = RedisConnection()

    def setup(self) -> None:
        self.job_name = self.job_name or self.method_name

    def start(self) -> None:
        self._stopping.clear()
        self.container.spawn_managed_thread(self._run, identifier=f"periodic.{self.job_name}")

    def stop(self) -> None:
        self._stopping.set()

    def kill(self) -> None:
        self.stop()

    def next_fire_time(self, now: datetime) -> datetime:
        return self.trigger.get_next_fire_time(None, now)

    def period_index(self, now: float | None = None) -> int:
        """Interval jobs: which period ``now`` (Unix seconds) falls in; replicas agree on it."""
        return math.floor((now if now is not None else time.time()) / self.interval)

    def claim(self, fire_at: datetime) -> bool:
        after = self.trigger.get_next_fire_time(fire_at, fire_at + timedelta(microseconds=1))
        ttl = max(int(((after or fire_at) - fire_at).total_seconds() * 3), 5)
        stamp = int(fire_at.timestamp() * 1000)
        key = f"{self.connection.key_prefix}:periodic:{self.container.service_name}:{self.job_name}:{stamp}"
        return bool(self.connection.client.set(key, "1", nx=True, ex=ttl))

    def _run(self) -> None:
        while not self._stopping.is_set():
            now = utcnow()
            fire_at = self.next_fire_time(now)
            if fire_at is None:
                return
            if self._stopping.wait(max((fire_at - now).total_seconds(), 0)):
                return
            self._tick(fire_at)

    def _tick(self, fire_at: datetime) -> None:
        if self.connection.client is None:  # stopping
            return
        try:
            claimed = self.claim(fire_at)
        except redis.RedisError:
            log.exception("cannot claim the period of %s; skipping it", self.job_name)
            metrics.PERIODIC_SKIPPED.labels(self.container.service_name, self.job_name).inc()
            return
        if not claimed:
            return  # another replica runs this period
        metrics.PERIODIC_RUNS.labels(self.container.service_name, self.job_name).inc()
        done = Event()
        self.container.spawn_worker(self, (), {}, handle_result=lambda worker_ctx, result, exc_info: (
            done.send(), (result, exc_info))[1])
        done.wait()


periodic = Periodic.decorator


class DeadlinePoller(SharedExtension):
    """One per container: leases due deadlines and hands each to its ``on_deadline`` handler."""

    def __init__(self):
        self.handlers: dict[str, DeadlineHandler] = {}
        self._running = False

    def register(self, handler: DeadlineHandler) -> None:
        self.handlers[handler.kind] = handler

    def setup(self) -> None:
        from platform_kit.db import Database

        providers = [d for d in self.container.dependencies if isinstance(d, Database)]
        if not providers:
            raise RuntimeError("on_deadline needs a Database dependency in the same service")
        self.database = providers[0]

    def start(self) -> None:
        self._running = True
        self.container.spawn_managed_thread(self._loop, identifier="deadline_poller")

    def stop(self) -> None:
        self._running = False

    def _loop(self) -> None:
        while self._running:
            try:
                fired = self.poll_once()
            except Exception:
                log.exception("deadline poll failed")
                fired = 0
            if not fired:
                time.sleep(POLL_SECONDS)

    def poll_once(self, limit: int = 50) -> int:
        now = utcnow()
        kinds = list(self.handlers)
        with Session(self.database.engine) as session, session.begin():
            rows = session.execute(
                select(deadlines)
                .where(deadlines.c.kind.in_(kinds), deadlines.c.due_at <= now,
                       (deadlines.c.locked_until.is_(None)) | (deadlines.c.locked_until < now))
                .order_by(deadlines.c.due_at).limit(limit)
                .with_for_update(skip_locked=True)
            ).mappings().all()
            if rows:
                session.execute(update(deadlines).where(deadlines.c.id.in_([r["id"] for r in rows]))
                                .values(locked_until=now + timedelta(seconds=LEASE_SECONDS),
                                        attempts=deadlines.c.attempts + 1))
        for row in rows:
            self.handlers[row["kind"]].fire(dict(row))
        return len(rows)

    def finished(self, row: dict, exc_info) -> None:
        with Session(self.database.engine) as session, session.begin():
            if exc_info is None:
                # delete only the version we fired: a re-schedule in the meantime moved due_at
                session.execute(delete(deadlines).where(deadlines.c.id == row["id"],
                                                        deadlines.c.due_at == row["due_at"]))
                outcome = "ok"
            else:
                delay = min(2 ** row["attempts"], MAX_DEADLINE_BACKOFF)
                session.execute(update(deadlines).where(deadlines.c.id == row["id"]).values(
                    locked_until=utcnow() + timedelta(seconds=delay),
                    last_error=repr(exc_info[1])[:2000]))
                outcome = "error"
        metrics.DEADLINES_FIRED.labels(self.container.service_name, row["kind"], outcome).inc()


class DeadlineHandler(Entrypoint):
    poller = DeadlinePoller()

    def __init__(self, kind: str, **kwargs):
        self.kind = kind
        super().__init__(**kwargs)

    def setup(self) -> None:
        self.poller.register(self)

    def fire(self, row: dict) -> None:
        context = {"correlation_id": row.get("correlation_id")} if row.get("correlation_id") else {}
        self.container.spawn_worker(
            self, (row["key"], row["payload"]), {}, context_data=context,
            handle_result=lambda worker_ctx, result=None, exc_info=None: self._done(row, result, exc_info),
        )

    def _done(self, row, result, exc_info):
        try:
            self.poller.finished(row, exc_info)
        except Exception:
            # recording the outcome needs the database too; when it refuses (a restart, no free
            # connection) the lease simply runs out and the deadline fires again, which handlers
            # take as a no-op if it had its effect. Raising here would kill the whole container.
            log.exception("cannot record the outcome of deadline %s/%s; it fires again after its lease",
                          row["kind"], row["key"])
        return result, exc_info


on_deadline = DeadlineHandler.decorator
