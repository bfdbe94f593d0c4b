"""Periodic jobs that run once per period across all replicas, and durable deadlines.

``@periodic(seconds)``: every replica ticks, but a tick runs the job only after claiming the
period in Redis (``SET key NX``); periods are aligned to the wall clock, so all replicas agree
on which period it is and exactly one of them runs it.

``@on_deadline(kind)``: the handler for deadlines that units of work set with
``uow.schedule(kind, key, due_at, payload)``. Deadlines live in the service's database, so a
restart loses none; a poller leases due rows ``FOR UPDATE SKIP LOCKED`` (one replica fires each),
and a deadline whose handler fails is retried with back-off, its lease expiring if the process
dies mid-way.
"""
from __future__ import annotations

import logging
import math
import time
from datetime import timedelta

import redis
from nameko.extensions import Entrypoint, SharedExtension
from nameko.timer import Timer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from platform_kit import metrics
from platform_kit.cache import redis_client, redis_key_prefix
from platform_kit.clock import utcnow
from platform_kit.tables import deadlines

log = logging.getLogger(__name__)

LEASE_SECONDS = 60
POLL_SECONDS = 1.0
MAX_DEADLINE_BACKOFF = 600


class Periodic(Timer):
    def __init__(self, interval: float, name: str | None = None, **kwargs):
        super().__init__(interval, eager=False, **kwargs)
        self.job_name = name

    def setup(self) -> None:
        super().setup()
        self.job_name = self.job_name or self.method_name
        self.redis = redis_client()
        self.key_prefix = redis_key_prefix()

    def stop(self) -> None:
        super().stop()
        self._close_redis()

    def kill(self) -> None:
        super().kill()
        self._close_redis()

    def _close_redis(self) -> None:
        # dropped now, not at interpreter exit, where redis-py's __del__ trips over eventlet
        if self.redis is not None:
            self.redis.close()
            self.redis = None

    def period_index(self, now: float | None = None) -> int:
        return math.floor((now if now is not None else time.time()) / self.interval)

    def claim(self, index: int) -> bool:
        key = f"{self.key_prefix}:periodic:{self.container.service_name}:{self.job_name}:{index}"
        return bool(self.redis.set(key, "1", nx=True, ex=max(int(self.interval * 3), 5)))

    def handle_timer_tick(self) -> None:
        if self.redis is None:  # stopping
            self.worker_complete.send()
            return
        try:
            claimed = self.claim(self.period_index())
        except redis.RedisError:
            log.exception("cannot claim period of %s; skipping this tick", self.job_name)
            claimed = False
        if claimed:
            metrics.PERIODIC_RUNS.labels(self.container.service_name, self.job_name).inc()
            super().handle_timer_tick()
        else:
            # another replica has this period; nameko's timer loop waits for a finished worker
            self.worker_complete.send()


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
        self.poller.finished(row, exc_info)
        return result, exc_info


on_deadline = DeadlineHandler.decorator
