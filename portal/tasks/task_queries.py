"""Reading one key task for its page, in a fixed number of statements whatever it holds: its
progress (``progress.load_progress``), the people and department named on it, the monthly
status history, its slips, and the hand-reported values with their evidence files; and the
choices of the task editor (leaders, departments, staff)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.accounts.models import Department, Role, User
from portal.core.extensions import db
from portal.tasks.models import (
    IndicatorReport,
    KeyTask,
    Milestone,
    SupervisionSlip,
    TaskFile,
    TaskIndicator,
    TaskStatusMonth,
)
from portal.tasks.progress import TaskProgress, load_progress

REPORTS_SHOWN = 50
SLIPS_SHOWN = 50


@dataclass(frozen=True)
class ReportRow:
    report: IndicatorReport
    indicator: TaskIndicator
    by: str
    files: list[TaskFile] = field(default_factory=list)


@dataclass(frozen=True)
class TaskPage:
    task: KeyTask
    progress: TaskProgress
    leader: str
    owner: str
    department: str
    names: dict[int, str]  # user id -> display name (milestones done by, reporters)
    months: list[TaskStatusMonth]
    slips: list[SupervisionSlip]
    reports: list[ReportRow]


def task_page(task: KeyTask, today: date, locale: str) -> TaskPage:
    progress = load_progress([task], today, locale)[task.id]
    indicators = {i.indicator.id: i.indicator for i in progress.indicators}
    reports = (
        list(
            db.session.scalars(
                select(IndicatorReport)
                .where(IndicatorReport.indicator_id.in_(list(indicators)))
                .order_by(IndicatorReport.reported_on.desc(), IndicatorReport.id.desc())
                .limit(REPORTS_SHOWN)
            )
        )
        if indicators
        else []
    )
    files: dict[int, list[TaskFile]] = defaultdict(list)
    if reports:
        for item in db.session.scalars(
            select(TaskFile)
            .where(TaskFile.report_id.in_([r.id for r in reports]))
            .order_by(TaskFile.id)
        ):
            files[item.report_id or 0].append(item)
    months = list(
        db.session.scalars(
            select(TaskStatusMonth)
            .where(TaskStatusMonth.task_id == task.id)
            .order_by(TaskStatusMonth.month)
        )
    )
    slips = list(
        db.session.scalars(
            select(SupervisionSlip)
            .where(SupervisionSlip.task_id == task.id)
            .order_by(SupervisionSlip.id.desc())
            .limit(SLIPS_SHOWN)
        )
    )
    people = {task.leader_id, task.owner_id}
    people.update(m.done_by_id for m in progress.milestones if m.done_by_id)
    people.update(r.reported_by_id for r in reports)
    names = {
        uid: name
        for uid, name in db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(sorted(people)))
        )
    }
    department = db.session.get(Department, task.department_id)
    return TaskPage(
        task=task,
        progress=progress,
        leader=names.get(task.leader_id, ""),
        owner=names.get(task.owner_id, ""),
        department=department.display_name(locale) if department is not None else "",
        names=names,
        months=months,
        slips=slips,
        reports=[
            ReportRow(r, indicators[r.indicator_id], names.get(r.reported_by_id, ""), files[r.id])
            for r in reports
        ],
    )


def report_file(task_id: int, file_id: int) -> TaskFile | None:
    """An evidence file of a value reported on the task (None when it is not one)."""
    return db.session.scalar(
        select(TaskFile)
        .join(IndicatorReport, IndicatorReport.id == TaskFile.report_id)
        .join(TaskIndicator, TaskIndicator.id == IndicatorReport.indicator_id)
        .where(TaskFile.id == file_id, TaskIndicator.task_id == task_id)
    )


def indicator_of(task_id: int, indicator_id: int) -> TaskIndicator | None:
    indicator = db.session.get(TaskIndicator, indicator_id)
    return indicator if indicator is not None and indicator.task_id == task_id else None


# --- the editor's choices --------------------------------------------------------------------


@dataclass(frozen=True)
class Choices:
    leaders: list[tuple[int, str]]
    departments: list[tuple[int, str]]
    staff: list[tuple[int, str]]  # "name · department"


def editor_choices(locale: str, keep: tuple[int | None, ...] = ()) -> Choices:
    """Approvers, departments and staff members with a department (active accounts, plus the
    ones in ``keep``: those the task names now)."""
    kept = [k for k in keep if k is not None]
    active = User.disabled_at.is_(None)
    if kept:
        active = active | User.id.in_(kept)
    departments = list(
        db.session.scalars(select(Department).order_by(Department.position, Department.id))
    )
    department_names = {d.id: d.display_name(locale) for d in departments}
    leaders = [
        (uid, name)
        for uid, name in db.session.execute(
            select(User.id, User.display_name)
            .where(User.role == Role.APPROVER, active)
            .order_by(User.display_name, User.id)
        )
    ]
    staff = [
        (uid, f"{name} · {department_names.get(dept, '')}")
        for uid, name, dept in db.session.execute(
            select(User.id, User.display_name, User.department_id)
            .where(User.department_id.is_not(None), active)
            .order_by(User.department_id, User.display_name, User.id)
        )
    ]
    return Choices(leaders, [(d.id, department_names[d.id]) for d in departments], staff)


def indicator_rows(task: KeyTask) -> list[TaskIndicator]:
    return list(
        db.session.scalars(
            select(TaskIndicator)
            .where(TaskIndicator.task_id == task.id)
            .order_by(TaskIndicator.position, TaskIndicator.id)
        )
    )


def milestone_rows(task: KeyTask) -> list[Milestone]:
    return list(
        db.session.scalars(
            select(Milestone)
            .where(Milestone.task_id == task.id)
            .order_by(Milestone.due_on, Milestone.id)
        )
    )


def plain_number(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"
