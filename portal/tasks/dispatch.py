"""The weekly dispatch report (调度报告) for the bureau's leaders: for a week (Monday to Sunday),
each key task's status at the week's end and its change since the week before, the milestones
done in the week and those overdue, the slips issued and closed in the week and those still
open (overdue ones marked), and the month's ranking of departments by overdue items (通报).

A week is named by its last day, the Sunday (``week_ending_of``); a report of the current week
is as of today. Everything is read in a fixed number of queries (the year's tasks, their
owners and departments, their status history from ``TaskStatusMonth`` and the audit trail's
``TASK_STATUS_CHANGED`` events, their milestones and slips) and printed as an A4 PDF through the
letters' WeasyPrint entry point.

``send_weekly_dispatch`` tells every active approver (the leaders) and supervisor, in the
portal and by mail, with a link to the PDF; the ``DISPATCH_SENT`` audit event is the record
that a week was sent, so that sending it again sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select, text

from portal.accounts.models import Department, Role, User
from portal.core import audit
from portal.core.audit import Action, AuditEvent
from portal.core.extensions import db
from portal.core.timeutil import BUREAU_ZONE, bureau_today, to_bureau_time
from portal.core.urls import path_for
from portal.letters.content import bureau_names
from portal.letters.pdf import render_many
from portal.notifications.services import notify
from portal.tasks.models import (
    KeyTask,
    Milestone,
    SlipColour,
    SupervisionSlip,
    TaskStatus,
    TaskStatusMonth,
)
from portal.tasks.progress import load_progress, reason_text
from portal.tasks.wall_pdf import (
    PRINT_CSS_PATH,
    Owners,
    locale_code,
    owner_names,
    print_date,
    short_date,
    year_tasks,
)

DISPATCH_OBJECT = "dispatch_week"
DISPATCH_KIND = "dispatch_ready"
RECENT_WEEKS = 8
# PostgreSQL advisory lock key ("DISP"): two senders of the same week queue, so one sends.
_LOCK_KEY = 0x44495350
STATUS_ORDER = {TaskStatus.RED: 0, TaskStatus.YELLOW: 1, TaskStatus.GREEN: 2}


# --- weeks ------------------------------------------------------------------------------------


def week_ending_of(day: date) -> date:
    """The Sunday that ends ``day``'s week (weeks run Monday to Sunday)."""
    return day + timedelta(days=6 - day.weekday())


def week_start(week_ending: date) -> date:
    return week_ending - timedelta(days=6)


def recent_weeks(today: date, count: int = RECENT_WEEKS) -> list[date]:
    """The current week and the ones before it, newest first, by their last day."""
    current = week_ending_of(today)
    return [current - timedelta(weeks=n) for n in range(count)]


def day_starts(day: date) -> datetime:
    """The first moment of ``day`` in the bureau's zone, in UTC."""
    return datetime.combine(day, time.min, tzinfo=BUREAU_ZONE).astimezone(UTC)


def bureau_day(moment: datetime) -> date:
    return to_bureau_time(moment).date()


# --- the report's facts -----------------------------------------------------------------------


@dataclass
class TaskLine:
    task: KeyTask
    department: str
    person: str
    status: TaskStatus
    previous: TaskStatus
    month_worst: TaskStatus | None
    reason: str

    @property
    def changed(self) -> bool:
        return self.status is not self.previous


@dataclass(frozen=True)
class MilestoneLine:
    task: KeyTask
    milestone: Milestone
    department: str
    days_late: int  # done: days after its due date (0 on time); overdue: days past due


@dataclass(frozen=True)
class SlipLine:
    task: KeyTask
    slip: SupervisionSlip
    department: str
    overdue: bool  # open at the week's end and past its deadline


@dataclass(frozen=True)
class RankLine:
    position: int
    department: str
    milestones: int
    slips: int

    @property
    def total(self) -> int:
        return self.milestones + self.slips


