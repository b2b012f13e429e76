"""list indexes: every paged list reads one index range, whatever the tables hold

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 18:00:00

Each list pages by a key (keyset pagination), so each needs an index whose columns are the
list's filter followed by its order, ending in ``id`` (the tie-breaker of every cursor):

- the audit log filtered by action, actor or kind of object, newest first by id;
- the open objections, oldest first (status, submitted_at, id), and the latest resolved ones
  (resolved_at, id);
- the firm accounts, newest first (role, created_at, id);
- the active reviewers by name (role, display_name, id) where the account is not disabled.

Already present and not repeated here: letters (program_id, id) is ``ix_letters_program_issued``
(0004) and applications (program_id, status, first_submitted_at, id) leads
``ix_applications_ranking_by_time`` (0006).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ACTIVE = "disabled_at IS NULL"


def upgrade():
    op.create_index("ix_audit_events_action_id", "audit_events", ["action", "id"])
    op.create_index("ix_audit_events_actor_id_id", "audit_events", ["actor_id", "id"])
    op.create_index("ix_audit_events_object_type_id", "audit_events", ["object_type", "id"])
    op.create_index(
        "ix_objections_status_submitted", "objections", ["status", "submitted_at", "id"]
    )
    # the objections page's "Recently resolved" (the latest 20, newest first)
    op.create_index("ix_objections_resolved", "objections", ["resolved_at", "id"])
    op.create_index("ix_users_role_created", "users", ["role", "created_at", "id"])
    op.create_index(
        "ix_users_reviewers_by_name",
        "users",
        ["role", "display_name", "id"],
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )


def downgrade():
    op.drop_index("ix_users_reviewers_by_name", table_name="users")
    op.drop_index("ix_users_role_created", table_name="users")
    op.drop_index("ix_objections_resolved", table_name="objections")
    op.drop_index("ix_objections_status_submitted", table_name="objections")
    op.drop_index("ix_audit_events_object_type_id", table_name="audit_events")
    op.drop_index("ix_audit_events_actor_id_id", table_name="audit_events")
    op.drop_index("ix_audit_events_action_id", table_name="audit_events")
