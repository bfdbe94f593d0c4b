"""initial schema

Revision ID: 83dcac8dfa8b
Revises: 
"""
from alembic import op
from platform_kit.kernel_migrations import create_kernel_tables_v1

revision = '83dcac8dfa8b'
down_revision = None


def upgrade() -> None:
    create_kernel_tables_v1(op)
