"""money tallies (placeholder until filled)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 20:30:00
"""

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
