"""What `make test` and `make bench` need from the machine's servers, checked before they start,
each failure said in one line with what to do (instead of a traceback minutes later).

- RabbitMQ's management API (per-run virtual hosts are made through it);
- enough PostgreSQL connections for the processes about to start: each process may hold
  ``DB_POOL_SIZE + DB_MAX_OVERFLOW`` (default 10 + 10) connections (docs/operations.md).
"""
from __future__ import annotations

import os

import requests
from sqlalchemy import create_engine, text

DEFAULT_MANAGEMENT = "http://guest:guest@127.0.0.1:15672"


class NotReady(RuntimeError):
    """A server lacks what the command needs; the message is the one line saying what to do."""


def per_process_connections() -> int:
    pool = int(os.environ.get("DB_POOL_SIZE") or 10)
    return pool + int(os.environ.get("DB_MAX_OVERFLOW") or pool)


def check_rabbit_management(url: str = DEFAULT_MANAGEMENT) -> None:
    try:
        answer = requests.get(url.rstrip("/") + "/api/overview", timeout=5)
        answer.raise_for_status()
    except requests.RequestException as exc:
        public = url.split("@")[-1]
        raise NotReady(f"RabbitMQ's management API does not answer at {public} ({type(exc).__name__}): enable it "
                       "with `rabbitmq-plugins enable rabbitmq_management` (no restart needed), then run this "
                       "again.") from None


def spare_connections(url: str) -> tuple[int, int]:
    """(connections PostgreSQL still accepts for ordinary users, its max_connections)."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            limit = int(conn.execute(text("SHOW max_connections")).scalar_one())
            reserved = int(conn.execute(text("SHOW superuser_reserved_connections")).scalar_one())
            used = int(conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                                         "'client backend'")).scalar_one())
    finally:
        engine.dispose()
    return limit - reserved - used, limit


def check_postgres_connections(url: str, processes: int) -> None:
    """Refuse, in one line, to start ``processes`` processes that may need more connections than
    PostgreSQL has left."""
    needed = processes * per_process_connections()
    spare, limit = spare_connections(url)
    if needed > spare:
        raise NotReady(
            f"PostgreSQL has {spare} of its max_connections={limit} connections free, and {processes} processes "
            f"may hold {needed} (DB_POOL_SIZE + DB_MAX_OVERFLOW each): raise max_connections "
            "(`ALTER SYSTEM SET max_connections = 300;` and restart PostgreSQL) or lower DB_POOL_SIZE and "
            "DB_MAX_OVERFLOW (docs/operations.md).")
