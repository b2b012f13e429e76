"""review overview tallies: each reviewer's submitted totals per programme (count, sum and sum
of squares, in cents), the programme's, and the applications in expert review by how many
active reviewers they have

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 20:30:00

A programme's review overview shows each reviewer's z-score: (the reviewer's mean total − the
programme's) / the programme's standard deviation. Both means and the deviation follow from a
count, a sum and a sum of squares, so the database keeps those per (programme, reviewer) and
per programme, as it keeps the other tallies (migration 0006): triggers on ``assignments`` add
and subtract each submitted review's total, and triggers on ``applications`` take an
application's reviews out when it is withdrawn (and back should it leave ``withdrawn``). Totals
are kept in integer cents (and cents squared), so the sums are exact on both databases.

"Short of reviewers" counts the programme's applications in expert review with fewer active
(not declined) assignments than the programme asks for: applications in expert review are
tallied by their number of active assignments, so the count adds up a few rows.

``flask tallies check`` compares all three with a full count; ``flask tallies rebuild``
recounts them.
"""

from alembic import op
import sqlalchemy as sa


revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

SCORED = "status = 'submitted' AND total IS NOT NULL"
SQLITE_TRIGGERS = (
    "score_tallies_insert",
    "score_tallies_update",
    "score_tallies_delete",
    "score_tallies_withdrawn",
    "score_tallies_application_delete",
    "shortfall_tallies_insert",
    "shortfall_tallies_update",
    "shortfall_tallies_move",
    "shortfall_tallies_delete",
    "shortfall_tallies_application_insert",
    "shortfall_tallies_application_update",
    "shortfall_tallies_application_delete",
)


def _program_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["program_id"],
        ["programs.id"],
        name=op.f(f"fk_{table}_program_id_programs"),
        ondelete="CASCADE",
    )


def _sums() -> list[sa.Column]:
    return [
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("squared_cents", sa.BigInteger(), nullable=False),
    ]


