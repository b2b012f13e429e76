"""What the officers' dashboard reads: every programme of a year with its applications, money
and expert reviews.

The page loads in nine queries whatever the number of programmes, applications and
assignments: the span of years that have programmes, the year's programmes, the tallies of
applications by programme, status and decision and of assignments by programme and status
(kept by the database, see ``portal.applications.tallies``), the overdue reviews by day
and from earlier today, and the money after the award (``portal.payments.money``: the money
tallies, the days to payment and the overdue reports).
Everything returned is plain values (the templates never touch the ORM).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from portal.applications.award_terms import IN_PUBLICITY_STATUSES, AwardTerm
from portal.applications.models import Application, Status
from portal.applications.tallies import ApplicationTally
from portal.core.extensions import db
from portal.core.money import sum_from_db as money
from portal.core.timeutil import BUREAU_ZONE, to_bureau_time, utcnow
from portal.payments.money import programme_money
from portal.programs import calendar
from portal.programs.models import Program
from portal.review.decision_rules import APPROVE
from portal.review.models import Assignment, AssignmentStatus
from portal.review.tallies import ReviewDueTally, ReviewTally

ZERO = Decimal("0.00")

# Applications that have reached the bureau: everything but drafts and withdrawn ones.
NOT_RECEIVED = frozenset({Status.DRAFT, Status.WITHDRAWN})

# The window's states and "closing soon" are the programmes' one calendar rule.
OPEN, UPCOMING, CLOSED = calendar.OPEN, calendar.UPCOMING, calendar.CLOSED
CLOSING_SOON_DAYS = calendar.CLOSING_SOON_DAYS


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The bureau's calendar year as a half-open range of aware UTC datetimes."""
    start = datetime.combine(date(year, 1, 1), time.min, tzinfo=BUREAU_ZONE)
    end = datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=BUREAU_ZONE)
    return start, end


def schedule(opens_at: datetime, closes_at: datetime, now: datetime) -> dict[str, Any]:
    """Where a programme's application window stands, counted in the bureau's calendar days.

    ``days`` is the days left to close (open), to opening (upcoming), or since closing (closed),
    by ``programs.calendar``'s rule, which every page showing a countdown uses.
    """
    return calendar.window(opens_at, closes_at, now)


def _year_span() -> tuple[int, int] | None:
    """The first and last bureau years that any programme's window touches."""
    first, last = db.session.execute(
        select(func.min(Program.opens_at), func.max(Program.closes_at))
    ).one()
    if first is None or last is None:
        return None
    return to_bureau_time(first).year, to_bureau_time(last).year


def _programmes(year: int) -> list[Any]:
    start, end = year_bounds(year)
    return db.session.execute(
        select(
            Program.id,
            Program.code,
            Program.name_zh,
            Program.name_en,
            Program.kind,
            Program.budget,
            Program.opens_at,
            Program.closes_at,
            Program.reviewers_per_application,
        )
        .where(Program.opens_at < end, Program.closes_at >= start)
        .order_by(Program.opens_at, Program.code)
    ).all()


