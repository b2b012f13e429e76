"""Reading progress reports: a firm's reports, what is overdue (for eligibility, through
``portal.profiles.standing``), the officers' lists in a fixed number of statements, and the
daily reminders (14 and 3 days before the due date, and on it; each once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from portal.accounts.models import Enterprise
from portal.core import audit
from portal.core.audit import Action
from portal.core.extensions import db
from portal.core.jobs import commit, job
from portal.core.timeutil import bureau_today, utcnow
from portal.payments.report_models import ProgressReport, ReportStatus
from portal.payments.report_rules import (
    OWED,
    REMINDER_DUE,
    ReminderStamps,
    reminder_owed,
    stamps_after,
)
from portal.payments.reports import report_titles, tell_firm
from portal.programs.facts import OverdueReport, Standing
from portal.programs.models import Program

_OWED = tuple(OWED)


# --- overdue and standing -----------------------------------------------------------------------


def overdue_reports_of(enterprise_id: int, as_of: date) -> list[tuple[ProgressReport, Program]]:
    """The firm's reports past their due date and not submitted, oldest first (one query)."""
    rows = db.session.execute(
        select(ProgressReport, Program)
        .join(Program, Program.id == ProgressReport.program_id)
        .where(
            ProgressReport.enterprise_id == enterprise_id,
            ProgressReport.status.in_(_OWED),
            ProgressReport.due_on < as_of,
        )
        .order_by(ProgressReport.due_on, ProgressReport.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def standing_from_reports(enterprise_id: int, as_of: date) -> Standing:
    """The standing provider: the firm's overdue reports, as eligibility reads them."""
    overdue = []
    for report, program in overdue_reports_of(enterprise_id, as_of):
        title_zh, title_en = report_titles(report.kind, program)
        overdue.append(OverdueReport(title_zh=title_zh, title_en=title_en, due_on=report.due_on))
    return Standing(overdue_reports=tuple(overdue))


# --- the firm's list ----------------------------------------------------------------------------


def reports_of_firm(
    enterprise_id: int, *, limit: int = 200
) -> list[tuple[ProgressReport, Program]]:
    """The firm's reports, the earliest due first (one query; a firm has few)."""
    rows = db.session.execute(
        select(ProgressReport, Program)
        .join(Program, Program.id == ProgressReport.program_id)
        .where(ProgressReport.enterprise_id == enterprise_id)
        .order_by(ProgressReport.due_on, ProgressReport.id)
        .limit(limit)
    ).all()
    return [(row[0], row[1]) for row in rows]


def reports_of_application(application_id: int) -> list[ProgressReport]:
    return list(
        db.session.scalars(
            select(ProgressReport)
            .where(ProgressReport.application_id == application_id)
            .order_by(ProgressReport.position)
        )
    )


# --- the officers' lists ------------------------------------------------------------------------

OVERDUE = "overdue"
DUE = "due"
TO_CHECK = "submitted"
DONE = "accepted"
VIEWS = (OVERDUE, TO_CHECK, DUE, DONE)


def _view_filter(view: str, today: date) -> Any:
    if view == OVERDUE:
        return and_(ProgressReport.status.in_(_OWED), ProgressReport.due_on < today)
    if view == DUE:
        return and_(ProgressReport.status.in_(_OWED), ProgressReport.due_on >= today)
    if view == TO_CHECK:
        return ProgressReport.status == ReportStatus.SUBMITTED
    return ProgressReport.status == ReportStatus.ACCEPTED


def view_counts(today: date) -> dict[str, int]:
    """How many reports each list holds, in one statement."""
    owed = ProgressReport.status.in_(_OWED)
    row = db.session.execute(
        select(
            func.count(case((and_(owed, ProgressReport.due_on < today), 1))),
            func.count(case((and_(owed, ProgressReport.due_on >= today), 1))),
            func.count(case((ProgressReport.status == ReportStatus.SUBMITTED, 1))),
            func.count(case((ProgressReport.status == ReportStatus.ACCEPTED, 1))),
        )
    ).one()
    return {OVERDUE: row[0], DUE: row[1], TO_CHECK: row[2], DONE: row[3]}


@dataclass(frozen=True)
class ListPage:
    rows: list[Any]  # (ProgressReport, program name zh, en, firm name)
    next_after: str | None  # the keyset of the next page: "<due_on>_<id>"


def parse_after(raw: str | None) -> tuple[date, int] | None:
    """``?after=2026-11-20_42`` as (due_on, id); anything malformed is the first page."""
    if not raw or "_" not in raw:
        return None
    day, _, ident = raw.partition("_")
    try:
        parsed = date.fromisoformat(day), int(ident)
    except ValueError:
        return None
    return parsed if 0 < parsed[1] < 2**31 else None


def officer_list(
    view: str, today: date, *, after: str | None = None, per_page: int = 50
) -> ListPage:
    """One page of a list, the earliest due first (keyset on (due_on, id)): one statement."""
    statement = (
        select(ProgressReport, Program.name_zh, Program.name_en, Enterprise.name)
        .join(Program, Program.id == ProgressReport.program_id)
        .join(Enterprise, Enterprise.id == ProgressReport.enterprise_id)
        .where(_view_filter(view, today))
    )
    key = parse_after(after)
    if key is not None:
        statement = statement.where(
            or_(
                ProgressReport.due_on > key[0],
                and_(ProgressReport.due_on == key[0], ProgressReport.id > key[1]),
            )
        )
    rows = list(
        db.session.execute(
            statement.order_by(ProgressReport.due_on, ProgressReport.id).limit(per_page + 1)
        ).all()
    )
    next_after = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1][0]
        next_after = f"{last.due_on.isoformat()}_{last.id}"
    return ListPage(rows=rows, next_after=next_after)


# --- reminders ----------------------------------------------------------------------------------

REMINDER_KINDS = {"14": "report_due_soon", "3": "report_due_soon", REMINDER_DUE: "report_due_today"}


def send_reminders(today: date | None = None) -> int:
    """Send the reminders owed today (each report's each reminder once); flush, not commit.
    Reads only the reports due within 14 days or already past (the status/due index)."""
    today = today or bureau_today()
    horizon = date.fromordinal(today.toordinal() + 14)
    reports = db.session.scalars(
        select(ProgressReport)
        .where(ProgressReport.status.in_(_OWED), ProgressReport.due_on <= horizon)
        .where(ProgressReport.reminded_due_at.is_(None))
        .order_by(ProgressReport.due_on, ProgressReport.id)
    ).all()
    sent = 0
    now = utcnow()
    for report in reports:
        stamps = ReminderStamps(
            reminded_14=report.reminded_14_at is not None,
            reminded_3=report.reminded_3_at is not None,
            reminded_due=report.reminded_due_at is not None,
        )
        reminder = reminder_owed(report.status, report.due_on, today, stamps)
        if reminder is None:
            continue
        for column in stamps_after(reminder):
            if getattr(report, column) is None:
                setattr(report, column, now)
        days_left = (report.due_on - today).days
        tell_firm(report, REMINDER_KINDS[reminder], days=max(days_left, 0))
        audit.record(
            Action.REPORT_REMINDED,
            report,
            actor=None,
            application_id=report.application_id,
            reminder=reminder,
        )
        sent += 1
    db.session.flush()
    return sent


@job(retries=2, retry_delay=60)  # type: ignore[untyped-decorator]
def remind_reports() -> int:
    """The daily job: send today's reminders and commit (``flask --app portal reports remind``
    runs the same)."""
    sent = send_reminders()
    commit()
    return sent
