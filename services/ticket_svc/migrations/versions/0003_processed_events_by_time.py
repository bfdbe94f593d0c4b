"""processed events by time: a BRIN index on processed_at, so the outbox relay's housekeeping
deletes the marks older than PROCESSED_EVENTS_KEEP_DAYS without reading the whole table (the
kernel's processed_events, platform_kit.tables)

Revision ID: e9230410847b
Revises: 0002tickets
"""
from alembic import op

revision = 'e9230410847b'
down_revision = '0002tickets'


def upgrade() -> None:
    op.create_index('ix_processed_events_processed_at', 'processed_events', ['processed_at'],
                    postgresql_using='brin')

