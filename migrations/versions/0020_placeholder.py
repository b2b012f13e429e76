"""review overview tallies (placeholder until filled)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 20:30:00
"""

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
