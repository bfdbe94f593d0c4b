"""The floor of the benchmark: the platform's pipeline shape with no business logic: what the rest costs.

    HTTP (gateway.py) -> RPC that inserts a row and emits an event (a.py)
      -> handler that inserts and emits (b.py) -> handler that inserts (c.py)
    plus a bare gateway -> RPC ping.

Each part is its own ``python -m platform_kit.run bench.floor.<x>`` process with the platform's
libraries and settings: nameko + eventlet, psycopg2 made green by psycogreen, and the kernel's
engine (``platform_kit.db.make_engine``: same pool, pre-ping, timeouts). What it leaves out is the
platform's logic: tokens, rate limits, schemas, the outbox, idempotent consumers, domain rules.
"""
from __future__ import annotations

import time

from nameko import config
from sqlalchemy import text
from werkzeug.wrappers import Response

from platform_kit.db import make_engine

_engine = None

TABLES = ("fa", "fb", "fc")


def engine():
    global _engine
    if _engine is None:
        _engine = make_engine(config["FLOOR_DATABASE_URL"], pool_size=10)
    return _engine


def insert(table: str, order_id: str) -> None:
    with engine().begin() as conn:
        conn.execute(text(f"insert into {table} (order_id, at) values (:o, :t)"),  # noqa: S608 - fixed names
                     {"o": order_id, "t": time.time()})


def health_response() -> Response:
    return Response('{"status": "ok"}', mimetype="application/json")
