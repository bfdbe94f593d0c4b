"""The kernel's own tables, created in every service's database by its first migration.

- ``outbox_events``: events written in the same transaction as the change that caused them,
  published to RabbitMQ by the relay and then marked sent.
  (Each service's migrations create these tables: ``platform_kit.alembic_env`` adds this
  metadata to every service's autogenerate target.)
- ``processed_events``: which handler has already applied which event (idempotent consumers),
  kept ``PROCESSED_EVENTS_KEEP_DAYS`` (30).
- ``deadlines``: durable timers (a timeout, a service-level target) that survive restarts.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

kernel_metadata = MetaData()

outbox_events = Table(
    "outbox_events",
    kernel_metadata,
    Column("seq", BigInteger, Identity(), primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("correlation_id", String(64)),
    Column("envelope", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("sent_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
)
Index(
    "ix_outbox_events_unsent",
    outbox_events.c.seq,
    postgresql_where=outbox_events.c.sent_at.is_(None),
)

processed_events = Table(
    "processed_events",
    kernel_metadata,
    Column("event_id", String(36), primary_key=True),
    Column("handler", String(200), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)
# BRIN: marks are written in time order, so block ranges answer "older than" for the relay's
# housekeeping at almost no cost to each claim
Index("ix_processed_events_processed_at", processed_events.c.processed_at, postgresql_using="brin")

deadlines = Table(
    "deadlines",
    kernel_metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("kind", String(100), nullable=False),
    Column("key", String(200), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("correlation_id", String(64)),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    UniqueConstraint("kind", "key", name="uq_deadlines_kind_key"),
)
Index("ix_deadlines_due", deadlines.c.due_at)

