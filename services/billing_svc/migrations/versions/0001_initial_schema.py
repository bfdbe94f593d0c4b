"""initial schema

Revision ID: 9597b4c4f4cd
Revises: 
"""
from alembic import op
from platform_kit.kernel_migrations import create_kernel_tables_v1

revision = '9597b4c4f4cd'
down_revision = None


def upgrade() -> None:
    create_kernel_tables_v1(op)
