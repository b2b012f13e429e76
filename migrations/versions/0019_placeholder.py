"""recovery cases and the credit record (placeholder until filled)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 20:30:00
"""

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
