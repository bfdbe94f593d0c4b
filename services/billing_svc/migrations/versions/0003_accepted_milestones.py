"""confirm nodes reported passed (project.node_completed) accept staged-payment milestones

Revision ID: 0003bil
Revises: 0002bil
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003bil'
down_revision = '0002bil'


def upgrade() -> None:
    for table in ('staged_contracts', 'project_progress'):
        op.add_column(table, sa.Column('accepted', postgresql.JSONB(astext_type=sa.Text()),
                                       server_default=sa.text("'[]'::jsonb"), nullable=False))
