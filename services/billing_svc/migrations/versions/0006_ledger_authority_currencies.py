"""authority over money, currencies and a readable ledger

- staged contracts are proposed by the project's vendor and bind nothing until the customer
  accepts them: ``status`` (existing contracts were never accepted by their customer: they start
  ``proposed``), ``decided_at``, ``decided_by``;
- ``known_projects``: billing's read model of projects from project_svc's events;
- ledger accounts per party *and* currency: every account id gets its currency as a suffix
  (``clearing`` → ``clearing:CNY``), in the accounts, the postings and the holds;
- ``reconciliation_mismatches``: each mismatch found, with its resolution.

Revision ID: 0006ledger
Revises: 7852b3abf96f
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0006ledger'
down_revision = '7852b3abf96f'


def upgrade() -> None:
    op.add_column('staged_contracts', sa.Column('status', sa.String(length=10), server_default='proposed',
                                                nullable=False))
    op.add_column('staged_contracts', sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('staged_contracts', sa.Column('decided_by', sa.String(length=36), nullable=True))
    op.create_table(
        'known_projects',
        sa.Column('project_id', sa.String(length=36), primary_key=True),
        sa.Column('vendor_id', sa.String(length=36), nullable=False),
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.Column('provider_id', sa.String(length=36), nullable=True),
    )
    # accounts per party and currency: the currency becomes the last part of every account id
    op.execute("UPDATE ledger_postings p SET account_id = p.account_id || ':' || a.currency "
               "FROM ledger_accounts a WHERE a.id = p.account_id")
    op.execute("UPDATE ledger_holds SET postings = (SELECT coalesce(jsonb_agg(jsonb_build_array("
               "(x.e->>0) || ':' || ledger_holds.currency, x.e->1) ORDER BY x.n), '[]'::jsonb) "
               "FROM jsonb_array_elements(ledger_holds.postings) WITH ORDINALITY AS x(e, n))")
    op.execute("UPDATE ledger_accounts SET id = id || ':' || currency")
    op.create_table(
        'reconciliation_mismatches',
        sa.Column('id', sa.String(length=36), primary_key=True),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('reference', sa.String(length=200), nullable=False),
        sa.Column('problem', sa.String(length=100), nullable=False),
        sa.Column('ledger', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('theirs', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), server_default='open', nullable=False),
        sa.Column('resolution', sa.Text(), nullable=True),
        sa.Column('resolved_by', sa.String(length=36), nullable=True),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint('day', 'source', 'reference', 'problem'),
    )
    op.create_index('ix_reconciliation_mismatches_day', 'reconciliation_mismatches', ['day'])
    op.create_index('ix_reconciliation_mismatches_status', 'reconciliation_mismatches', ['status'])
