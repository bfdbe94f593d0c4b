"""tab counts per owner; owner indexes carrying the other owners; the dashboard, product and late-filter indexes (PRJ-3, PRJ-10, PRJ-11 at 1M projects)

Revision ID: 5f3c2d9e7a14
Revises: a8b8c0cad9d0
"""
from alembic import op
import sqlalchemy as sa

revision = '5f3c2d9e7a14'
down_revision = 'a8b8c0cad9d0'

# the counts of the projects present when this runs, in shard 0 (later changes spread over shards)
BACKFILL = """
INSERT INTO project_tab_counts (scope_kind, scope_id, status, shard, n)
SELECT kind, owner, status, 0, count(*) FROM (
    SELECT 'all' AS kind, '' AS owner, status FROM projects
    UNION ALL SELECT 'vendor', vendor_id, status FROM projects
    UNION ALL SELECT 'provider', provider_id, status FROM projects WHERE provider_id IS NOT NULL
    UNION ALL SELECT 'customer', customer_id, status FROM projects
) AS owned GROUP BY kind, owner, status
"""


def upgrade() -> None:
    op.create_table('project_tab_counts',
    sa.Column('scope_kind', sa.String(length=10), nullable=False),
    sa.Column('scope_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('shard', sa.Integer(), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('scope_kind', 'scope_id', 'status', 'shard')
    )
    op.execute(BACKFILL)
    others = {'vendor': ['provider_id', 'customer_id'], 'provider': ['vendor_id', 'customer_id'],
              'customer': ['vendor_id', 'provider_id']}
    for owner, included in others.items():
        op.drop_index(f'ix_projects_{owner}_status_created', table_name='projects')
        op.create_index(f'ix_projects_{owner}_status_created', 'projects', [f'{owner}_id', 'status', 'created_at', 'id'],
                        unique=False, postgresql_include=included)
    op.create_index('ix_projects_vendor_created', 'projects', ['vendor_id', 'created_at'], unique=False,
                    postgresql_include=['status', 'late_side'])
    op.create_index('ix_projects_provider_created', 'projects', ['provider_id', 'created_at'], unique=False,
                    postgresql_include=['status', 'late_side'])
    op.create_index('ix_projects_vendor_completed', 'projects', ['vendor_id', 'completed_at'], unique=False,
                    postgresql_include=['created_at'], postgresql_where=sa.text("status = 'completed'"))
    op.create_index('ix_projects_provider_completed', 'projects', ['provider_id', 'completed_at'], unique=False,
                    postgresql_include=['created_at'], postgresql_where=sa.text("status = 'completed'"))
    op.create_index('ix_projects_product_code_status_created', 'projects',
                    ['product_code', 'status', 'created_at', 'id'], unique=False)
    op.create_index('ix_projects_late', 'projects', ['status', 'created_at'], unique=False,
                    postgresql_where=sa.text('late_side IS NOT NULL'))
    for owner in ('vendor', 'provider', 'customer'):
        op.create_index(f'ix_projects_{owner}_late', 'projects', [f'{owner}_id', 'status', 'created_at'], unique=False,
                        postgresql_where=sa.text('late_side IS NOT NULL'))

