"""the key-task wall map (挂图作战): departments and staff membership, key tasks with their
indicators, hand-reported values, milestones and monthly status, supervision slips with their
steps, evidence files, and the goal tiles

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 01:39:15

New roles (supervisor, department member) need no schema change: roles are VARCHAR(20) without
a CHECK of their values (see 0011).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
    )
    op.create_table(
        "goal_tiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("target", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_tiles")),
    )
    with op.batch_alter_table("goal_tiles", schema=None) as batch_op:
        batch_op.create_index("ix_goal_tiles_year", ["year", "position"], unique=False)

    op.create_table(
        "key_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("cooperating_units", sa.Text(), nullable=False),
        sa.Column("requirements", sa.Text(), nullable=False),
        sa.Column("requirements_en", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("green", "yellow", "red", name="task_status", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("status_reason", sa.String(length=300), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_key_tasks_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_key_tasks_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["users.id"], name=op.f("fk_key_tasks_leader_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_key_tasks_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_tasks")),
        sa.UniqueConstraint("year", "number", name="uq_key_tasks_year_number"),
    )
    with op.batch_alter_table("key_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_key_tasks_department", ["department_id", "year"], unique=False)
        batch_op.create_index("ix_key_tasks_owner", ["owner_id", "year"], unique=False)

    op.create_table(
        "task_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("up", "down", name="indicator_direction", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("baseline", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("target", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.CheckConstraint("target >= 0", name=op.f("ck_task_indicators_target_not_negative")),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["key_tasks.id"],
            name=op.f("fk_task_indicators_task_id_key_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_indicators")),
    )
    with op.batch_alter_table("task_indicators", schema=None) as batch_op:
        batch_op.create_index("ix_task_indicators_task", ["task_id", "position"], unique=False)

    op.create_table(
        "task_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("done_note", sa.Text(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["users.id"], name=op.f("fk_task_milestones_done_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["key_tasks.id"],
            name=op.f("fk_task_milestones_task_id_key_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_milestones")),
    )
    with op.batch_alter_table("task_milestones", schema=None) as batch_op:
        batch_op.create_index("ix_task_milestones_due", ["due_on", "done_on"], unique=False)
        batch_op.create_index("ix_task_milestones_task", ["task_id", "due_on"], unique=False)

    op.create_table(
        "task_status_months",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("green", "yellow", "red", name="task_status", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column(
            "worst_status",
            sa.Enum("green", "yellow", "red", name="task_status", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("progress_percent", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("overdue_milestones", sa.Integer(), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["key_tasks.id"],
            name=op.f("fk_task_status_months_task_id_key_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_status_months")),
        sa.UniqueConstraint("task_id", "month", name="uq_task_status_months"),
    )
    op.create_table(
        "indicator_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=16, scale=4), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["task_indicators.id"],
            name=op.f("fk_indicator_reports_indicator_id_task_indicators"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["users.id"], name=op.f("fk_indicator_reports_reported_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_reports")),
    )
    with op.batch_alter_table("indicator_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_indicator_reports_indicator", ["indicator_id", "reported_on"], unique=False
        )

    op.create_table(
        "supervision_slips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column(
            "colour",
            sa.Enum("blue", "yellow", "red", name="slip_colour", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column(
            "origin",
            sa.Enum("rule", "supervisor", name="slip_origin", native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column("cause_key", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requirements", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "issued",
                "signed",
                "answered",
                "returned",
                "closed",
                name="slip_state",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_supervision_slips_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_supervision_slips_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["task_milestones.id"],
            name=op.f("fk_supervision_slips_milestone_id_task_milestones"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["users.id"], name=op.f("fk_supervision_slips_signed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["key_tasks.id"],
            name=op.f("fk_supervision_slips_task_id_key_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_slips")),
        sa.UniqueConstraint("year", "serial", name="uq_supervision_slips_serial"),
    )
    with op.batch_alter_table("supervision_slips", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supervision_slips_state_deadline", ["state", "deadline"], unique=False
        )
        batch_op.create_index("ix_supervision_slips_task", ["task_id", "id"], unique=False)
        batch_op.create_index(
            "uq_supervision_slips_open_cause",
            ["task_id", "colour", "cause_key"],
            unique=True,
            sqlite_where=sa.text("state <> 'closed' AND cause_key <> ''"),
            postgresql_where=sa.text("state <> 'closed' AND cause_key <> ''"),
        )

    op.create_table(
        "supervision_slip_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slip_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "issued",
                "signed",
                "answered",
                "returned",
                "closed",
                "reminded",
                name="slip_step_kind",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_id"], ["users.id"], name=op.f("fk_supervision_slip_steps_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["slip_id"],
            ["supervision_slips.id"],
            name=op.f("fk_supervision_slip_steps_slip_id_supervision_slips"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_slip_steps")),
    )
    with op.batch_alter_table("supervision_slip_steps", schema=None) as batch_op:
        batch_op.create_index("ix_supervision_slip_steps_slip", ["slip_id", "id"], unique=False)

    op.create_table(
        "task_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("slip_step_id", sa.Integer(), nullable=True),
        sa.Column("original_name", sa.String(length=200), nullable=False),
        sa.Column("storage_key", sa.String(length=120), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(report_id IS NULL) <> (slip_step_id IS NULL)",
            name=op.f("ck_task_files_exactly_one_owner"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["indicator_reports.id"],
            name=op.f("fk_task_files_report_id_indicator_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["slip_step_id"],
            ["supervision_slip_steps.id"],
            name=op.f("fk_task_files_slip_step_id_supervision_slip_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_task_files_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_files")),
    )
    with op.batch_alter_table("task_files", schema=None) as batch_op:
        batch_op.create_index("ix_task_files_report", ["report_id"], unique=False)
        batch_op.create_index("ix_task_files_slip_step", ["slip_step_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_department_id"), ["department_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_users_department_id_departments"),
            "departments",
            ["department_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_users_department_id_departments"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_users_department_id"))
        batch_op.drop_column("department_id")

    with op.batch_alter_table("task_files", schema=None) as batch_op:
        batch_op.drop_index("ix_task_files_slip_step")
        batch_op.drop_index("ix_task_files_report")

    op.drop_table("task_files")
    with op.batch_alter_table("supervision_slip_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_supervision_slip_steps_slip")

    op.drop_table("supervision_slip_steps")
    with op.batch_alter_table("supervision_slips", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_supervision_slips_open_cause",
            sqlite_where=sa.text("state <> 'closed' AND cause_key <> ''"),
            postgresql_where=sa.text("state <> 'closed' AND cause_key <> ''"),
        )
        batch_op.drop_index("ix_supervision_slips_task")
        batch_op.drop_index("ix_supervision_slips_state_deadline")

    op.drop_table("supervision_slips")
    with op.batch_alter_table("indicator_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_indicator_reports_indicator")

    op.drop_table("indicator_reports")
    op.drop_table("task_status_months")
    with op.batch_alter_table("task_milestones", schema=None) as batch_op:
        batch_op.drop_index("ix_task_milestones_task")
        batch_op.drop_index("ix_task_milestones_due")

    op.drop_table("task_milestones")
    with op.batch_alter_table("task_indicators", schema=None) as batch_op:
        batch_op.drop_index("ix_task_indicators_task")

    op.drop_table("task_indicators")
    with op.batch_alter_table("key_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_key_tasks_owner")
        batch_op.drop_index("ix_key_tasks_department")

    op.drop_table("key_tasks")
    with op.batch_alter_table("goal_tiles", schema=None) as batch_op:
        batch_op.drop_index("ix_goal_tiles_year")

    op.drop_table("goal_tiles")
    op.drop_table("departments")
