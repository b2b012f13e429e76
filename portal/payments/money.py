"""Money at a glance: awarded, due, paid and recovered per programme and year, and the days
from the final award to the first payment, kept by the database.

Triggers on ``tranches`` and on ``recovery_repayments`` (migration 0021) add and subtract
each row's contribution, as the application tallies do
(``portal.applications.tallies``): the dashboard and the money export read a few rows per
programme however many awards there are. Each figure counts in the bureau year of its own
event: awarded in the year the agreement was offered, due in the year it fell due, paid in
the year of payment, recovered in the year repaid.

``PaymentDaysTally`` is a histogram of paid first tranches by days from the award becoming
final (``Application.awarded_at``, the end of publicity; the agreement's offer when missing)
to the day paid: the median and the worst are read from one row per distinct number of days.

The ORM never writes these tables; ``check_money_tallies`` compares them with a full count
(``flask tallies check``) and ``rebuild_money_tallies`` recounts them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Integer, delete, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.extensions import Model, db
from portal.core.money import MONEY_SUM, sum_from_db
from portal.core.timeutil import bureau_today
from portal.payments.report_models import ProgressReport
from portal.payments.report_rules import OWED
from portal.programs.models import Program

ZERO = Decimal("0.00")
FIGURES = ("awarded", "due", "paid", "recovered")


class MoneyTally(Model):
    """A programme's money in one bureau year (see the module's docstring for which year)."""

    __tablename__ = "money_tallies"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    awarded: Mapped[Decimal] = mapped_column(MONEY_SUM)
    due: Mapped[Decimal] = mapped_column(MONEY_SUM)
    paid: Mapped[Decimal] = mapped_column(MONEY_SUM)
    recovered: Mapped[Decimal] = mapped_column(MONEY_SUM)
    tranches_due: Mapped[int] = mapped_column(Integer)
    tranches_paid: Mapped[int] = mapped_column(Integer)


class PaymentDaysTally(Model):
    """How many of a programme's first tranches were paid this many days after the award."""

    __tablename__ = "money_payment_days"

    program_id: Mapped[int] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    days: Mapped[int] = mapped_column(Integer, primary_key=True)
    tranches: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class PaymentDays:
    paid: int  # first tranches paid
    median: Decimal | None
    worst: int | None


