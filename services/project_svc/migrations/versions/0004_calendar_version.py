"""calendar version: a random value drawn anew with every calendar change, so that each process
keeps the calendar and a change of the flow reads it only when it changed, not with every change

Revision ID: 7c1e4b2a9d30
Revises: 5f3c2d9e7a14
"""
from alembic import op
import sqlalchemy as sa

revision = '7c1e4b2a9d30'
down_revision = '5f3c2d9e7a14'


def upgrade() -> None:
    op.create_table('calendar_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.String(length=36), nullable=False),
    sa.CheckConstraint('id = 1', name='ck_calendar_version_one_row'),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute("INSERT INTO calendar_version (id, version) VALUES (1, gen_random_uuid()::text)")
