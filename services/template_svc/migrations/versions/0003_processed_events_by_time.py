"""processed events by time: a BRIN index on processed_at, so the outbox relay's housekeeping
deletes the marks older than PROCESSED_EVENTS_KEEP_DAYS without reading the whole table (the
kernel's processed_events, platform_kit.tables)

Revision ID: ddda3abbc5fa
Revises: 0002tplflows
"""
from alembic import op

revision = 'ddda3abbc5fa'
down_revision = '0002tplflows'


def upgrade() -> None:
    op.create_index('ix_processed_events_processed_at', 'processed_events', ['processed_at'],
                    postgresql_using='brin')

