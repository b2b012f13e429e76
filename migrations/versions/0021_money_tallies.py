"""money tallies: awarded, due, paid and recovered per programme and year, and the days from
the final award to the first payment, kept by the database

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 20:30:00

The dashboard and the money export need sums over every tranche of a programme. As for the
application tallies (migration 0006), triggers on ``tranches`` add and subtract each row's
contribution, so that reading the figures costs a few rows per programme at 100,000 awards as
at 1,000; ``flask tallies check`` compares them with a full count.

Each figure is counted in the bureau year (Asia/Shanghai) of its own event:

- ``awarded``: tranches not cancelled, in the year the agreement was offered;
- ``due``: tranches due or in a payment batch, in the year they fell due;
- ``paid``: tranches paid, in the year of ``paid_on``;
- ``recovered``: repayments recorded on recovery cases (``recovery_repayments``, migration
  0019), in the year of ``paid_on``.

``money_payment_days`` is a histogram: paid first tranches of a programme by the number of
days from the award becoming final (``applications.awarded_at``, else the agreement's offer)
to ``paid_on``. The median and the worst are read from it in one row per distinct day count.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy import inspect


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TRANCHE_COLUMNS = (
    "program_id, agreement_id, application_id, position, status, amount, due_at, paid_on"
)
# The recovery stage's repayments (migration 0019): (table, amount, day, programme of a row).
REPAYMENT_COLUMNS = "case_id, amount, paid_on"
SQLITE_TRIGGERS = (
    "money_tallies_insert",
    "money_tallies_update",
    "money_tallies_delete",
    "money_tallies_repayment_insert",
    "money_tallies_repayment_update",
    "money_tallies_repayment_delete",
)


def upgrade():
    op.create_table(
        "money_tallies",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("awarded", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("due", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("paid", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("recovered", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("tranches_due", sa.Integer(), nullable=False),
        sa.Column("tranches_paid", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_money_tallies_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", "year", name=op.f("pk_money_tallies")),
    )
    op.create_table(
        "money_payment_days",
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("tranches", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_money_payment_days_program_id_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", "days", name=op.f("pk_money_payment_days")),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    else:
        _postgresql_triggers()
    _fill(dialect)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS money_tallies ON tranches")
        op.execute("DROP TRIGGER IF EXISTS money_tallies_repayments ON recovery_repayments")
        for function in (
            "money_tallies_apply()",
            "money_tallies_repayment_apply()",
            "money_tally_tranche(integer, integer, integer, integer, text, numeric, "
            "timestamptz, date, integer)",
            "bump_money_tally(integer, integer, numeric, numeric, numeric, numeric, integer, "
            "integer)",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.drop_table("money_payment_days")
    op.drop_table("money_tallies")


# --- SQLite ---------------------------------------------------------------------------------

SQLITE_YEAR = "CAST(strftime('%Y', {value}, '+8 hours') AS INTEGER)"


def _sqlite_offered(row: str) -> str:
    return f"(SELECT offered_at FROM agreements WHERE id = {row}.agreement_id)"


def _sqlite_bump(
    row: str, year: str, column: str, amount: str, count: str, when: str, program: str = ""
) -> str:
    program = program or f"{row}.program_id"
    counted = f", {count} = {count} + ({amount_sign(amount)})" if count else ""
    return (
        "INSERT OR IGNORE INTO money_tallies (program_id, year, awarded, due, paid, recovered, "
        f"tranches_due, tranches_paid) SELECT {program}, {year}, 0, 0, 0, 0, 0, 0 "
        f"WHERE {when}; "
        f"UPDATE money_tallies SET {column} = {column} + ({amount}){counted} "
        f"WHERE program_id = {program} AND year = {year} AND {when}; "
    )


def amount_sign(amount: str) -> str:
    # "+ NEW.amount" -> "+1", "- OLD.amount" -> "-1": the count moves with the amount's sign.
    return "1" if amount.startswith("+") else "-1"


def _sqlite_tranche(row: str, sign: str) -> str:
    offered = _sqlite_offered(row)
    amount = f"{sign} {row}.amount"
    awarded_year = SQLITE_YEAR.format(value=offered)
    due_year = SQLITE_YEAR.format(value=f"COALESCE({row}.due_at, {offered})")
    paid_year = (
        f"CAST(strftime('%Y', COALESCE({row}.paid_on, date({offered}, '+8 hours'))) AS INTEGER)"
    )
    awarded_at = f"(SELECT COALESCE(awarded_at, {offered}) FROM applications WHERE id = {row}.application_id)"
    days = f"CAST(julianday({row}.paid_on) - julianday(date({awarded_at}, '+8 hours')) AS INTEGER)"
    first_paid = f"{row}.status = 'paid' AND {row}.position = 1 AND {row}.paid_on IS NOT NULL"
    return (
        _sqlite_bump(row, awarded_year, "awarded", amount, "", f"{row}.status <> 'cancelled'")
        + _sqlite_bump(
            row, due_year, "due", amount, "tranches_due", f"{row}.status IN ('due', 'in_batch')"
        )
        + _sqlite_bump(row, paid_year, "paid", amount, "tranches_paid", f"{row}.status = 'paid'")
        + "INSERT OR IGNORE INTO money_payment_days (program_id, days, tranches) "
        f"SELECT {row}.program_id, {days}, 0 WHERE {first_paid}; "
        f"UPDATE money_payment_days SET tranches = tranches {sign} 1 "
        f"WHERE program_id = {row}.program_id AND days = {days} AND {first_paid}; "
    )


def _sqlite_repayment(row: str, sign: str) -> str:
    program = f"(SELECT program_id FROM recovery_cases WHERE id = {row}.case_id)"
    year = f"CAST(strftime('%Y', {row}.paid_on) AS INTEGER)"
    return _sqlite_bump(
        row, year, "recovered", f"{sign} {row}.amount", "", f"{program} IS NOT NULL", program
    )


def _sqlite_triggers() -> None:
    statements = {
        "money_tallies_insert": ("AFTER INSERT ON tranches", _sqlite_tranche("NEW", "+")),
        "money_tallies_update": (
            f"AFTER UPDATE OF {TRANCHE_COLUMNS} ON tranches",
            _sqlite_tranche("OLD", "-") + _sqlite_tranche("NEW", "+"),
        ),
        "money_tallies_delete": ("AFTER DELETE ON tranches", _sqlite_tranche("OLD", "-")),
        "money_tallies_repayment_insert": (
            "AFTER INSERT ON recovery_repayments",
            _sqlite_repayment("NEW", "+"),
        ),
        "money_tallies_repayment_update": (
            f"AFTER UPDATE OF {REPAYMENT_COLUMNS} ON recovery_repayments",
            _sqlite_repayment("OLD", "-") + _sqlite_repayment("NEW", "+"),
        ),
        "money_tallies_repayment_delete": (
            "AFTER DELETE ON recovery_repayments",
            _sqlite_repayment("OLD", "-"),
        ),
    }
    for name, (when, body) in statements.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {body} END")


# --- PostgreSQL -----------------------------------------------------------------------------


def _postgresql_triggers() -> None:
    op.execute(
        """
