"""the organisation of each note's, message's and file's author: after a change of provider the new
provider does not read the former provider's notes and files (domain.access.record_visible); null
for rows kept before (shown as before)

Revision ID: 3a9e5c71b2d4
Revises: f4b68bd002ff
"""
import sqlalchemy as sa
from alembic import op

revision = '3a9e5c71b2d4'
down_revision = 'f4b68bd002ff'


def upgrade() -> None:
    op.add_column('project_records', sa.Column('author_org_id', sa.String(36), nullable=True))
    op.add_column('project_files', sa.Column('author_org_id', sa.String(36), nullable=True))
