"""running tallies of applications and reviews, audit events linked to their application, and
the indexes that keep the busiest pages as fast at 100,000 applications as at 1,000

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 11:40:00

The dashboard and the officers' queue need counts and sums over every application of a
programme. Counting 100,000 rows on every page view costs a hundred times what counting 1,000
does, so the database keeps the figures itself: triggers on ``applications`` and
``assignments`` add and subtract each row's contribution to one tally row per
(programme, status, decision) and per (programme, assignment status). Triggers, not
application code, so that no write path (bulk loads, scripts, a future service) can forget
them. ``flask tallies check`` compares them with a full count.

Open assignments are also tallied by the UTC day they are due, so that counting the overdue
ones reads one row per day instead of one per assignment.

Assignments of withdrawn applications do not count (as everywhere in expert review): the
application triggers move them out of (and back into) the review tallies when an application
enters (or leaves) ``withdrawn``.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APPLICATION_COLUMNS = "program_id, status, decision, requested_amount, decided_amount"
QUEUE_INDEXES = {
    "ix_applications_queue": "{newest}",
    "ix_applications_queue_program": "program_id, {newest}",
    "ix_applications_queue_status": "status, {newest}",
    "ix_applications_queue_score": "{best}",
    "ix_applications_queue_program_score": "program_id, {best}",
    "ix_applications_queue_spread": "review_spread DESC{nulls_last}, id DESC",
}


def upgrade():
    op.create_table(
        "application_tallies",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("applications", sa.Integer(), nullable=False),
        sa.Column("requested", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("decided", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_application_tallies_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "program_id", "status", "decision", name=op.f("pk_application_tallies")
        ),
    )
    op.create_table(
        "review_tallies",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assignments", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_review_tallies_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", "status", name=op.f("pk_review_tallies")),
    )
    # Open assignments by the (UTC) day they are due: the overdue count adds up the days
    # before today and counts only today's assignments one by one.
    op.create_table(
        "review_due_tallies",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("due_day", sa.Date(), nullable=False),
        sa.Column("assignments", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_review_due_tallies_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", "due_day", name=op.f("pk_review_due_tallies")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    else:
        _postgresql_triggers()
    op.execute(
        "INSERT INTO application_tallies (program_id, status, decision, applications, requested, decided) "
        "SELECT program_id, status, COALESCE(decision, ''), count(*), "
        "COALESCE(sum(requested_amount), 0), COALESCE(sum(decided_amount), 0) "
        "FROM applications GROUP BY program_id, status, COALESCE(decision, '')"
    )
    op.execute(
        "INSERT INTO review_tallies (program_id, status, assignments) "
        "SELECT a.program_id, s.status, count(*) FROM assignments s "
        "JOIN applications a ON a.id = s.application_id WHERE a.status <> 'withdrawn' "
        "GROUP BY a.program_id, s.status"
    )
    due_day = "date(s.due_at)" if dialect == "sqlite" else "(s.due_at AT TIME ZONE 'UTC')::date"
    op.execute(
        "INSERT INTO review_due_tallies (program_id, due_day, assignments) "
        f"SELECT a.program_id, {due_day}, count(*) FROM assignments s "
        "JOIN applications a ON a.id = s.application_id WHERE a.status <> 'withdrawn' "
        f"AND s.status = 'assigned' AND s.due_at IS NOT NULL GROUP BY a.program_id, {due_day}"
    )

    # Audit events about an application, whether recorded on it or on one of its assignments,
    # objections or letters (which name it in their summary): one indexed column to read its
    # timeline by, instead of a scan of the whole log for a JSON value.
    op.add_column("audit_events", sa.Column("application_id", sa.Integer(), nullable=True))
    _backfill_audit_application_ids(dialect)
    op.create_index("ix_audit_events_application", "audit_events", ["application_id", "id"])

    # The officers' queue in each of its sorts (newest submission first, whole or by programme
    # or status; best score, whole or by programme; widest spread): read in index order so
    # that a page costs the same however many rows precede it. SQLite sorts NULL first, so a
    # descending index already puts them last; PostgreSQL needs NULLS LAST said.
    nulls_last = " NULLS LAST" if dialect == "postgresql" else ""
    newest = f"last_submitted_at DESC{nulls_last}, id DESC"
    best = f"final_score DESC{nulls_last}, review_mean DESC{nulls_last}, id DESC"
    for name, columns in QUEUE_INDEXES.items():
        op.execute(
            f"CREATE INDEX {name} ON applications "
            f"({columns.format(newest=newest, best=best, nulls_last=nulls_last)})"
        )
    # The ranked list: a programme's applications awaiting decision in ranked order, with the
    # columns the ranking reads, so that ranking them reads the index alone (the rows of
    # applications are wide; reading thousands of them costs more than the ranking).
    key = "program_id, status, final_score DESC{nulls}, first_submitted_at, id"
    covered = "decision, decided_amount, requested_amount, formula_amount, lock_version"
    op.drop_index("ix_applications_program_status", table_name="applications")
    if dialect == "postgresql":
        op.execute(
            f"CREATE INDEX ix_applications_ranking ON applications "
            f"({key.format(nulls=' NULLS LAST')}) INCLUDE ({covered})"
        )
    else:
        op.execute(
            f"CREATE INDEX ix_applications_ranking ON applications ({key.format(nulls='')}, {covered})"
        )
    # The same for programmes without expert review, ranked first come first served.
    by_time = "program_id, status, first_submitted_at, id"
    covered_by_time = f"final_score, {covered}"
    if dialect == "postgresql":
        op.execute(
            f"CREATE INDEX ix_applications_ranking_by_time ON applications ({by_time}) "
            f"INCLUDE ({covered_by_time})"
        )
    else:
        op.execute(
            f"CREATE INDEX ix_applications_ranking_by_time ON applications "
            f"({by_time}, {covered_by_time})"
        )
    # From an assignment to its application's programme and status without reading the row.
    op.create_index("ix_applications_programme_of", "applications", ["id", "program_id", "status"])
    # The reviewer's queue (own assignments by status and due date) and the overdue count.
    op.create_index(
        "ix_assignments_reviewer_queue", "assignments", ["reviewer_id", "status", "due_at", "id"]
    )
    op.drop_index("ix_assignments_reviewer_status", table_name="assignments")
    op.create_index(
        "ix_assignments_status_due", "assignments", ["status", "due_at", "application_id"]
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_assignments_status_due", table_name="assignments")
    op.create_index("ix_assignments_reviewer_status", "assignments", ["reviewer_id", "status"])
    op.drop_index("ix_assignments_reviewer_queue", table_name="assignments")
    op.drop_index("ix_applications_programme_of", table_name="applications")
    op.drop_index("ix_applications_ranking", table_name="applications")
    op.drop_index("ix_applications_ranking_by_time", table_name="applications")
    op.create_index("ix_applications_program_status", "applications", ["program_id", "status"])
    for name in QUEUE_INDEXES:
        op.drop_index(name, table_name="applications")
    op.drop_index("ix_audit_events_application", table_name="audit_events")
    if dialect == "sqlite":
        op.execute("ALTER TABLE audit_events DROP COLUMN application_id")
        for name in (
            "application_tallies_insert",
            "application_tallies_update",
            "application_tallies_delete",
            "review_tallies_withdrawn",
            "review_tallies_application_delete",
            "review_tallies_insert",
            "review_tallies_update",
            "review_tallies_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.drop_column("audit_events", "application_id")
        op.execute("DROP TRIGGER IF EXISTS application_tallies ON applications")
        op.execute("DROP TRIGGER IF EXISTS review_tallies_application ON applications")
        op.execute("DROP TRIGGER IF EXISTS review_tallies ON assignments")
        for function in (
            "application_tallies_apply()",
            "review_tallies_follow_application()",
            "review_tallies_apply()",
            "bump_application_tally(integer, text, text, integer, numeric, numeric)",
            "bump_review_tally(integer, text, integer)",
            "bump_due_tally(integer, date, integer)",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_table("review_due_tallies")
    op.drop_table("review_tallies")
    op.drop_table("application_tallies")


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_bump_application(row: str, sign: str) -> str:
    key = (
        f"program_id = {row}.program_id AND status = {row}.status "
        f"AND decision = COALESCE({row}.decision, '')"
    )
    return (
        "INSERT OR IGNORE INTO application_tallies "
        "(program_id, status, decision, applications, requested, decided) "
        f"VALUES ({row}.program_id, {row}.status, COALESCE({row}.decision, ''), 0, 0, 0); "
        f"UPDATE application_tallies SET applications = applications {sign} 1, "
        f"requested = requested {sign} COALESCE({row}.requested_amount, 0), "
        f"decided = decided {sign} COALESCE({row}.decided_amount, 0) WHERE {key}; "
    )


def _sqlite_bump_review(row: str, sign: str) -> str:
    counted = (
        f"(SELECT program_id FROM applications WHERE id = {row}.application_id "
        "AND status <> 'withdrawn')"
    )
    return (
        "INSERT OR IGNORE INTO review_tallies (program_id, status, assignments) "
        f"SELECT {counted}, {row}.status, 0 WHERE {counted} IS NOT NULL; "
        f"UPDATE review_tallies SET assignments = assignments {sign} 1 "
        f"WHERE program_id = {counted} AND status = {row}.status; "
        "INSERT OR IGNORE INTO review_due_tallies (program_id, due_day, assignments) "
        f"SELECT {counted}, date({row}.due_at), 0 WHERE {counted} IS NOT NULL "
        f"AND {row}.status = 'assigned' AND {row}.due_at IS NOT NULL; "
        f"UPDATE review_due_tallies SET assignments = assignments {sign} 1 "
        f"WHERE program_id = {counted} AND due_day = date({row}.due_at) "
        f"AND {row}.status = 'assigned'; "
    )


def _sqlite_triggers():
    statements = {
        "application_tallies_insert": (
            "AFTER INSERT ON applications",
            _sqlite_bump_application("NEW", "+"),
        ),
        "application_tallies_update": (
            f"AFTER UPDATE OF {APPLICATION_COLUMNS} ON applications",
            _sqlite_bump_application("OLD", "-") + _sqlite_bump_application("NEW", "+"),
        ),
        "application_tallies_delete": (
            "AFTER DELETE ON applications",
            _sqlite_bump_application("OLD", "-"),
        ),
        # An application entering withdrawn takes its assignments out of the review tallies;
        # leaving it (should that ever be allowed) puts them back.
        "review_tallies_withdrawn": (
            "AFTER UPDATE OF status ON applications FOR EACH ROW WHEN "
            "(OLD.status = 'withdrawn') <> (NEW.status = 'withdrawn')",
            "INSERT OR IGNORE INTO review_tallies (program_id, status, assignments) "
            "SELECT DISTINCT NEW.program_id, status, 0 FROM assignments "
            "WHERE application_id = NEW.id; "
            "UPDATE review_tallies SET assignments = assignments + "
            "(CASE WHEN NEW.status = 'withdrawn' THEN -1 ELSE 1 END) * "
            "(SELECT count(*) FROM assignments s WHERE s.application_id = NEW.id "
            "AND s.status = review_tallies.status) WHERE program_id = NEW.program_id; "
            "INSERT OR IGNORE INTO review_due_tallies (program_id, due_day, assignments) "
            "SELECT DISTINCT NEW.program_id, date(due_at), 0 FROM assignments "
            "WHERE application_id = NEW.id AND status = 'assigned' AND due_at IS NOT NULL; "
            "UPDATE review_due_tallies SET assignments = assignments + "
            "(CASE WHEN NEW.status = 'withdrawn' THEN -1 ELSE 1 END) * "
            "(SELECT count(*) FROM assignments s WHERE s.application_id = NEW.id "
            "AND s.status = 'assigned' AND date(s.due_at) = review_due_tallies.due_day) "
            "WHERE program_id = NEW.program_id; ",
        ),
        # Before the delete, while its assignments (removed by the cascade) are still there.
        "review_tallies_application_delete": (
            "BEFORE DELETE ON applications FOR EACH ROW WHEN OLD.status <> 'withdrawn'",
            "UPDATE review_tallies SET assignments = assignments - "
            "(SELECT count(*) FROM assignments s WHERE s.application_id = OLD.id "
            "AND s.status = review_tallies.status) WHERE program_id = OLD.program_id; "
            "UPDATE review_due_tallies SET assignments = assignments - "
            "(SELECT count(*) FROM assignments s WHERE s.application_id = OLD.id "
            "AND s.status = 'assigned' AND date(s.due_at) = review_due_tallies.due_day) "
            "WHERE program_id = OLD.program_id; ",
        ),
        "review_tallies_insert": ("AFTER INSERT ON assignments", _sqlite_bump_review("NEW", "+")),
        "review_tallies_update": (
            "AFTER UPDATE OF status, application_id, due_at ON assignments",
            _sqlite_bump_review("OLD", "-") + _sqlite_bump_review("NEW", "+"),
        ),
        "review_tallies_delete": ("AFTER DELETE ON assignments", _sqlite_bump_review("OLD", "-")),
    }
    for name, (when, body) in statements.items():
        if "FOR EACH ROW" not in when:
            when += " FOR EACH ROW"
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body}END")


# --- PostgreSQL -----------------------------------------------------------------------------


def _postgresql_triggers():
    op.execute(
        """
