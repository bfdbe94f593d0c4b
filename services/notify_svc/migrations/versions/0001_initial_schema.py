"""initial schema

Revision ID: 2e1cedd5e0ef
Revises: 
"""
from alembic import op
import sqlalchemy as sa
from platform_kit.kernel_migrations import create_kernel_tables_v1

revision = '2e1cedd5e0ef'
down_revision = None


def upgrade() -> None:
    create_kernel_tables_v1(op)
    op.create_table('inbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.String(length=36), nullable=False),
    sa.Column('recipient_kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=300), nullable=True),
    sa.Column('source_event_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source_event_id', 'recipient_id', name='uq_inbox_event_recipient')
    )
    op.create_index(op.f('ix_inbox_messages_recipient_id'), 'inbox_messages', ['recipient_id'], unique=False)
