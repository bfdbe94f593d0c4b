"""processed events by time: a BRIN index on processed_at, so the outbox relay's housekeeping
deletes the marks older than PROCESSED_EVENTS_KEEP_DAYS without reading the whole table (the
kernel's processed_events, platform_kit.tables)

Revision ID: 7b3f89a4d5f1
Revises: 7d1c2e9a4b30
"""
from alembic import op

revision = '7b3f89a4d5f1'
down_revision = '7d1c2e9a4b30'


def upgrade() -> None:
    op.create_index('ix_processed_events_processed_at', 'processed_events', ['processed_at'],
                    postgresql_using='brin')