CREATE FUNCTION bump_application_tally(p integer, s text, d text, n integer, r numeric, a numeric)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO application_tallies AS t (program_id, status, decision, applications, requested, decided)
  VALUES (p, s, d, n, r, a)
  ON CONFLICT (program_id, status, decision) DO UPDATE
  SET applications = t.applications + EXCLUDED.applications,
      requested = t.requested + EXCLUDED.requested,
      decided = t.decided + EXCLUDED.decided
$$"""
    )
    op.execute(
        """
CREATE FUNCTION bump_review_tally(p integer, s text, n integer)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO review_tallies AS t (program_id, status, assignments) VALUES (p, s, n)
  ON CONFLICT (program_id, status) DO UPDATE SET assignments = t.assignments + EXCLUDED.assignments
$$"""
    )
    op.execute(
        """
CREATE FUNCTION bump_due_tally(p integer, d date, n integer)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO review_due_tallies AS t (program_id, due_day, assignments) VALUES (p, d, n)
  ON CONFLICT (program_id, due_day) DO UPDATE SET assignments = t.assignments + EXCLUDED.assignments
$$"""
    )
    # The two rows an update touches are locked in key order, so that two transactions moving
    # applications in opposite directions cannot deadlock on them.
    op.execute(
        """
CREATE FUNCTION application_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_key text;
  new_key text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM bump_application_tally(NEW.program_id, NEW.status::text, COALESCE(NEW.decision, ''),
      1, COALESCE(NEW.requested_amount, 0), COALESCE(NEW.decided_amount, 0));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM bump_application_tally(OLD.program_id, OLD.status::text, COALESCE(OLD.decision, ''),
      -1, -COALESCE(OLD.requested_amount, 0), -COALESCE(OLD.decided_amount, 0));
  ELSE
    old_key := OLD.program_id || '/' || OLD.status || '/' || COALESCE(OLD.decision, '');
    new_key := NEW.program_id || '/' || NEW.status || '/' || COALESCE(NEW.decision, '');
    IF old_key <= new_key THEN
      PERFORM bump_application_tally(OLD.program_id, OLD.status::text, COALESCE(OLD.decision, ''),
        -1, -COALESCE(OLD.requested_amount, 0), -COALESCE(OLD.decided_amount, 0));
      PERFORM bump_application_tally(NEW.program_id, NEW.status::text, COALESCE(NEW.decision, ''),
        1, COALESCE(NEW.requested_amount, 0), COALESCE(NEW.decided_amount, 0));
    ELSE
      PERFORM bump_application_tally(NEW.program_id, NEW.status::text, COALESCE(NEW.decision, ''),
        1, COALESCE(NEW.requested_amount, 0), COALESCE(NEW.decided_amount, 0));
      PERFORM bump_application_tally(OLD.program_id, OLD.status::text, COALESCE(OLD.decision, ''),
        -1, -COALESCE(OLD.requested_amount, 0), -COALESCE(OLD.decided_amount, 0));
    END IF;
  END IF;
  RETURN NULL;