def days_of(histogram: Iterable[tuple[int, int]]) -> PaymentDays:
    """The median and the worst of a histogram of (days, how many)."""
    pairs = sorted((days, n) for days, n in histogram if n > 0)
    total = sum(n for _days, n in pairs)
    if not total:
        return PaymentDays(0, None, None)
    wanted = sorted({(total - 1) // 2, total // 2})
    found: list[int] = []
    seen = 0
    for days, n in pairs:
        while wanted and wanted[0] < seen + n:
            found.append(days)
            wanted.pop(0)
        seen += n
    median = Decimal(sum(found)) / len(found)
    # Whole days as whole numbers (14, not 14.0); a median between two days keeps its half.
    median = median.quantize(Decimal(1) if median == median.to_integral() else Decimal("0.1"))
    return PaymentDays(total, median, pairs[-1][0])


# --- what the dashboard and the exports read --------------------------------------------------


def _blank() -> dict[str, Any]:
    return {
        **dict.fromkeys(FIGURES, ZERO),
        "tranches_due": 0,
        "tranches_paid": 0,
        "days": PaymentDays(0, None, None),
        "overdue_reports": 0,
    }


def programme_money(program_ids: list[int], today: date | None = None) -> dict[int, dict[str, Any]]:
    """Each programme's money over all years, its days to payment and its overdue reports:
    two queries over the tallies and one count of the overdue reports."""
    figures = {pid: _blank() for pid in program_ids}
    if not program_ids:
        return figures
    for row in db.session.execute(
        select(MoneyTally).where(MoneyTally.program_id.in_(program_ids))
    ).scalars():
        bucket = figures[row.program_id]
        for key in FIGURES:
            bucket[key] += sum_from_db(getattr(row, key))
        bucket["tranches_due"] += row.tranches_due
        bucket["tranches_paid"] += row.tranches_paid
    histograms: dict[int, list[tuple[int, int]]] = {pid: [] for pid in program_ids}
    for program_id, days, n in db.session.execute(
        select(PaymentDaysTally.program_id, PaymentDaysTally.days, PaymentDaysTally.tranches).where(
            PaymentDaysTally.program_id.in_(program_ids), PaymentDaysTally.tranches > 0
        )
    ):
        histograms[program_id].append((days, n))
    for program_id, pairs in histograms.items():
        figures[program_id]["days"] = days_of(pairs)
    late = overdue_reports(program_ids, today or bureau_today())
    for program_id in program_ids:
        figures[program_id]["overdue_reports"] = late.get(program_id, 0)
    return figures


def money_by_year(program_id: int | None) -> list[dict[str, Any]]:
    """Per programme and year: awarded, due, paid, recovered (one query over the tallies),
    with each programme's days to payment (one more)."""
    query = (
        select(
            Program.id,
            Program.code,
            Program.name_zh,
            MoneyTally.year,
            MoneyTally.awarded,
            MoneyTally.due,
            MoneyTally.paid,
            MoneyTally.recovered,
            MoneyTally.tranches_due,
            MoneyTally.tranches_paid,
        )
        .join(Program, Program.id == MoneyTally.program_id)
        .order_by(Program.code, MoneyTally.year)
    )
    if program_id is not None:
        query = query.where(MoneyTally.program_id == program_id)
    rows = db.session.execute(query).all()
    days_query = select(
        PaymentDaysTally.program_id, PaymentDaysTally.days, PaymentDaysTally.tranches
    ).where(PaymentDaysTally.tranches > 0)
    if program_id is not None:
        days_query = days_query.where(PaymentDaysTally.program_id == program_id)
    histograms: dict[int, list[tuple[int, int]]] = {}
    for pid, days, n in db.session.execute(days_query):
        histograms.setdefault(pid, []).append((days, n))
    out = []
    for row in rows:
        amounts = {key: sum_from_db(getattr(row, key)) for key in FIGURES}
        if not any(amounts.values()):
            continue
        to_payment = days_of(histograms.get(row.id, []))  # the programme's, over all years
        out.append(
            {
                "program_code": row.code,
                "program_name": row.name_zh,
                "year": row.year,
                **amounts,
                "tranches_due": row.tranches_due,
                "tranches_paid": row.tranches_paid,
                "days_median": to_payment.median,
                "days_worst": to_payment.worst,
            }
        )
    return out


# --- overdue reports ---------------------------------------------------------------------------


def overdue_reports(program_ids: list[int], today: date) -> dict[int, int]:
    """Reports still owed past their due date, per programme: one count through the
    (status, due_on) index, which reads the overdue reports only."""
    if not program_ids:
        return {}
    rows = db.session.execute(
        select(ProgressReport.program_id, func.count())
        .where(
            ProgressReport.status.in_(list(OWED)),
            ProgressReport.due_on < today,
            ProgressReport.program_id.in_(program_ids),
        )
        .group_by(ProgressReport.program_id)
    ).all()
    return {program_id: int(n) for program_id, n in rows}


# --- checking and repairing -----------------------------------------------------------------

_YEARS = {
    "sqlite": {
        "awarded": "CAST(strftime('%Y', a.offered_at, '+8 hours') AS INTEGER)",
        "due": "CAST(strftime('%Y', COALESCE(t.due_at, a.offered_at), '+8 hours') AS INTEGER)",
        "paid": "CAST(strftime('%Y', COALESCE(t.paid_on, date(a.offered_at, '+8 hours'))) "
        "AS INTEGER)",
        "days": "CAST(julianday(t.paid_on) - julianday(date(COALESCE(p.awarded_at, "
        "a.offered_at), '+8 hours')) AS INTEGER)",
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


def _counted_sql() -> tuple[str, str]:
    years = _YEARS["sqlite" if db.session.get_bind().dialect.name == "sqlite" else "postgresql"]
    joined = "FROM tranches t JOIN agreements a ON a.id = t.agreement_id"
    parts = [
        f"SELECT t.program_id, {years['awarded']} AS yr, t.amount AS aw, 0 AS du, 0 AS pd, "
        f"0 AS rc, 0 AS nd, 0 AS np {joined} WHERE t.status <> 'cancelled'",
        f"SELECT t.program_id, {years['due']}, 0, t.amount, 0, 0, 1, 0 {joined} "
        "WHERE t.status IN ('due', 'in_batch')",
        f"SELECT t.program_id, {years['paid']}, 0, 0, t.amount, 0, 0, 1 {joined} "
        "WHERE t.status = 'paid'",
    ]
    parts.append(  # constant fragments only, never input
        f"SELECT c.program_id, {years['repaid']}, 0, 0, 0, r.amount, 0, 0 "  # noqa: S608
        "FROM recovery_repayments r JOIN recovery_cases c ON c.id = r.case_id"
    )
    money = (
        "SELECT program_id, yr, sum(aw), sum(du), sum(pd), sum(rc), sum(nd), sum(np) "  # noqa: S608
        f"FROM ({' UNION ALL '.join(parts)}) AS parts GROUP BY program_id, yr"
    )
    days = (
        f"SELECT t.program_id, {years['days']}, count(*) {joined} "
        "JOIN applications p ON p.id = t.application_id "
        "WHERE t.status = 'paid' AND t.position = 1 AND t.paid_on IS NOT NULL "
        f"GROUP BY t.program_id, {years['days']}"
    )
    return money, days


def check_money_tallies() -> list[str]:
    """The differences between the money tallies and a full count; empty when they agree."""
    money_sql, days_sql = _counted_sql()
    problems = []
    kept = {
        (row.program_id, row.year): (
            *(sum_from_db(getattr(row, key)) for key in FIGURES),
            row.tranches_due,
            row.tranches_paid,
        )
        for row in db.session.scalars(select(MoneyTally))
    }
    kept = {key: value for key, value in kept.items() if any(value)}
    counted = {
        (int(program_id), int(year)): (
            *(sum_from_db(value) for value in sums),
            int(due_count),
            int(paid_count),
        )
        for program_id, year, *sums, due_count, paid_count in db.session.execute(text(money_sql))
    }
    for key in sorted(set(kept) | set(counted)):
        if kept.get(key) != counted.get(key):
            problems.append(f"money {key}: tally {kept.get(key)}, count {counted.get(key)}")
    kept_days = {
        (row.program_id, row.days): row.tranches
        for row in db.session.scalars(select(PaymentDaysTally))
        if row.tranches
    }
    counted_days = {
        (int(program_id), int(days)): int(n)
        for program_id, days, n in db.session.execute(text(days_sql))
    }
    for key in sorted(set(kept_days) | set(counted_days)):
        if kept_days.get(key) != counted_days.get(key):
            problems.append(
                f"days to payment {key}: tally {kept_days.get(key)}, count {counted_days.get(key)}"
            )
    return problems


def rebuild_money_tallies() -> None:
    """Recount the money tallies from the tranches (inside the caller's transaction)."""
    money_sql, days_sql = _counted_sql()
    db.session.execute(delete(MoneyTally))
    db.session.execute(delete(PaymentDaysTally))
    db.session.execute(
        text(
            "INSERT INTO money_tallies (program_id, year, awarded, due, paid, recovered, "
            f"tranches_due, tranches_paid) {money_sql}"
        )
    )
    db.session.execute(
        text(f"INSERT INTO money_payment_days (program_id, days, tranches) {days_sql}")
    )