@dataclass
class DispatchReport:
    week_ending: date
    as_of: date
    tasks: list[TaskLine] = field(default_factory=list)
    milestones_done: list[MilestoneLine] = field(default_factory=list)
    milestones_overdue: list[MilestoneLine] = field(default_factory=list)
    milestones_next: list[MilestoneLine] = field(default_factory=list)
    slips_issued: list[SlipLine] = field(default_factory=list)
    slips_closed: list[SlipLine] = field(default_factory=list)
    slips_open: list[SlipLine] = field(default_factory=list)
    ranking: list[RankLine] = field(default_factory=list)

    @property
    def week_start(self) -> date:
        return week_start(self.week_ending)

    @property
    def month_start(self) -> date:
        return self.as_of.replace(day=1)

    def count(self, status: TaskStatus) -> int:
        return sum(1 for line in self.tasks if line.status is status)

    @property
    def changed(self) -> int:
        return sum(1 for line in self.tasks if line.changed)

    @property
    def slips_overdue(self) -> int:
        return sum(1 for line in self.slips_open if line.overdue)


def _status_change(summary: dict[str, Any]) -> tuple[str | None, str | None]:
    """The status before and after a ``TASK_STATUS_CHANGED`` event."""
    before = summary.get("from", summary.get("old"))
    after = summary.get("to", summary.get("new", summary.get("status")))
    return before, after


def _as_status(value: Any) -> TaskStatus | None:
    try:
        return TaskStatus(value)
    except ValueError:
        return None


def status_on(
    events: Sequence[tuple[date, TaskStatus | None, TaskStatus | None]],
    day: date,
    current: TaskStatus,
) -> TaskStatus:
    """A task's status at the end of ``day`` from its status changes (in order): the new
    status of the last change on or before it, else the old status of the first change after
    it, else the status it has now."""
    before = [after for on, _old, after in events if on <= day and after is not None]
    if before:
        return before[-1]
    later = [old for on, old, _new in events if on > day and old is not None]
    return later[0] if later else current


def _status_events(
    tasks: Sequence[KeyTask],
) -> dict[int, list[tuple[date, TaskStatus | None, TaskStatus | None]]]:
    """Each task's status changes, in order (one query)."""
    found: dict[int, list[tuple[date, TaskStatus | None, TaskStatus | None]]] = defaultdict(list)
    if not tasks:
        return found
    rows = db.session.execute(
        select(AuditEvent.object_id, AuditEvent.occurred_at, AuditEvent.summary)
        .where(
            AuditEvent.action == Action.TASK_STATUS_CHANGED.value,
            AuditEvent.object_type == KeyTask.__tablename__,
            AuditEvent.object_id.in_([str(t.id) for t in tasks]),
        )
        .order_by(AuditEvent.id)
    )
    for object_id, occurred_at, summary in rows:
        summary = summary or {}
        try:
            on = date.fromisoformat(summary["on"])
        except (KeyError, TypeError, ValueError):
            on = bureau_day(occurred_at)
        before, after = _status_change(summary)
        found[int(object_id)].append((on, _as_status(before), _as_status(after)))
    for changes in found.values():
        changes.sort(key=lambda change: change[0])  # stable: same-day changes keep their order
    return found


def _months(tasks: Sequence[KeyTask], month: date) -> dict[int, TaskStatusMonth]:
    if not tasks:
        return {}
    return {
        row.task_id: row
        for row in db.session.scalars(
            select(TaskStatusMonth).where(
                TaskStatusMonth.task_id.in_([t.id for t in tasks]), TaskStatusMonth.month == month
            )
        )
    }


def _department_names(
    tasks: Sequence[KeyTask], locale: str
) -> tuple[dict[int, str], dict[int, Owners]]:
    owners = owner_names(tasks, locale)
    return {t.id: owners[t.id].department for t in tasks}, owners


def overdue_within(due: date, finished: date | None, first: date, last: date) -> bool:
    """Whether something due on ``due`` and finished on ``finished`` (None: not yet) was
    overdue on some day from ``first`` to ``last``: overdue on day d when due before d and not
    finished before d."""
    start = max(first, due + timedelta(days=1))
    end = last if finished is None else min(last, finished)
    return start <= end


