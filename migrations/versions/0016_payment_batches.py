"""payment batches; tranches point at their batch and a paid tranche carries its reference

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payment_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "approved",
                "sent_back",
                name="payment_batch_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("tranche_ids", sa.JSON(), nullable=False),
        sa.Column("tranche_count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_back_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("send_back_reason", sa.Text(), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("total > 0", name=op.f("ck_payment_batches_total_positive")),
        sa.CheckConstraint(
            "tranche_count > 0", name=op.f("ck_payment_batches_tranche_count_positive")
        ),
        sa.CheckConstraint(
            "approved_by_id IS NULL OR approved_by_id <> created_by_id",
            name=op.f("ck_payment_batches_approver_not_creator"),
        ),
        sa.CheckConstraint(
            "status <> 'approved' OR (approved_by_id IS NOT NULL AND approved_at IS NOT NULL)",
            name=op.f("ck_payment_batches_approved_has_approver"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_payment_batches_created_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_payment_batches_approved_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sent_back_by_id"],
            ["users.id"],
            name=op.f("fk_payment_batches_sent_back_by_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_batches")),
        sa.UniqueConstraint("number", name=op.f("uq_payment_batches_number")),
    )
    with op.batch_alter_table("payment_batches", schema=None) as batch_op:
        batch_op.create_index("ix_payment_batches_status", ["status", "id"], unique=False)

    with op.batch_alter_table("tranches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tranches_batch_id_payment_batches"),
            "payment_batches",
            ["batch_id"],
            ["id"],
        )
        batch_op.create_index(batch_op.f("ix_tranches_batch_id"), ["batch_id"], unique=False)
        batch_op.create_check_constraint(
            op.f("ck_tranches_paid_has_reference"),
            "status <> 'paid' OR (paid_on IS NOT NULL AND bank_reference IS NOT NULL)",
        )


def downgrade():
    with op.batch_alter_table("tranches", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_tranches_paid_has_reference"), type_="check")
        batch_op.drop_index(batch_op.f("ix_tranches_batch_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_tranches_batch_id_payment_batches"), type_="foreignkey"
        )
        batch_op.drop_column("batch_id")
    op.drop_table("payment_batches")