END $$"""
    )
    op.execute(
        f"CREATE TRIGGER application_tallies AFTER INSERT OR DELETE OR UPDATE OF "
        f"{APPLICATION_COLUMNS} ON applications FOR EACH ROW EXECUTE FUNCTION application_tallies_apply()"
    )
    op.execute(
        """
CREATE FUNCTION review_tallies_follow_application() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sign integer;
  row record;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status = 'withdrawn' THEN RETURN OLD; END IF;
    sign := -1;
    FOR row IN SELECT status::text AS status, count(*) AS n FROM assignments
               WHERE application_id = OLD.id GROUP BY status ORDER BY status LOOP
      PERFORM bump_review_tally(OLD.program_id, row.status, -row.n::integer);
    END LOOP;
    FOR row IN SELECT (due_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM assignments
               WHERE application_id = OLD.id AND status = 'assigned' AND due_at IS NOT NULL
               GROUP BY 1 ORDER BY 1 LOOP
      PERFORM bump_due_tally(OLD.program_id, row.day, -row.n::integer);
    END LOOP;
    RETURN OLD;
  END IF;
  IF (OLD.status = 'withdrawn') = (NEW.status = 'withdrawn') THEN RETURN NEW; END IF;
  sign := CASE WHEN NEW.status = 'withdrawn' THEN -1 ELSE 1 END;
  FOR row IN SELECT status::text AS status, count(*) AS n FROM assignments
             WHERE application_id = NEW.id GROUP BY status ORDER BY status LOOP
    PERFORM bump_review_tally(NEW.program_id, row.status, sign * row.n::integer);
  END LOOP;
  FOR row IN SELECT (due_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n FROM assignments
             WHERE application_id = NEW.id AND status = 'assigned' AND due_at IS NOT NULL
             GROUP BY 1 ORDER BY 1 LOOP
    PERFORM bump_due_tally(NEW.program_id, row.day, sign * row.n::integer);
  END LOOP;
  RETURN NEW;
END $$"""
    )
    op.execute(
        "CREATE TRIGGER review_tallies_application BEFORE DELETE OR UPDATE OF status ON applications "
        "FOR EACH ROW EXECUTE FUNCTION review_tallies_follow_application()"
    )
    op.execute(
        """
CREATE FUNCTION review_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  program integer;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT program_id INTO program FROM applications
     WHERE id = OLD.application_id AND status <> 'withdrawn';
    IF program IS NOT NULL THEN
      PERFORM bump_review_tally(program, OLD.status::text, -1);
      IF OLD.status = 'assigned' AND OLD.due_at IS NOT NULL THEN
        PERFORM bump_due_tally(program, (OLD.due_at AT TIME ZONE 'UTC')::date, -1);
      END IF;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT program_id INTO program FROM applications
     WHERE id = NEW.application_id AND status <> 'withdrawn';
    IF program IS NOT NULL THEN
      PERFORM bump_review_tally(program, NEW.status::text, 1);
      IF NEW.status = 'assigned' AND NEW.due_at IS NOT NULL THEN
        PERFORM bump_due_tally(program, (NEW.due_at AT TIME ZONE 'UTC')::date, 1);
      END IF;
    END IF;
  END IF;
  RETURN NULL;
END $$"""
    )
    op.execute(
        "CREATE TRIGGER review_tallies AFTER INSERT OR DELETE OR UPDATE OF status, application_id, due_at "
        "ON assignments FOR EACH ROW EXECUTE FUNCTION review_tallies_apply()"
    )


# --- audit events -----------------------------------------------------------------------------


def _backfill_audit_application_ids(dialect: str) -> None:
    """The log is append-only; its guard is lifted for this one backfill and put back."""
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute(
            "UPDATE audit_events SET application_id = CASE WHEN object_type = 'applications' "
            "THEN CAST(object_id AS INTEGER) "
            "WHEN json_type(summary, '$.application_id') = 'integer' "
            "THEN json_extract(summary, '$.application_id') END"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        )
    else:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")
        op.execute(
            "UPDATE audit_events SET application_id = CASE WHEN object_type = 'applications' "
            "AND object_id ~ '^[0-9]+$' THEN object_id::integer "
            "WHEN (summary->>'application_id') ~ '^[0-9]+$' "
            "THEN (summary->>'application_id')::integer END"
        )
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change")
