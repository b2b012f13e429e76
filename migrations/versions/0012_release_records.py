"""release records: each release's ranked list kept for the minutes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(14, 2)
MONEY_SUM = sa.Numeric(16, 2)
SCORE = sa.Numeric(5, 2)


def upgrade():
    op.create_table(
        "release_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("audit_event_id", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("program_name_zh", sa.String(length=200), nullable=False),
        sa.Column("program_name_en", sa.String(length=200), nullable=False),
        sa.Column("expert_review", sa.Boolean(), nullable=False),
        sa.Column("budget", MONEY, nullable=False),
        sa.Column("released_before", MONEY_SUM, nullable=False),
        sa.Column("proposed_total", MONEY_SUM, nullable=False),
        sa.Column("released_total", MONEY_SUM, nullable=False),
        sa.Column("pro_rata_ratio", sa.String(length=80), nullable=False),
        sa.Column("approved_count", sa.Integer(), nullable=False),
        sa.Column("rejected_count", sa.Integer(), nullable=False),
        sa.Column("publicity_starts_on", sa.Date(), nullable=True),
        sa.Column("publicity_ends_on", sa.Date(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by_name", sa.String(length=200), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_name", sa.String(length=200), nullable=False),
        sa.Column("verification_code", sa.String(length=20), nullable=False),
        sa.Column("pdf_key", sa.String(length=120), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_size", sa.Integer(), nullable=True),
        sa.Column("pdf_en_key", sa.String(length=120), nullable=True),
        sa.Column("pdf_en_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_en_size", sa.Integer(), nullable=True),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_release_records_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["audit_event_id"],
            ["audit_events.id"],
            name=op.f("fk_release_records_audit_event_id_audit_events"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"], ["users.id"], name=op.f("fk_release_records_proposed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_release_records_approved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_records")),
        sa.UniqueConstraint("audit_event_id", name=op.f("uq_release_records_audit_event_id")),
        sa.UniqueConstraint("verification_code", name=op.f("uq_release_records_verification_code")),
    )
    op.create_index("ix_release_records_program", "release_records", ["program_id", "released_at"])
    op.create_index(op.f("ix_release_records_pdf_sha256"), "release_records", ["pdf_sha256"])
    op.create_index(op.f("ix_release_records_pdf_en_sha256"), "release_records", ["pdf_en_sha256"])
    op.create_table(
        "release_record_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("enterprise", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("project_title", sa.String(length=200), nullable=False),
        sa.Column("score", SCORE, nullable=True),
        sa.Column("spread", SCORE, nullable=True),
        sa.Column("requested_amount", MONEY, nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("proposed_amount", MONEY, nullable=False),
        sa.Column("released_amount", MONEY, nullable=False),
        sa.Column("running_total", MONEY_SUM, nullable=False),
        sa.Column("over_budget", sa.Boolean(), nullable=False),
        sa.Column("budget_line", sa.Boolean(), nullable=False),
        sa.Column("reason_code", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["release_records.id"],
            name=op.f("fk_release_record_entries_record_id_release_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_release_record_entries_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_record_entries")),
    )
    op.create_index(
        "ix_release_record_entries_record", "release_record_entries", ["record_id", "position"]
    )
    op.create_index(
        op.f("ix_release_record_entries_application_id"),
        "release_record_entries",
        ["application_id"],
    )


def downgrade():
    op.drop_table("release_record_entries")
    op.drop_table("release_records")
