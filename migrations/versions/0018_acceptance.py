"""acceptance (验收): one review per round of an award, each expert's conclusion in it

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

OUTCOMES = ("passed", "fix", "failed")


def upgrade():
    op.create_table(
        "acceptance_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "panel_formed",
                "concluded",
                name="acceptance_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("formed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("formed_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(*OUTCOMES, name="acceptance_outcome", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("fix_deadline", sa.Date(), nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=False),
        sa.Column("proceed_reason", sa.Text(), nullable=False),
        sa.Column("concluded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("concluded_by_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("lock_version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_acceptance_reviews_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_acceptance_reviews_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_acceptance_reviews_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_acceptance_reviews_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["formed_by_id"], ["users.id"], name=op.f("fk_acceptance_reviews_formed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["concluded_by_id"],
            ["users.id"],
            name=op.f("fk_acceptance_reviews_concluded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["post_award_documents.id"],
            name=op.f("fk_acceptance_reviews_document_id_post_award_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptance_reviews")),
        sa.UniqueConstraint("application_id", "round", name="uq_acceptance_reviews_round"),
    )
    with op.batch_alter_table("acceptance_reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_acceptance_reviews_application", ["application_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_acceptance_reviews_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "acceptance_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "conclusion",
            sa.Enum(*OUTCOMES, name="acceptance_conclusion", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 0 AND score <= 100)",
            name=op.f("ck_acceptance_assignments_score_range"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["acceptance_reviews.id"],
            name=op.f("fk_acceptance_assignments_review_id_acceptance_reviews"),
        ),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["users.id"], name=op.f("fk_acceptance_assignments_expert_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acceptance_assignments")),
        sa.UniqueConstraint("review_id", "expert_id", name="uq_acceptance_assignments_expert"),
    )
    with op.batch_alter_table("acceptance_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_acceptance_assignments_expert", ["expert_id", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_acceptance_assignments_review_id"), ["review_id"], unique=False
        )


def downgrade():
    op.drop_table("acceptance_assignments")
    op.drop_table("acceptance_reviews")
