"""entitlements and uploads: the provider's contract tiers (per product, customer, or customer on
product) and a ticket's requested higher tier (TKT-8); the files uploaded to tickets (TKT-7)

Revision ID: 0004entitlements
Revises: e9230410847b
"""
import sqlalchemy as sa
from alembic import op

revision = '0004entitlements'
down_revision = 'e9230410847b'


def upgrade() -> None:
    # readable ticket numbers (T-2026-000123) and the customers' e-mail addresses (TKT-10)
    op.execute("create sequence ticket_number_seq")
    op.add_column('tickets', sa.Column('number', sa.String(length=20), nullable=True))
    op.create_index('ix_tickets_number', 'tickets', ['number'], unique=True)
    op.add_column('users', sa.Column('email', sa.String(length=200), nullable=True))
    op.create_index('ix_users_email', 'users', ['email'])
    op.add_column('tickets', sa.Column('requested_tier', sa.String(length=2), nullable=True))
    op.create_table(
        'ticket_entitlements',
        sa.Column('provider_id', sa.String(length=36), nullable=False),
        sa.Column('customer_org_id', sa.String(length=36), nullable=False),
        sa.Column('product_id', sa.String(length=64), nullable=False),
        sa.Column('tier', sa.String(length=2), nullable=False),
        sa.PrimaryKeyConstraint('provider_id', 'customer_org_id', 'product_id'),
    )
    op.create_table(
        'ticket_uploads',
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('ticket_id', sa.String(length=36), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('uploaded_by', sa.String(length=36), nullable=False),
        sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('message_id', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index('ix_ticket_uploads_ticket_id', 'ticket_uploads', ['ticket_id'])
