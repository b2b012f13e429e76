"""recovery cases (追回) with their files and repayments, and the credit record

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _money(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, sa.Numeric(precision=14, scale=2), nullable=nullable)


def _enum(name: str, values: tuple[str, ...], length: int) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def upgrade():
    op.create_table(
        "recovery_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column(
            "grounds",
            _enum(
                "recovery_grounds",
                ("false_materials", "duplicate_funding", "misuse", "failed_acceptance"),
                30,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "status",
            _enum(
                "recovery_status",
                (
                    "statement_due",
                    "statement_received",
                    "decided",
                    "no_recovery",
                    "notice_issued",
                    "settled",
                ),
                30,
            ),
            nullable=False,
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("statement_due_on", sa.Date(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("statement_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("statement_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "decision", _enum("recovery_decision", ("recover", "no_recover"), 20), nullable=True
        ),
        _money("decided_amount", True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("repayment_due_on", sa.Date(), nullable=True),
        _money("repaid_amount", False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "decided_amount IS NULL OR decided_amount > 0",
            name=op.f("ck_recovery_cases_decided_amount_positive"),
        ),
        sa.CheckConstraint(
            "repaid_amount >= 0 AND repaid_amount <= COALESCE(decided_amount, 0)",
            name=op.f("ck_recovery_cases_repaid_within_decided"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_recovery_cases_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_recovery_cases_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_recovery_cases_program_id_programs")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_recovery_cases_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["users.id"], name=op.f("fk_recovery_cases_opened_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["statement_by_id"],
            ["users.id"],
            name=op.f("fk_recovery_cases_statement_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_recovery_cases_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["post_award_documents.id"],
            name=op.f("fk_recovery_cases_document_id_post_award_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_cases")),
    )
    with op.batch_alter_table("recovery_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recovery_cases_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index("ix_recovery_cases_status_id", ["status", "id"], unique=False)
        batch_op.create_index(
            "ix_recovery_cases_application", ["application_id", "id"], unique=False
        )

    op.create_table(
        "recovery_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("storage_key", sa.String(length=120), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["recovery_cases.id"],
            name=op.f("fk_recovery_files_case_id_recovery_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_recovery_files_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_files")),
    )
    with op.batch_alter_table("recovery_files", schema=None) as batch_op:
        batch_op.create_index("ix_recovery_files_case", ["case_id", "id"], unique=False)

    op.create_table(
        "recovery_repayments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        _money("amount", False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_recovery_repayments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["recovery_cases.id"],
            name=op.f("fk_recovery_repayments_case_id_recovery_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_recovery_repayments_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_repayments")),
        sa.UniqueConstraint("case_id", "reference", name="uq_recovery_repayments_reference"),
    )
    with op.batch_alter_table("recovery_repayments", schema=None) as batch_op:
        batch_op.create_index("ix_recovery_repayments_case", ["case_id", "id"], unique=False)

    op.create_table(
        "credit_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("ban_from", sa.Date(), nullable=False),
        sa.Column("ban_until", sa.Date(), nullable=False),
        sa.Column("notice_number", sa.String(length=60), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("repaired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("repaired_by_id", sa.Integer(), nullable=True),
        sa.Column("repair_reason", sa.Text(), nullable=False),
        sa.CheckConstraint("ban_until >= ban_from", name=op.f("ck_credit_records_ban_period")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_credit_records_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["recovery_cases.id"],
            name=op.f("fk_credit_records_case_id_recovery_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_credit_records_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["repaired_by_id"], ["users.id"], name=op.f("fk_credit_records_repaired_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_records")),
        sa.UniqueConstraint("case_id", name=op.f("uq_credit_records_case_id")),
    )
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_records_enterprise_until", ["enterprise_id", "ban_until"], unique=False
        )


def downgrade():
    op.drop_table("credit_records")
    op.drop_table("recovery_repayments")
    op.drop_table("recovery_files")
    op.drop_table("recovery_cases")
