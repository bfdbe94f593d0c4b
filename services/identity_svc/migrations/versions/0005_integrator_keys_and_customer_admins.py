"""integrator keys (GW-6); customer organisations' main accounts become customer admins

A customer organisation's main account manages its users and keys from now on: it gets the
``customer_admin`` role that new customer organisations give their main account. Other services
learn a user's roles from ``user_*`` events; none of them decides anything by this role.

Revision ID: 5d2c8e1f4a90
Revises: 1b79ef0a2494
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '5d2c8e1f4a90'
down_revision = '1b79ef0a2494'


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('org_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('roles', postgresql.ARRAY(sa.String(length=40)), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('hash_kid', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rate_limit_per_minute', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=36), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_api_keys_org_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys'))
    )
    op.create_index(op.f('ix_api_keys_org_id'), 'api_keys', ['org_id'], unique=False)
    op.execute("""
        UPDATE users SET roles = array_append(roles, 'customer_admin')
        WHERE id IN (SELECT admin_user_id FROM organisations WHERE kind = 'customer')
          AND NOT ('customer_admin' = ANY(roles))
    """)
