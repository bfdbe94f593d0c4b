"""initial schema

Revision ID: 9c9583f27fc0
Revises: 
"""
from alembic import op
from platform_kit.kernel_migrations import create_kernel_tables_v1

revision = '9c9583f27fc0'
down_revision = None


def upgrade() -> None:
    create_kernel_tables_v1(op)