CREATE FUNCTION bump_money_tally(program integer, yr integer, d_awarded numeric, d_due numeric,
    d_paid numeric, d_recovered numeric, n_due integer, n_paid integer)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO money_tallies AS t (program_id, year, awarded, due, paid, recovered,
      tranches_due, tranches_paid)
  VALUES (program, yr, d_awarded, d_due, d_paid, d_recovered, n_due, n_paid)
  ON CONFLICT (program_id, year) DO UPDATE SET
    awarded = t.awarded + EXCLUDED.awarded, due = t.due + EXCLUDED.due,
    paid = t.paid + EXCLUDED.paid, recovered = t.recovered + EXCLUDED.recovered,
    tranches_due = t.tranches_due + EXCLUDED.tranches_due,
    tranches_paid = t.tranches_paid + EXCLUDED.tranches_paid;
END $$"""
    )
    op.execute(
        """
CREATE FUNCTION money_tally_tranche(program integer, agreement integer, application integer,
    pos integer, st text, amount numeric, due timestamptz, paid date, sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  offered timestamptz;
  awarded timestamptz;
  span integer;
BEGIN
  SELECT offered_at INTO offered FROM agreements WHERE id = agreement;
  IF st <> 'cancelled' THEN
    PERFORM bump_money_tally(program,
      extract(year FROM offered AT TIME ZONE 'Asia/Shanghai')::integer,
      sign * amount, 0, 0, 0, 0, 0);
  END IF;
  IF st IN ('due', 'in_batch') THEN
    PERFORM bump_money_tally(program,
      extract(year FROM COALESCE(due, offered) AT TIME ZONE 'Asia/Shanghai')::integer,
      0, sign * amount, 0, 0, sign, 0);
  END IF;
  IF st = 'paid' THEN
    PERFORM bump_money_tally(program,
      extract(year FROM COALESCE(paid, (offered AT TIME ZONE 'Asia/Shanghai')::date))::integer,
      0, 0, sign * amount, 0, 0, sign);
    IF pos = 1 AND paid IS NOT NULL THEN
      SELECT awarded_at INTO awarded FROM applications WHERE id = application;
      span := paid - (COALESCE(awarded, offered) AT TIME ZONE 'Asia/Shanghai')::date;
      INSERT INTO money_payment_days AS d (program_id, days, tranches)
      VALUES (program, span, sign)
      ON CONFLICT (program_id, days) DO UPDATE SET tranches = d.tranches + EXCLUDED.tranches;
    END IF;
  END IF;
END $$"""
    )
    op.execute(
        """
CREATE FUNCTION money_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM money_tally_tranche(OLD.program_id, OLD.agreement_id, OLD.application_id,
      OLD.position, OLD.status::text, OLD.amount, OLD.due_at, OLD.paid_on, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM money_tally_tranche(NEW.program_id, NEW.agreement_id, NEW.application_id,
      NEW.position, NEW.status::text, NEW.amount, NEW.due_at, NEW.paid_on, 1);
  END IF;
  RETURN NULL;
END $$"""
    )
    op.execute(
        f"CREATE TRIGGER money_tallies AFTER INSERT OR DELETE OR UPDATE OF {TRANCHE_COLUMNS} "
        "ON tranches FOR EACH ROW EXECUTE FUNCTION money_tallies_apply()"
    )
    op.execute(
        """
CREATE FUNCTION money_tallies_repayment_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  program integer;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT program_id INTO program FROM recovery_cases WHERE id = OLD.case_id;
    IF program IS NOT NULL THEN
      PERFORM bump_money_tally(program, extract(year FROM OLD.paid_on)::integer,
        0, 0, 0, -OLD.amount, 0, 0);
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT program_id INTO program FROM recovery_cases WHERE id = NEW.case_id;
    PERFORM bump_money_tally(program, extract(year FROM NEW.paid_on)::integer,
      0, 0, 0, NEW.amount, 0, 0);
  END IF;
  RETURN NULL;
END $$"""
    )
    op.execute(
        f"CREATE TRIGGER money_tallies_repayments AFTER INSERT OR DELETE OR UPDATE OF "
        f"{REPAYMENT_COLUMNS} ON recovery_repayments FOR EACH ROW "
        "EXECUTE FUNCTION money_tallies_repayment_apply()"
    )


# --- the rows already there -------------------------------------------------------------------

YEARS = {
    "sqlite": {
        "awarded": "CAST(strftime('%Y', a.offered_at, '+8 hours') AS INTEGER)",
        "due": "CAST(strftime('%Y', COALESCE(t.due_at, a.offered_at), '+8 hours') AS INTEGER)",
        "paid": "CAST(strftime('%Y', COALESCE(t.paid_on, date(a.offered_at, '+8 hours'))) "
        "AS INTEGER)",
        "days": "CAST(julianday(t.paid_on) - julianday(date(COALESCE(p.awarded_at, a.offered_at), "
        "'+8 hours')) AS INTEGER)",
        "repaid": "CAST(strftime('%Y', r.paid_on) AS INTEGER)",
    },
    "postgresql": {
        "awarded": "extract(year FROM a.offered_at AT TIME ZONE 'Asia/Shanghai')::integer",
        "due": "extract(year FROM COALESCE(t.due_at, a.offered_at) AT TIME ZONE "
        "'Asia/Shanghai')::integer",
        "paid": "extract(year FROM COALESCE(t.paid_on, (a.offered_at AT TIME ZONE "
        "'Asia/Shanghai')::date))::integer",
        "days": "t.paid_on - (COALESCE(p.awarded_at, a.offered_at) AT TIME ZONE "
        "'Asia/Shanghai')::date",
        "repaid": "extract(year FROM r.paid_on)::integer",
    },
}


def _fill(dialect: str) -> None:
    """Count the tranches (and repayments) already written, by the triggers' rules."""
    years = YEARS["sqlite" if dialect == "sqlite" else "postgresql"]
    joined = "FROM tranches t JOIN agreements a ON a.id = t.agreement_id"
    parts = [
        f"SELECT t.program_id, {years['awarded']} AS yr, t.amount AS aw, 0 AS du, 0 AS pd, "
        f"0 AS rc, 0 AS nd, 0 AS np {joined} WHERE t.status <> 'cancelled'",
        f"SELECT t.program_id, {years['due']}, 0, t.amount, 0, 0, 1, 0 {joined} "
        "WHERE t.status IN ('due', 'in_batch')",
        f"SELECT t.program_id, {years['paid']}, 0, 0, t.amount, 0, 0, 1 {joined} "
        "WHERE t.status = 'paid'",
    ]
    parts.append(
        f"SELECT c.program_id, {years['repaid']}, 0, 0, 0, r.amount, 0, 0 "
        "FROM recovery_repayments r JOIN recovery_cases c ON c.id = r.case_id"
    )
    op.execute(
        "INSERT INTO money_tallies (program_id, year, awarded, due, paid, recovered, "
        "tranches_due, tranches_paid) SELECT program_id, yr, sum(aw), sum(du), sum(pd), "
        f"sum(rc), sum(nd), sum(np) FROM ({' UNION ALL '.join(parts)}) AS parts "
        "GROUP BY program_id, yr"
    )
    op.execute(
        "INSERT INTO money_payment_days (program_id, days, tranches) "
        f"SELECT t.program_id, {years['days']}, count(*) {joined} "
        "JOIN applications p ON p.id = t.application_id "
        "WHERE t.status = 'paid' AND t.position = 1 AND t.paid_on IS NOT NULL "
        f"GROUP BY t.program_id, {years['days']}"
    )
