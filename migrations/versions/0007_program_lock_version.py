"""programmes carry a lock version, so that two officers editing one programme at once cannot
overwrite each other's changes unseen

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both dialects (no table copy on SQLite): existing rows start at 1.
    op.add_column(
        "programs",
        sa.Column("lock_version", sa.Integer(), nullable=False, server_default="1"),
    )


def downgrade():
    with op.batch_alter_table("programs") as batch_op:
        batch_op.drop_column("lock_version")
