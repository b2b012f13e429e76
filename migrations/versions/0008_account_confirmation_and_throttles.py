"""self-registered accounts confirm their address by mail; sign-in failures are counted per
account and client address; reset and registration mails are rate-limited per address

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMNs on both dialects (no table copy on SQLite).
    op.add_column("users", sa.Column("email_confirmed_at", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("reset_mail_sent_at", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("registration_mail_sent_at", sa.DateTime(timezone=True)))
    # Every account that exists today could already sign in: it counts as confirmed.
    op.execute("UPDATE users SET email_confirmed_at = created_at")
    op.create_table(
        "sign_in_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=45), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_throttles")),
        sa.UniqueConstraint("subject", "client", name=op.f("uq_sign_in_throttles_subject")),
    )


def downgrade():
    op.drop_table("sign_in_throttles")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("registration_mail_sent_at")
        batch_op.drop_column("reset_mail_sent_at")
        batch_op.drop_column("email_confirmed_at")
