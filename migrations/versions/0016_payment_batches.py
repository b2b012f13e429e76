"""payment batches and payments (placeholder until filled)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 20:30:00
"""

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
