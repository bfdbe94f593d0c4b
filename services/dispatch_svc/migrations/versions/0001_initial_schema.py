"""initial schema

Revision ID: 5004049606a5
Revises: 
"""
from alembic import op
import sqlalchemy as sa
from platform_kit.kernel_migrations import create_kernel_tables_v1

revision = '5004049606a5'
down_revision = None


def upgrade() -> None:
    create_kernel_tables_v1(op)
    op.create_table('product_providers',
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('provider_id', sa.String(length=36), nullable=False),
    sa.Column('vendor_id', sa.String(length=36), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('max_held', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.CheckConstraint('held >= 0 and held <= max_held', name='held_within_max'),
    sa.CheckConstraint('max_held between 0 and 2000', name='max_held_range'),
    sa.CheckConstraint('weight >= 0', name='weight_not_negative'),
    sa.PrimaryKeyConstraint('product_id', 'provider_id')
    )
    op.create_index(op.f('ix_product_providers_vendor_id'), 'product_providers', ['vendor_id'], unique=False)
    op.create_table('provider_assignments',
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('provider_id', sa.String(length=36), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('project_id', 'round')
    )
    op.create_index(op.f('ix_provider_assignments_provider_id'), 'provider_assignments', ['provider_id'], unique=False)
    op.create_table('provider_queue',
    sa.Column('project_id', sa.String(length=36), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('vendor_id', sa.String(length=36), nullable=False),
    sa.Column('node_key', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('enqueued_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('project_id')
    )
    op.create_index(op.f('ix_provider_queue_product_id'), 'provider_queue', ['product_id'], unique=False)
    op.create_index(op.f('ix_provider_queue_vendor_id'), 'provider_queue', ['vendor_id'], unique=False)