def rank_departments(
    departments: Iterable[str],
    milestones: Iterable[tuple[str, date, date | None]],
    slips: Iterable[tuple[str, date, date | None]],
    first: date,
    last: date,
) -> list[RankLine]:
    """The month's 通报: departments by items overdue from ``first`` to ``last`` (milestones
    and slips, each ``(department, due, finished)``), worst first, ties by name."""
    counts: dict[str, list[int]] = {name: [0, 0] for name in departments}
    for index, items in enumerate((milestones, slips)):
        for department, due, finished in items:
            if overdue_within(due, finished, first, last):
                counts.setdefault(department, [0, 0])[index] += 1
    ordered = sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))
    return [
        RankLine(position, name, pair[0], pair[1])
        for position, (name, pair) in enumerate(ordered, start=1)
    ]


def _done_by(milestone: Milestone, day: date) -> date | None:
    done = milestone.done_on
    return done if done is not None and done <= day else None


def dispatch_report(
    week_ending: date, locale: str = "zh_CN", today: date | None = None
) -> DispatchReport:
    """The report of the week ending on ``week_ending`` (a Sunday; any day names its week),
    as of that Sunday or, for the current week, as of today."""
    week_ending = week_ending_of(week_ending)
    today = today or bureau_today()
    as_of = min(week_ending, today)
    report = DispatchReport(week_ending=week_ending, as_of=as_of)
    first = week_start(week_ending)
    tasks = year_tasks(as_of.year)
    if not tasks:
        return report
    task_of = {t.id: t for t in tasks}
    departments, owners = _department_names(tasks, locale)
    events = _status_events(tasks)
    months = _months(tasks, report.month_start)
    previous_end = first - timedelta(days=1)
    # The current week is as the wall shows it today (status by rule now); a past week is as
    # the evaluations recorded it.
    live = load_progress(tasks, as_of, locale) if as_of == today else {}
    for task in tasks:
        changes = events.get(task.id, [])
        month = months.get(task.id)
        if task.id in live:
            verdict = live[task.id].verdict
            status = verdict.status
            reason = reason_text(verdict.reasons[0]) if verdict.reasons else ""
        else:
            status = status_on(changes, as_of, task.status)
            reason = (month.reason if month and month.reason else task.status_reason) or ""
        report.tasks.append(
            TaskLine(
                task=task,
                department=departments[task.id],
                person=owners[task.id].person,
                status=status,
                previous=status_on(changes, previous_end, task.status),
                month_worst=month.worst_status if month else None,
                reason=reason,
            )
        )

    milestones = list(
        db.session.scalars(
            select(Milestone)
            .where(Milestone.task_id.in_(task_of))
            .order_by(Milestone.due_on, Milestone.task_id, Milestone.id)
        )
    )
    next_week_end = as_of + timedelta(days=7)
    for m in milestones:
        task = task_of[m.task_id]
        department = departments[m.task_id]
        done = m.done_on is not None and m.done_on <= as_of
        if done and m.done_on is not None and m.done_on >= first:
            late = max(0, (m.done_on - m.due_on).days)
            report.milestones_done.append(MilestoneLine(task, m, department, late))
        elif not done and m.due_on < as_of:
            report.milestones_overdue.append(
                MilestoneLine(task, m, department, (as_of - m.due_on).days)
            )
        elif not done and m.due_on <= next_week_end:
            report.milestones_next.append(MilestoneLine(task, m, department, 0))

    window_start = day_starts(min(first, report.month_start))
    week_opens, week_closes = day_starts(first), day_starts(as_of + timedelta(days=1))
    slips = list(
        db.session.scalars(
            select(SupervisionSlip)
            .where(
                SupervisionSlip.task_id.in_(task_of),
                SupervisionSlip.issued_at < week_closes,
                or_(
                    SupervisionSlip.closed_at.is_(None),
                    SupervisionSlip.closed_at >= window_start,
                ),
            )
            .order_by(SupervisionSlip.year, SupervisionSlip.serial)
        )
    )
    slip_items = []
    for slip in slips:
        task = task_of[slip.task_id]
        department = departments[slip.task_id]
        closed = slip.closed_at is not None and slip.closed_at < week_closes
        overdue = not closed and slip.deadline < as_of
        line = SlipLine(task, slip, department, overdue)
        if slip.issued_at >= week_opens:
            report.slips_issued.append(line)
        if closed and slip.closed_at is not None and slip.closed_at >= week_opens:
            report.slips_closed.append(line)
        if not closed:
            report.slips_open.append(line)
        closed_on = bureau_day(slip.closed_at) if closed and slip.closed_at else None
        slip_items.append((department, slip.deadline, closed_on))

    report.slips_open.sort(key=lambda line: (not line.overdue, line.slip.deadline))
    report.tasks.sort(key=lambda line: (STATUS_ORDER[line.status], line.task.number))
    report.ranking = rank_departments(
        sorted(set(departments.values())),
        [(departments[m.task_id], m.due_on, _done_by(m, as_of)) for m in milestones],
        slip_items,
        report.month_start,
        as_of,
    )
    return report


