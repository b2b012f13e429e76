"""no schema change: agreements and bank accounts needed nothing beyond 0014 (kept so that
the chain of revisions stays as numbered)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 20:30:00
"""

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
