"""provider saturation: the time of the dispatch event a row holds, so that a later event wins
whatever order the events arrive in, and handling one again changes nothing (so it needs no processed-event claim)

Revision ID: 2d8f6a1c4e57
Revises: 7c1e4b2a9d30
"""
from alembic import op
import sqlalchemy as sa

revision = '2d8f6a1c4e57'
down_revision = '7c1e4b2a9d30'


def upgrade() -> None:
    op.add_column('provider_saturation', sa.Column('as_of', sa.DateTime(timezone=True), nullable=True))
