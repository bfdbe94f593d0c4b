"""suppliers' order-report URL: reconciliation fetches each supplier's daily report (BIL-11)

Revision ID: 0004bil
Revises: 0003bil
"""
from alembic import op
import sqlalchemy as sa

revision = '0004bil'
down_revision = '0003bil'


def upgrade() -> None:
    op.add_column('suppliers', sa.Column('report_url', sa.String(length=500), nullable=True))
