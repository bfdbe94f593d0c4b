"""retry budgets: an order counts the calls to its supplier that got no usable answer, and keeps
the operator's actions on its stuck steps (retry, fail, void: the audit trail); stuck orders are
found by a partial index (BIL-6)

Revision ID: 0006chain
Revises: 0006ledger
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0006chain'
down_revision = '0006ledger'


def upgrade() -> None:
    op.add_column('orders', sa.Column('fulfil_attempts', sa.Integer(), server_default=sa.text('0'), nullable=False))
    op.add_column('orders', sa.Column('operator_actions', postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"),
                                      nullable=False))
    op.create_index('ix_orders_stuck', 'orders', ['created_at'],
                    postgresql_where=sa.text("""steps @> '[{"status": "stuck"}]'"""))
