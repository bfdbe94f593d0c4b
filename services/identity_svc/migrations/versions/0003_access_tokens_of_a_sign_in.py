"""refresh tokens remember the access token issued with them

So that a reused refresh token ends exactly its sign-in: the access tokens issued in that
sign-in (and only those) are revoked, not every token of the user.

Revision ID: 3a41c0de5f07
Revises: 8807e589fbb4
"""
from alembic import op
import sqlalchemy as sa

revision = '3a41c0de5f07'
down_revision = '8807e589fbb4'


def upgrade() -> None:
    op.add_column('refresh_tokens', sa.Column('access_jti', sa.String(length=64), nullable=True))
    op.add_column('refresh_tokens', sa.Column('access_expires_at', sa.DateTime(timezone=True), nullable=True))