# --- the PDF ----------------------------------------------------------------------------------


def _status_word(status: TaskStatus | None) -> str:
    return "—" if status is None else str(status.label)


def report_values(report: DispatchReport, locale: str) -> dict[str, Any]:
    english = locale_code(locale) == "en"

    def day(value: date) -> str:
        return print_date(value, locale)

    def short(value: date) -> str:
        return short_date(value, locale)

    def task_name(task: KeyTask) -> str:
        return f"{task.number}. {task.display_title(locale)}"

    return {
        "lang": "en" if english else "zh-CN",
        "bureau": bureau_names()["en" if english else "zh"],
        "title": _("Weekly dispatch report on the key tasks"),
        "period": _(
            "Week of %(start)s to %(end)s; data as of %(as_of)s",
            start=day(report.week_start),
            end=day(report.week_ending),
            as_of=day(report.as_of),
        ),
        "month": f"{report.month_start:%B %Y}"
        if english
        else f"{report.month_start.year}年{report.month_start.month}月",
        "facts": [
            (report.count(TaskStatus.RED), str(TaskStatus.RED.label), "red"),
            (report.count(TaskStatus.YELLOW), str(TaskStatus.YELLOW.label), "yellow"),
            (report.count(TaskStatus.GREEN), str(TaskStatus.GREEN.label), "green"),
            (report.changed, _("changed this week"), ""),
            (len(report.milestones_done), _("milestones done this week"), ""),
            (len(report.milestones_overdue), _("milestones overdue"), ""),
            (report.slips_overdue, _("slips overdue"), ""),
        ],
        "tasks": [
            {
                "name": task_name(line.task),
                "owner": f"{line.department} · {line.person}",
                "status": line.status.value,
                "status_word": _status_word(line.status),
                "previous_word": _status_word(line.previous),
                "changed": line.changed,
                "month_worst": _status_word(line.month_worst),
                "reason": line.reason,
            }
            for line in report.tasks
        ],
        "milestones_done": [
            {
                "task": task_name(line.task),
                "title": line.milestone.display_title(locale),
                "due": short(line.milestone.due_on),
                "done": short(line.milestone.done_on) if line.milestone.done_on else "",
                "late": line.days_late,
            }
            for line in report.milestones_done
        ],
        "milestones_overdue": [
            {
                "task": task_name(line.task),
                "department": line.department,
                "title": line.milestone.display_title(locale),
                "due": short(line.milestone.due_on),
                "days": line.days_late,
            }
            for line in report.milestones_overdue
        ],
        "milestones_next": [
            {
                "task": task_name(line.task),
                "department": line.department,
                "title": line.milestone.display_title(locale),
                "due": short(line.milestone.due_on),
            }
            for line in report.milestones_next
        ],
        "slips_issued": [_slip_values(line, locale) for line in report.slips_issued],
        "slips_closed": [_slip_values(line, locale) for line in report.slips_closed],
        "slips_open": [_slip_values(line, locale) for line in report.slips_open],
        "ranking": report.ranking,
        "css": PRINT_CSS_PATH.read_text("utf-8"),
    }


