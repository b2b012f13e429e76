"""progress reports: the reports an award owes (progress, final) and their files

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade():
    money = sa.Numeric(14, 2)
    op.create_table(
        "progress_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("progress", "final", name="report_kind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "due",
                "submitted",
                "returned",
                "accepted",
                name="report_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("rd_spend", money, nullable=True),
        sa.Column("revenue", money, nullable=True),
        sa.Column("patents_filed", sa.Integer(), nullable=True),
        sa.Column("patents_granted", sa.Integer(), nullable=True),
        sa.Column("jobs_created", sa.Integer(), nullable=True),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=False),
        sa.Column("reminded_14_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_3_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default="1", nullable=False),
        _fk("progress_reports", "agreement_id", "agreements"),
        _fk("progress_reports", "application_id", "applications"),
        _fk("progress_reports", "program_id", "programs"),
        _fk("progress_reports", "enterprise_id", "enterprises"),
        _fk("progress_reports", "submitted_by_id", "users"),
        _fk("progress_reports", "decided_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_reports")),
        sa.UniqueConstraint("agreement_id", "position", name="uq_progress_reports_position"),
    )
    op.create_index(
        "ix_progress_reports_status_due", "progress_reports", ["status", "due_on", "id"]
    )
    op.create_index(
        "ix_progress_reports_enterprise_due", "progress_reports", ["enterprise_id", "due_on", "id"]
    )
    op.create_index(
        op.f("ix_progress_reports_application_id"), "progress_reports", ["application_id"]
    )
    op.create_table(
        "progress_report_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("storage_key", sa.String(length=120), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["progress_reports.id"],
            name=op.f("fk_progress_report_files_report_id_progress_reports"),
            ondelete="CASCADE",
        ),
        _fk("progress_report_files", "uploaded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_report_files")),
    )
    op.create_index(
        "ix_progress_report_files_report", "progress_report_files", ["report_id", "id"]
    )


def downgrade():
    op.drop_index("ix_progress_report_files_report", table_name="progress_report_files")
    op.drop_table("progress_report_files")
    op.drop_index(op.f("ix_progress_reports_application_id"), table_name="progress_reports")
    op.drop_index("ix_progress_reports_enterprise_due", table_name="progress_reports")
    op.drop_index("ix_progress_reports_status_due", table_name="progress_reports")
    op.drop_table("progress_reports")
