"""processed events by time: a BRIN index on processed_at, so the outbox relay's housekeeping
deletes the marks older than PROCESSED_EVENTS_KEEP_DAYS without reading the whole table (the
kernel's processed_events, platform_kit.tables)

Revision ID: 5ee9836316e9
Revises: 0002
"""
from alembic import op

revision = '5ee9836316e9'
down_revision = '0002'


def upgrade() -> None:
    op.create_index('ix_processed_events_processed_at', 'processed_events', ['processed_at'],
                    postgresql_using='brin')

