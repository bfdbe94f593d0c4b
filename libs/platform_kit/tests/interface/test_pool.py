"""Pooled connections: pinged only after sitting idle (a ping per use was costly), and a dead one never
reaches a use case."""
import time

import pytest
from nameko import config
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from platform_kit import db


def _kill(url: str, pid: int) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("select pg_terminate_backend(:p)"), {"p": pid})
    admin.dispose()


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("select pg_backend_pid()")).scalar_one()


def test_a_pooled_connection_killed_while_idle_is_replaced_before_use(platform_config, monkeypatch):
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.05)
    url = config["BILLING_DATABASE_URL"]
    engine = db.make_engine(url, pool_size=1)
    try:
        first = _backend_pid(engine)
        _kill(url, first)
        time.sleep(0.1)  # the connection must sit idle past the (shortened) threshold
        assert _backend_pid(engine) != first  # pinged, found dead, replaced: no error
    finally:
        engine.dispose()


def test_a_connection_used_moments_ago_is_not_pinged_and_a_disconnect_then_renews_the_pool(platform_config):
    url = config["BILLING_DATABASE_URL"]
    engine = db.make_engine(url, pool_size=1)  # the real threshold: several seconds
    try:
        first = _backend_pid(engine)
        _kill(url, first)
        with pytest.raises(OperationalError):  # no ping in between: the statement meets the dead socket
            _backend_pid(engine)
        assert _backend_pid(engine) != first  # SQLAlchemy invalidated the pool on the disconnect
    finally:
        engine.dispose()


def test_the_pool_of_a_process_is_set_by_DB_POOL_SIZE_and_DB_MAX_OVERFLOW(platform_config, monkeypatch):
    monkeypatch.setenv("DB_POOL_SIZE", "3")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "1")
    database = db.Database("BILLING_DATABASE_URL", relay_events=False)
    database.container = type("C", (), {"service_name": "pooltest"})()
    database.setup()
    try:
        assert (database.engine.pool.size(), database.engine.pool._max_overflow) == (3, 1)
    finally:
        database.engine.dispose()


def test_too_many_processes_for_postgresqls_connections_are_refused_in_one_line(platform_config, monkeypatch):
    from platform_kit import preflight

    monkeypatch.setenv("DB_POOL_SIZE", "10")
    monkeypatch.delenv("DB_MAX_OVERFLOW", raising=False)
    preflight.check_postgres_connections(config["BILLING_DATABASE_URL"], 0)   # nothing to start: fits
    with pytest.raises(preflight.NotReady) as refused:
        preflight.check_postgres_connections(config["BILLING_DATABASE_URL"], 10_000)
    assert "max_connections" in str(refused.value) and "DB_POOL_SIZE" in str(refused.value)
    assert "\n" not in str(refused.value)
