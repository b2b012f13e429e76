"""four eyes: an approver role and proposals awaiting sign-off

The approver role needs no schema change (roles are stored as VARCHAR(20) without a CHECK of
their values); the proposals get their table.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_off_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "release", "reissue", "uphold", name="sign_off_kind", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "sent_back",
                "replaced",
                name="sign_off_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("send_back_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_sign_off_proposals_program_id_programs"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_sign_off_proposals_application_id_applications"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["users.id"],
            name=op.f("fk_sign_off_proposals_proposed_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_sign_off_proposals_decided_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_off_proposals")),
    )
    op.create_index("ix_sign_off_proposals_status", "sign_off_proposals", ["status", "id"])
    op.create_index(
        "ix_sign_off_proposals_subject", "sign_off_proposals", ["kind", "subject_id", "status"]
    )


def downgrade():
    op.drop_index("ix_sign_off_proposals_subject", table_name="sign_off_proposals")
    op.drop_index("ix_sign_off_proposals_status", table_name="sign_off_proposals")
    op.drop_table("sign_off_proposals")
