"""open projects by provider: held counts of a product's providers are counted from the projects
themselves, so this partial index keeps the count an index-only look-up

Revision ID: 3c8e5a1f7d22
Revises: 7b3f89a4d5f1
"""
from alembic import op
from sqlalchemy import text

revision = '3c8e5a1f7d22'
down_revision = '7b3f89a4d5f1'


def upgrade() -> None:
    op.create_index('ix_dispatch_projects_open_by_provider', 'dispatch_projects', ['product_id', 'provider_id'],
                    postgresql_where=text('not closed'))