def upgrade():
    op.create_table(
        "reviewer_score_tallies",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        *_sums(),
        _program_fk("reviewer_score_tallies"),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_reviewer_score_tallies_reviewer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "program_id", "reviewer_id", name=op.f("pk_reviewer_score_tallies")
        ),
    )
    op.create_table(
        "program_score_tallies",
        sa.Column("program_id", sa.Integer(), nullable=False),
        *_sums(),
        _program_fk("program_score_tallies"),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_program_score_tallies")),
    )
    op.create_table(
        "review_shortfall_tallies",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("active_reviewers", sa.Integer(), nullable=False),
        sa.Column("applications", sa.Integer(), nullable=False),
        _program_fk("review_shortfall_tallies"),
        sa.PrimaryKeyConstraint(
            "program_id", "active_reviewers", name=op.f("pk_review_shortfall_tallies")
        ),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    else:
        _postgresql_triggers()
    cents = _cents("s.total", dialect)
    counted = (
        "FROM assignments s JOIN applications a ON a.id = s.application_id "
        f"WHERE a.status <> 'withdrawn' AND s.{SCORED.replace(' AND total', ' AND s.total')} "
    )
    op.execute(
        "INSERT INTO reviewer_score_tallies "
        "(program_id, reviewer_id, reviews, total_cents, squared_cents) "
        f"SELECT a.program_id, s.reviewer_id, count(*), sum({cents}), sum({cents} * {cents}) "
        f"{counted}GROUP BY a.program_id, s.reviewer_id"
    )
    op.execute(
        "INSERT INTO program_score_tallies (program_id, reviews, total_cents, squared_cents) "
        f"SELECT a.program_id, count(*), sum({cents}), sum({cents} * {cents}) "
        f"{counted}GROUP BY a.program_id"
    )
    op.execute(
        "INSERT INTO review_shortfall_tallies (program_id, active_reviewers, applications) "
        "SELECT program_id, active, count(*) FROM (SELECT a.program_id, "
        "(SELECT count(*) FROM assignments s WHERE s.application_id = a.id "
        "AND s.status <> 'declined') AS active FROM applications a "
        "WHERE a.status = 'expert_review') AS counted GROUP BY program_id, active"
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS overview_tallies ON assignments")
        op.execute("DROP TRIGGER IF EXISTS shortfall_tallies ON assignments")
        op.execute("DROP TRIGGER IF EXISTS overview_tallies_application ON applications")
        op.execute("DROP TRIGGER IF EXISTS overview_tallies_application_delete ON applications")
        for function in (
            "overview_tallies_apply()",
            "shortfall_tallies_apply()",
            "overview_tallies_follow_application()",
            "bump_score_tallies(integer, integer, integer, bigint)",
            "move_shortfall_tally(integer, integer)",
            "bump_shortfall_tally(integer, integer, integer)",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_table("review_shortfall_tallies")
    op.drop_table("program_score_tallies")
    op.drop_table("reviewer_score_tallies")


def _cents(value: str, dialect: str) -> str:
    if dialect == "sqlite":
        return f"CAST(round({value} * 100) AS INTEGER)"
    return f"round({value} * 100)::bigint"


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_bump_score(row: str, sign: str) -> str:
    """Add (sign +) or take away (sign -) one submitted review's total."""
    program = (
        f"(SELECT program_id FROM applications WHERE id = {row}.application_id "
        "AND status <> 'withdrawn')"
    )
    scored = f"{row}.status = 'submitted' AND {row}.total IS NOT NULL AND {program} IS NOT NULL"
    cents = _cents(f"{row}.total", "sqlite")
    change = (
        f"reviews = reviews {sign} 1, total_cents = total_cents {sign} {cents}, "
        f"squared_cents = squared_cents {sign} {cents} * {cents}"
    )
    return (
        "INSERT OR IGNORE INTO reviewer_score_tallies "
        "(program_id, reviewer_id, reviews, total_cents, squared_cents) "
        f"SELECT {program}, {row}.reviewer_id, 0, 0, 0 WHERE {scored}; "
        f"UPDATE reviewer_score_tallies SET {change} WHERE {scored} "
        f"AND program_id = {program} AND reviewer_id = {row}.reviewer_id; "
        "INSERT OR IGNORE INTO program_score_tallies "
        "(program_id, reviews, total_cents, squared_cents) "
        f"SELECT {program}, 0, 0, 0 WHERE {scored}; "
        f"UPDATE program_score_tallies SET {change} WHERE {scored} AND program_id = {program}; "
    )


def _sqlite_application_scores(row: str, sign: str) -> str:
    """Add or take away every submitted review of one application (withdrawn, deleted)."""
    cents = _cents("s.total", "sqlite")
    mine = f"FROM assignments s WHERE s.application_id = {row}.id AND s.{SCORED}".replace(
        "AND total", "AND s.total"
    )

    def change(extra: str) -> str:
        return (
            f"reviews = reviews + {sign} * (SELECT count(*) {mine}{extra}), "
            f"total_cents = total_cents + {sign} * (SELECT COALESCE(sum({cents}), 0) {mine}{extra}), "
            f"squared_cents = squared_cents + {sign} * "
            f"(SELECT COALESCE(sum({cents} * {cents}), 0) {mine}{extra})"
        )

    by_reviewer = " AND s.reviewer_id = reviewer_score_tallies.reviewer_id"
    return (
        "INSERT OR IGNORE INTO reviewer_score_tallies "
        "(program_id, reviewer_id, reviews, total_cents, squared_cents) "
        f"SELECT DISTINCT {row}.program_id, s.reviewer_id, 0, 0, 0 {mine}; "
        f"UPDATE reviewer_score_tallies SET {change(by_reviewer)} "
        f"WHERE program_id = {row}.program_id AND reviewer_id IN (SELECT s.reviewer_id {mine}); "
        "INSERT OR IGNORE INTO program_score_tallies "
        "(program_id, reviews, total_cents, squared_cents) "
        f"SELECT {row}.program_id, 0, 0, 0 WHERE EXISTS (SELECT 1 {mine}); "
        f"UPDATE program_score_tallies SET {change('')} WHERE program_id = {row}.program_id; "
    )


def _sqlite_move_shortfall(application: str, delta: str) -> str:
    """An application in expert review whose active assignments changed by ``delta`` (after
    the change) moves from the tally row of its former count to that of its present one."""
    active = (
        f"(SELECT count(*) FROM assignments WHERE application_id = {application} "
        "AND status <> 'declined')"
    )
    program = (
        f"(SELECT program_id FROM applications WHERE id = {application} "
        "AND status = 'expert_review')"
    )
    return (
        "INSERT OR IGNORE INTO review_shortfall_tallies "
        "(program_id, active_reviewers, applications) "
        f"SELECT {program}, {active}, 0 WHERE {program} IS NOT NULL AND ({delta}) <> 0; "
        "UPDATE review_shortfall_tallies SET applications = applications + "
        f"CASE WHEN active_reviewers = {active} THEN 1 ELSE -1 END "
        f"WHERE program_id = {program} AND ({delta}) <> 0 "
        f"AND active_reviewers IN ({active}, {active} - ({delta})); "
    )


def _sqlite_count_shortfall(row: str, sign: str, when: str = "1") -> str:
    """An application entering (sign +) or leaving (sign -) expert review, if ``when``."""
    active = (
        f"(SELECT count(*) FROM assignments WHERE application_id = {row}.id "
        "AND status <> 'declined')"
    )
    return (
        "INSERT OR IGNORE INTO review_shortfall_tallies "
        "(program_id, active_reviewers, applications) "
        f"SELECT {row}.program_id, {active}, 0 WHERE {when}; "
        f"UPDATE review_shortfall_tallies SET applications = applications {sign} 1 "
        f"WHERE {when} AND program_id = {row}.program_id AND active_reviewers = {active}; "
    )


def _sqlite_triggers():
    in_review = "'expert_review'"
    statements = {
        "score_tallies_insert": ("AFTER INSERT ON assignments", _sqlite_bump_score("NEW", "+")),
        "score_tallies_update": (
            "AFTER UPDATE OF status, total, application_id, reviewer_id ON assignments",
            _sqlite_bump_score("OLD", "-") + _sqlite_bump_score("NEW", "+"),
        ),
        "score_tallies_delete": ("AFTER DELETE ON assignments", _sqlite_bump_score("OLD", "-")),
        "score_tallies_withdrawn": (
            "AFTER UPDATE OF status ON applications FOR EACH ROW WHEN "
            "(OLD.status = 'withdrawn') <> (NEW.status = 'withdrawn')",
            _sqlite_application_scores(
                "NEW", "(CASE WHEN NEW.status = 'withdrawn' THEN -1 ELSE 1 END)"
            ),
        ),
        # Before the delete, while its assignments (removed by the cascade) are still there.
        "score_tallies_application_delete": (
            "BEFORE DELETE ON applications FOR EACH ROW WHEN OLD.status <> 'withdrawn'",
            _sqlite_application_scores("OLD", "-1"),
        ),
        "shortfall_tallies_insert": (
            "AFTER INSERT ON assignments FOR EACH ROW WHEN NEW.status <> 'declined'",
            _sqlite_move_shortfall("NEW.application_id", "1"),
        ),
        "shortfall_tallies_update": (
            "AFTER UPDATE OF status ON assignments FOR EACH ROW WHEN "
            "OLD.application_id = NEW.application_id "
            "AND (OLD.status <> 'declined') <> (NEW.status <> 'declined')",
            _sqlite_move_shortfall(
                "NEW.application_id",
                "(NEW.status <> 'declined') - (OLD.status <> 'declined')",
            ),
        ),
        "shortfall_tallies_move": (
            "AFTER UPDATE OF application_id ON assignments FOR EACH ROW WHEN "
            "OLD.application_id <> NEW.application_id",
            _sqlite_move_shortfall("OLD.application_id", "-(OLD.status <> 'declined')")
            + _sqlite_move_shortfall("NEW.application_id", "(NEW.status <> 'declined')"),
        ),
        "shortfall_tallies_delete": (
            "AFTER DELETE ON assignments FOR EACH ROW WHEN OLD.status <> 'declined'",
            _sqlite_move_shortfall("OLD.application_id", "-1"),
        ),
        "shortfall_tallies_application_insert": (
            f"AFTER INSERT ON applications FOR EACH ROW WHEN NEW.status = {in_review}",
            _sqlite_count_shortfall("NEW", "+"),
        ),
        # Leaving review takes the old row's count down, entering puts the new row's up (both
        # when an application in review changes programme).
        "shortfall_tallies_application_update": (
            "AFTER UPDATE OF status, program_id ON applications FOR EACH ROW WHEN "
            f"(OLD.status = {in_review} OR NEW.status = {in_review}) "
            "AND (OLD.status <> NEW.status OR OLD.program_id <> NEW.program_id)",
            _sqlite_count_shortfall("OLD", "-", f"OLD.status = {in_review}")
            + _sqlite_count_shortfall("NEW", "+", f"NEW.status = {in_review}"),
        ),
        "shortfall_tallies_application_delete": (
            f"BEFORE DELETE ON applications FOR EACH ROW WHEN OLD.status = {in_review}",
            _sqlite_count_shortfall("OLD", "-"),
        ),
    }
    for name, (when, body) in statements.items():
        if "FOR EACH ROW" not in when:
            when += " FOR EACH ROW"
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body}END")


# --- PostgreSQL -----------------------------------------------------------------------------


def _postgresql_triggers():
    op.execute(
        """
CREATE FUNCTION bump_score_tallies(p integer, r integer, sign integer, cents bigint)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO reviewer_score_tallies AS t (program_id, reviewer_id, reviews, total_cents, squared_cents)
  VALUES (p, r, sign, sign * cents, sign * cents * cents)
  ON CONFLICT (program_id, reviewer_id) DO UPDATE
  SET reviews = t.reviews + EXCLUDED.reviews,
      total_cents = t.total_cents + EXCLUDED.total_cents,
      squared_cents = t.squared_cents + EXCLUDED.squared_cents;
  INSERT INTO program_score_tallies AS t (program_id, reviews, total_cents, squared_cents)
  VALUES (p, sign, sign * cents, sign * cents * cents)
  ON CONFLICT (program_id) DO UPDATE
  SET reviews = t.reviews + EXCLUDED.reviews,
      total_cents = t.total_cents + EXCLUDED.total_cents,
      squared_cents = t.squared_cents + EXCLUDED.squared_cents
$$"""
    )
    op.execute(
        """
CREATE FUNCTION bump_shortfall_tally(p integer, k integer, n integer)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO review_shortfall_tallies AS t (program_id, active_reviewers, applications)
  VALUES (p, k, n)
  ON CONFLICT (program_id, active_reviewers) DO UPDATE
  SET applications = t.applications + EXCLUDED.applications
$$"""
    )
    # An application in expert review whose active assignments are about to change by delta
    # moves from its present count's row to the next one's, lower key first. Counted before
    # the change (a BEFORE trigger): AFTER row triggers run at the end of the statement, when
    # a multi-row INSERT or UPDATE has changed every row, but a BEFORE trigger sees the rows
    # the statement changed before this one and not this one.
    op.execute(
        """
CREATE FUNCTION move_shortfall_tally(application integer, delta integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  program integer;
  active integer;
BEGIN
  IF delta = 0 THEN RETURN; END IF;
  SELECT program_id INTO program FROM applications
   WHERE id = application AND status = 'expert_review';
  IF program IS NULL THEN RETURN; END IF;
  SELECT count(*) INTO active FROM assignments
   WHERE application_id = application AND status <> 'declined';
  IF delta > 0 THEN
    PERFORM bump_shortfall_tally(program, active, -1);
    PERFORM bump_shortfall_tally(program, active + delta, 1);
  ELSE
    PERFORM bump_shortfall_tally(program, active + delta, 1);
    PERFORM bump_shortfall_tally(program, active, -1);
  END IF;
END $$"""
    )
    op.execute(
        """
CREATE FUNCTION shortfall_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.application_id = NEW.application_id THEN
    PERFORM move_shortfall_tally(NEW.application_id,
      (NEW.status <> 'declined')::integer - (OLD.status <> 'declined')::integer);
  ELSE
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'declined' THEN
      PERFORM move_shortfall_tally(OLD.application_id, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status <> 'declined' THEN
      PERFORM move_shortfall_tally(NEW.application_id, 1);
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$"""
    )
    op.execute(
        "CREATE TRIGGER shortfall_tallies BEFORE INSERT OR DELETE OR UPDATE OF "
        "status, application_id ON assignments "
        "FOR EACH ROW EXECUTE FUNCTION shortfall_tallies_apply()"
    )
    op.execute(
        """
CREATE FUNCTION overview_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  program integer;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'submitted' AND OLD.total IS NOT NULL THEN
    SELECT program_id INTO program FROM applications
     WHERE id = OLD.application_id AND status <> 'withdrawn';
    IF program IS NOT NULL THEN
      PERFORM bump_score_tallies(program, OLD.reviewer_id, -1, round(OLD.total * 100)::bigint);
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'submitted' AND NEW.total IS NOT NULL THEN
    SELECT program_id INTO program FROM applications
     WHERE id = NEW.application_id AND status <> 'withdrawn';
    IF program IS NOT NULL THEN
      PERFORM bump_score_tallies(program, NEW.reviewer_id, 1, round(NEW.total * 100)::bigint);
    END IF;
  END IF;
  RETURN NULL;
END $$"""
    )
    op.execute(
        "CREATE TRIGGER overview_tallies AFTER INSERT OR DELETE OR UPDATE OF "
        "status, total, application_id, reviewer_id ON assignments "
        "FOR EACH ROW EXECUTE FUNCTION overview_tallies_apply()"
    )
    op.execute(
        """
CREATE FUNCTION overview_tallies_follow_application() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sign integer;
  active integer;
  review record;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'withdrawn' THEN
      FOR review IN SELECT reviewer_id, total FROM assignments
                    WHERE application_id = OLD.id AND status = 'submitted' AND total IS NOT NULL
                    ORDER BY reviewer_id LOOP
        PERFORM bump_score_tallies(OLD.program_id, review.reviewer_id, -1,
          round(review.total * 100)::bigint);
      END LOOP;
    END IF;
    IF OLD.status = 'expert_review' THEN
      SELECT count(*) INTO active FROM assignments
       WHERE application_id = OLD.id AND status <> 'declined';
      PERFORM bump_shortfall_tally(OLD.program_id, active, -1);
    END IF;
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' THEN
    IF NEW.status = 'expert_review' THEN
      SELECT count(*) INTO active FROM assignments
       WHERE application_id = NEW.id AND status <> 'declined';
      PERFORM bump_shortfall_tally(NEW.program_id, active, 1);
    END IF;
    RETURN NULL;
  END IF;
  IF (OLD.status = 'withdrawn') <> (NEW.status = 'withdrawn') THEN
    sign := CASE WHEN NEW.status = 'withdrawn' THEN -1 ELSE 1 END;
    FOR review IN SELECT reviewer_id, total FROM assignments
                  WHERE application_id = NEW.id AND status = 'submitted' AND total IS NOT NULL
                  ORDER BY reviewer_id LOOP
      PERFORM bump_score_tallies(NEW.program_id, review.reviewer_id, sign,
        round(review.total * 100)::bigint);
    END LOOP;
  END IF;
  IF (OLD.status = 'expert_review' OR NEW.status = 'expert_review')
     AND (OLD.status <> NEW.status OR OLD.program_id <> NEW.program_id) THEN
    SELECT count(*) INTO active FROM assignments
     WHERE application_id = NEW.id AND status <> 'declined';
    IF OLD.status = 'expert_review' THEN
      PERFORM bump_shortfall_tally(OLD.program_id, active, -1);
    END IF;
    IF NEW.status = 'expert_review' THEN
      PERFORM bump_shortfall_tally(NEW.program_id, active, 1);
    END IF;
  END IF;
  RETURN NULL;
END $$"""
    )
    op.execute(
        "CREATE TRIGGER overview_tallies_application_delete BEFORE DELETE ON applications "
        "FOR EACH ROW EXECUTE FUNCTION overview_tallies_follow_application()"
    )
    op.execute(
        "CREATE TRIGGER overview_tallies_application AFTER INSERT OR UPDATE OF status, program_id "
        "ON applications FOR EACH ROW EXECUTE FUNCTION overview_tallies_follow_application()"
    )
