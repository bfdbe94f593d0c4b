"""project search: the customer's name on each project (from organisation names kept from identity)
and one generated search text indexed by trigrams, so ``q`` finds projects by order id, product
and customer name, by prefix or anywhere inside, at a million projects

Revision ID: 8e1a4c7b2d90
Revises: 3a9e5c71b2d4
"""
import sqlalchemy as sa
from alembic import op

revision = '8e1a4c7b2d90'
down_revision = '3a9e5c71b2d4'

SEARCH_TEXT = "lower(order_id || ' ' || product_code || ' ' || product_name || ' ' || customer_name)"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('organisation_names',
                    sa.Column('org_id', sa.String(length=36), nullable=False),
                    sa.Column('name', sa.String(length=200), nullable=False),
                    sa.PrimaryKeyConstraint('org_id'))
    op.add_column('projects', sa.Column('customer_name', sa.String(length=200), server_default='', nullable=False))
    op.add_column('projects', sa.Column('search_text', sa.Text(), sa.Computed(SEARCH_TEXT, persisted=True),
                                        nullable=False))
    op.create_index('ix_projects_search_trgm', 'projects', ['search_text'], unique=False, postgresql_using='gin',
                    postgresql_ops={'search_text': 'gin_trgm_ops'})