def _application_figures(program_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Counts by status and the sums of money, per programme, from the tallies the database
    keeps (one query over a few rows per programme). Awards are summed by where they stand
    (``applications.award_terms``): proposed, in publicity (on hold included: not final
    yet), final."""
    figures = {
        pid: {
            "counts": dict.fromkeys(Status, 0),
            "requested": ZERO,
            "proposed": ZERO,
            "publicity": ZERO,
            "final": ZERO,
        }
        for pid in program_ids
    }
    rows = db.session.execute(
        select(
            ApplicationTally.program_id,
            ApplicationTally.status,
            ApplicationTally.decision,
            ApplicationTally.applications,
            ApplicationTally.requested,
            ApplicationTally.decided,
        ).where(ApplicationTally.program_id.in_(program_ids))
    ).all()
    for program_id, status_value, decision, count, requested, decided in rows:
        status = Status(status_value)
        bucket = figures[program_id]
        bucket["counts"][status] += count
        if status not in NOT_RECEIVED:
            bucket["requested"] += money(requested)
        if status is Status.DECIDED and decision == APPROVE:
            bucket["proposed"] += money(decided)
        elif status in IN_PUBLICITY_STATUSES:
            bucket["publicity"] += money(decided)
        elif status is Status.AWARDED:
            bucket["final"] += money(decided)
    return figures


def _review_figures(program_ids: list[int], now: datetime) -> dict[int, dict[str, int]]:
    """Assignments per programme by status, and the overdue ones, from the tallies (three
    queries, none of which reads more than a row per programme, status or due day, and the
    assignments due earlier today).

    A review is overdue when it is still assigned (not submitted, not declined) past its due
    time, as the officers' review page marks it. Assignments of withdrawn applications do not
    count, as everywhere in expert review.
    """
    figures = {
        pid: {"submitted": 0, "assigned": 0, "declined": 0, "overdue": 0} for pid in program_ids
    }
    tallied = db.session.execute(
        select(ReviewTally.program_id, ReviewTally.status, ReviewTally.assignments).where(
            ReviewTally.program_id.in_(program_ids)
        )
    ).all()
    for program_id, status, count in tallied:
        figures[program_id][AssignmentStatus(status).value] += count
    # Overdue: the open assignments due on days before today, from their day tallies, and
    # those due earlier today, counted through the (status, due_at) index.
    today = datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)
    earlier_days = db.session.execute(
        select(ReviewDueTally.program_id, func.sum(ReviewDueTally.assignments))
        .where(
            ReviewDueTally.program_id.in_(program_ids),
            ReviewDueTally.due_day < today.date(),
        )
        .group_by(ReviewDueTally.program_id)
    ).all()
    # count(*), not count(id): the index holds (status, due_at, application_id), so the
    # count never reads the assignments themselves.
    earlier_today = db.session.execute(
        select(Application.program_id, func.count())
        .select_from(Assignment)
        .join(Application, Application.id == Assignment.application_id)
        .where(
            Assignment.status == AssignmentStatus.ASSIGNED,
            Assignment.due_at >= today,
            Assignment.due_at < now,
            Application.program_id.in_(program_ids),
            Application.status != Status.WITHDRAWN,
        )
        .group_by(Application.program_id)
    ).all()
    for program_id, late in [*earlier_days, *earlier_today]:
        figures[program_id]["overdue"] += int(late or 0)
    return figures


def _status_rows(counts: dict[Status, int]) -> list[dict[str, Any]]:
    return [
        {"status": status.value, "label": str(status.label), "count": counts[status]}
        for status in Status
    ]


def _programme(row: Any, apps: dict[str, Any], reviews: dict[str, int], locale: str, now):
    counts = apps["counts"]
    budget = money(row.budget)
    committed = apps["final"] + apps["publicity"] + apps["proposed"]
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name_en if locale == "en" else row.name_zh,
        "kind": row.kind.value,
        "opens_at": row.opens_at,
        "closes_at": row.closes_at,
        "schedule": schedule(row.opens_at, row.closes_at, now),
        "expert_review": row.reviewers_per_application > 0,
        "reviewers_per_application": row.reviewers_per_application,
        "statuses": _status_rows(counts),
        "applications": sum(counts.values()),
        "received": sum(n for status, n in counts.items() if status not in NOT_RECEIVED),
        "drafts": counts[Status.DRAFT],
        "withdrawn": counts[Status.WITHDRAWN],
        "awaiting_decision": counts[Status.DECIDED],
        "budget": budget,
        "requested": apps["requested"],
        "proposed": apps["proposed"],
        "publicity": apps["publicity"],
        "final": apps["final"],
        "committed": committed,
        "remaining": budget - committed,
        "over_budget": committed > budget,
        "reviews": {
            "submitted": reviews["submitted"],
            "open": reviews["assigned"],
            "declined": reviews["declined"],
            "overdue": reviews["overdue"],
            "total": reviews["submitted"] + reviews["assigned"],
        },
    }


def _totals(programmes: Iterable[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {
        "programmes": 0,
        "received": 0,
        "drafts": 0,
        "awaiting_decision": 0,
        "budget": ZERO,
        "requested": ZERO,
        "proposed": ZERO,
        "publicity": ZERO,
        "final": ZERO,
        "reviews_submitted": 0,
        "reviews_total": 0,
        "overdue": 0,
    }
    for programme in programmes:
        totals["programmes"] += 1
        for key in (
            "received",
            "drafts",
            "awaiting_decision",
            "budget",
            "requested",
            "proposed",
            "publicity",
            "final",
        ):
            totals[key] += programme[key]
        totals["reviews_submitted"] += programme["reviews"]["submitted"]
        totals["reviews_total"] += programme["reviews"]["total"]
        totals["overdue"] += programme["reviews"]["overdue"]
    return totals


def _money_totals(programmes: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Awarded, paid, due and recovered across the year's programmes, and their overdue
    reports (the days to payment are per programme only: a median does not add up)."""
    totals: dict[str, Any] = dict.fromkeys(("awarded", "paid", "due", "recovered"), ZERO)
    totals["overdue_reports"] = 0
    for programme in programmes:
        for key in ("awarded", "paid", "due", "recovered"):
            totals[key] += programme["money"][key]
        totals["overdue_reports"] += programme["money"]["overdue_reports"]
    return totals


def dashboard(year: int | None, locale: str, now: datetime | None = None) -> dict[str, Any]:
    """The programmes of ``year`` (this year when None or out of range) with their figures,
    the totals across them, and the years that can be chosen."""
    now = now or utcnow()
    this_year = to_bureau_time(now).year
    span = _year_span()
    first, last = (min(span[0], this_year), max(span[1], this_year)) if span else (this_year,) * 2
    years = list(range(first, last + 1))
    if year not in years:
        year = this_year
    rows = _programmes(year)
    program_ids = [row.id for row in rows]
    apps = _application_figures(program_ids)
    reviews = _review_figures(program_ids, now)
    money_figures = programme_money(program_ids, to_bureau_time(now).date())
    programmes = [_programme(row, apps[row.id], reviews[row.id], locale, now) for row in rows]
    for programme in programmes:
        programme["money"] = money_figures[programme["id"]]
    return {
        "year": year,
        "years": years,
        "as_of": now,
        "programmes": programmes,
        "totals": _totals(programmes) | {"money": _money_totals(programmes)},
        # The words for the award figures, the same as on the exports page and in mails.
        "terms": {
            "proposed": AwardTerm.PROPOSED.label,
            "publicity": AwardTerm.IN_PUBLICITY.label,
            "final": AwardTerm.FINAL.label,
        },
    }
