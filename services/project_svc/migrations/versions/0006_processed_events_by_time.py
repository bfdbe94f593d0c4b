"""processed events by time: a BRIN index on processed_at, so the outbox relay's housekeeping
deletes the marks older than PROCESSED_EVENTS_KEEP_DAYS without reading the whole table (the
kernel's processed_events, platform_kit.tables)

Revision ID: f4b68bd002ff
Revises: 2d8f6a1c4e57
"""
from alembic import op

revision = 'f4b68bd002ff'
down_revision = '2d8f6a1c4e57'


def upgrade() -> None:
    op.create_index('ix_processed_events_processed_at', 'processed_events', ['processed_at'],
                    postgresql_using='brin')

