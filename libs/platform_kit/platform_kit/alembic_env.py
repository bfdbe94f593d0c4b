"""The body of every service's ``migrations/env.py``: online migrations only, kernel tables included."""
from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData, create_engine

from platform_kit.tables import kernel_metadata


def run(service_metadata: MetaData) -> None:
    target = [service_metadata, kernel_metadata]
    cfg = context.config
    connection = cfg.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(cfg.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
