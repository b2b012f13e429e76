"""publicity: the printable notice of each programme's release, objections signed by an account
or a confirmed address (one-time codes), evidence files, and the public list's index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 16:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The public list (keyset pagination) reads awards in publicity from this index alone.
# (On SQLite ``|| ''``, so that no status index competes with it: portal/review/models.py.)
PUBLIC_LIST_WHERE_SQLITE = "(status || '') IN ('publicity', 'on_hold')"
PUBLIC_LIST_WHERE_POSTGRESQL = "status IN ('publicity', 'on_hold')"


def upgrade():
    op.create_table(
        "publicity_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("program_name_zh", sa.String(length=200), nullable=False),
        sa.Column("program_name_en", sa.String(length=200), nullable=False),
        sa.Column("verification_code", sa.String(length=20), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf_key", sa.String(length=120), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_size", sa.Integer(), nullable=False),
        sa.Column("pdf_en_key", sa.String(length=120), nullable=False),
        sa.Column("pdf_en_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_en_size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_publicity_notices_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicity_notices")),
        sa.UniqueConstraint(
            "program_id", "starts_on", name=op.f("uq_publicity_notices_program_id")
        ),
        sa.UniqueConstraint(
            "verification_code", name=op.f("uq_publicity_notices_verification_code")
        ),
    )
    op.create_index(op.f("ix_publicity_notices_pdf_sha256"), "publicity_notices", ["pdf_sha256"])
    op.create_index(
        op.f("ix_publicity_notices_pdf_en_sha256"), "publicity_notices", ["pdf_en_sha256"]
    )
    op.create_table(
        "objector_challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("code_salt", sa.String(length=32), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_objector_challenges_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objector_challenges")),
    )
    op.create_index(
        "ix_objector_challenges_address", "objector_challenges", ["address", "created_at"]
    )
    op.create_table(
        "objection_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objection_id", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("storage_key", sa.String(length=120), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["objection_id"],
            ["objections.id"],
            name=op.f("fk_objection_evidence_objection_id_objections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection_evidence")),
    )
    op.create_index(
        op.f("ix_objection_evidence_objection_id"), "objection_evidence", ["objection_id"]
    )
    # A plain CREATE INDEX on both dialects (no table copy on SQLite).
    op.create_index(
        "ix_applications_public_list",
        "applications",
        ["program_id", "publicity_starts_on", "decided_amount", "id"],
        sqlite_where=sa.text(PUBLIC_LIST_WHERE_SQLITE),
        postgresql_where=sa.text(PUBLIC_LIST_WHERE_POSTGRESQL),
    )
    with op.batch_alter_table("objections") as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("contact_kind", sa.String(length=10), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("contact_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("locale", sa.String(length=10), nullable=False, server_default="zh_CN")
        )
        batch_op.create_index(op.f("ix_objections_account_id"), ["account_id"])
        batch_op.create_foreign_key(
            op.f("fk_objections_account_id_users"), "users", ["account_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("objections") as batch_op:
        batch_op.drop_constraint(op.f("fk_objections_account_id_users"), type_="foreignkey")
        batch_op.drop_index(op.f("ix_objections_account_id"))
        batch_op.drop_column("locale")
        batch_op.drop_column("contact_confirmed_at")
        batch_op.drop_column("contact_kind")
        batch_op.drop_column("account_id")
    op.drop_index("ix_applications_public_list", table_name="applications")
    op.drop_index(op.f("ix_objection_evidence_objection_id"), table_name="objection_evidence")
    op.drop_table("objection_evidence")
    op.drop_index("ix_objector_challenges_address", table_name="objector_challenges")
    op.drop_table("objector_challenges")
    op.drop_index(op.f("ix_publicity_notices_pdf_en_sha256"), table_name="publicity_notices")
    op.drop_index(op.f("ix_publicity_notices_pdf_sha256"), table_name="publicity_notices")
    op.drop_table("publicity_notices")