def _slip_values(line: SlipLine, locale: str) -> dict[str, Any]:
    slip = line.slip
    return {
        "code": slip.code,
        "colour": slip.colour.value,
        "colour_word": str(SlipColour(slip.colour).label).split(":")[0].split("：")[0],
        "task": f"{line.task.number}. {line.task.display_title(locale)}",
        "department": line.department,
        "deadline": short_date(slip.deadline, locale),
        "state": str(slip.state.label),
        "overdue": line.overdue,
    }


def dispatch_html(week_ending: date, locale: str, today: date | None = None) -> str:
    code = locale_code(locale)
    with force_locale(code):
        report = dispatch_report(week_ending, code, today)
        template = current_app.jinja_env.get_template("wall/pdf/dispatch.html")
        return template.render(report_values(report, code))


def render_dispatch_pdf(week_ending: date, locale: str, today: date | None = None) -> bytes:
    """The week's report as an A4 PDF in ``locale``."""
    return render_many([dispatch_html(week_ending, locale, today)])[0]


# --- sending ----------------------------------------------------------------------------------


def sent_weeks(weeks: Sequence[date]) -> dict[date, AuditEvent]:
    """The ``DISPATCH_SENT`` events of ``weeks`` (by their Sunday), one query."""
    if not weeks:
        return {}
    rows = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == Action.DISPATCH_SENT.value,
            AuditEvent.object_type == DISPATCH_OBJECT,
            AuditEvent.object_id.in_([w.isoformat() for w in weeks]),
        )
        .order_by(AuditEvent.id)
    )
    found: dict[date, AuditEvent] = {}
    for event in rows:
        found.setdefault(date.fromisoformat(event.object_id or ""), event)
    return found


def leaders_and_supervisors() -> list[int]:
    return list(
        db.session.scalars(
            select(User.id)
            .where(User.role.in_([Role.APPROVER, Role.SUPERVISOR]), User.disabled_at.is_(None))
            .order_by(User.id)
        )
    )


def _serialise_senders() -> None:
    """Two senders of a report at once queue here until the first commits (PostgreSQL); on
    SQLite every writing transaction holds the database already (``BEGIN IMMEDIATE``)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def dispatch_params(report: DispatchReport) -> dict[str, Any]:
    return {
        "week_start": report.week_start.isoformat(),
        "week_ending": report.week_ending.isoformat(),
        "as_of": report.as_of.isoformat(),
        "red": report.count(TaskStatus.RED),
        "yellow": report.count(TaskStatus.YELLOW),
        "green": report.count(TaskStatus.GREEN),
        "milestones_overdue": len(report.milestones_overdue),
        "slips_overdue": report.slips_overdue,
    }


def send_weekly_dispatch(
    week_ending: date, *, actor: User | None = None, today: date | None = None
) -> int | None:
    """Tell the leaders and supervisors that the week's report is ready (in the portal and by
    mail, linking to the PDF); None when the week was sent already, else how many were told."""
    week_ending = week_ending_of(week_ending)
    _serialise_senders()
    if sent_weeks([week_ending]):
        return None
    report = dispatch_report(week_ending, today=today)
    params = dispatch_params(report)
    if report.ranking and report.ranking[0].total:
        worst = report.ranking[0].department
        found = db.session.scalar(select(Department).where(Department.name == worst))
        params["worst_zh"] = worst
        params["worst_en"] = found.display_name("en") if found else worst
    people = leaders_and_supervisors()
    notify(
        people,
        DISPATCH_KIND,
        params,
        path_for("task_prints.dispatch_pdf", week=week_ending.isoformat()),
    )
    audit.record(
        Action.DISPATCH_SENT,
        actor=actor,
        object_type=DISPATCH_OBJECT,
        object_id=week_ending.isoformat(),
        week_start=params["week_start"],
        as_of=params["as_of"],
        recipients=len(people),
    )
    db.session.flush()
    return len(people)
