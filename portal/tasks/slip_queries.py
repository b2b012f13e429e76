"""Reading supervision slips: the list with its filters and tabs, one slip with its history and
evidence, an evidence file. Each read is a fixed number of statements whatever the number of
slips (the list: a count, a page and the tabs' counts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from portal.accounts.models import Department, Role, User
from portal.core.extensions import db
from portal.core.pagination import Page, paginate
from portal.tasks.models import (
    KeyTask,
    SlipColour,
    SlipState,
    SlipStep,
    SupervisionSlip,
    TaskFile,
)

PER_PAGE = 25
STATE_TABS = ("open", "closed", "all")
ORDERS = ("newest", "deadline")


@dataclass(frozen=True)
class SlipFilters:
    state: str = "open"  # one of STATE_TABS
    colour: SlipColour | None = None
    department_id: int | None = None
    mine: bool = False
    order: str = "newest"  # one of ORDERS


@dataclass(frozen=True)
class SlipRow:
    slip: SupervisionSlip
    task_id: int
    task_number: int
    task_year: int
    task_title: str
    department: str
    overdue: bool


@dataclass(frozen=True)
class SlipList:
    page: Page  # rows are SlipRow
    counts: dict[str, int]  # per tab of STATE_TABS


def is_overdue(slip: SupervisionSlip, today: date) -> bool:
    return slip.deadline < today and slip.state is not SlipState.CLOSED


def _mine(user: Any):
    """Slips on tasks where ``user`` is the responsible person or in the lead department; every
    slip for a supervisor (they run them all)."""
    if getattr(user, "role", None) is Role.SUPERVISOR:
        return None
    conditions = [KeyTask.owner_id == user.id]
    if getattr(user, "department_id", None) is not None:
        conditions.append(KeyTask.department_id == user.department_id)
    return or_(*conditions)


def _filtered(query: Select[Any], filters: SlipFilters, user: Any, *, with_state: bool):
    if with_state and filters.state == "open":
        query = query.where(SupervisionSlip.state != SlipState.CLOSED)
    elif with_state and filters.state == "closed":
        query = query.where(SupervisionSlip.state == SlipState.CLOSED)
    if filters.colour is not None:
        query = query.where(SupervisionSlip.colour == filters.colour)
    if filters.department_id is not None:
        query = query.where(KeyTask.department_id == filters.department_id)
    if filters.mine:
        condition = _mine(user)
        if condition is not None:
            query = query.where(condition)
    return query


def list_slips(
    filters: SlipFilters, user: Any, locale: str, today: date, *, page: int = 1
) -> SlipList:
    """One page of slips (newest first, or by deadline) and the tabs' counts: three
    statements."""
    query = (
        select(
            SupervisionSlip,
            KeyTask.number,
            KeyTask.year,
            KeyTask.title,
            KeyTask.title_en,
            Department.name,
            Department.name_en,
        )
        .join(KeyTask, KeyTask.id == SupervisionSlip.task_id)
        .join(Department, Department.id == KeyTask.department_id)
    )
    query = _filtered(query, filters, user, with_state=True)
    if filters.order == "deadline":
        query = query.order_by(SupervisionSlip.deadline, SupervisionSlip.id)
    else:
        query = query.order_by(SupervisionSlip.id.desc())
    found = paginate(query, page=page, per_page=PER_PAGE)
    english = locale.startswith("en")
    rows = [
        SlipRow(
            slip=slip,
            task_id=slip.task_id,
            task_number=number,
            task_year=year,
            task_title=(title_en if english and title_en else title),
            department=(dept_en if english and dept_en else dept),
            overdue=is_overdue(slip, today),
        )
        for slip, number, year, title, title_en, dept, dept_en in found.rows
    ]
    counted = select(SupervisionSlip.state, func.count()).join(
        KeyTask, KeyTask.id == SupervisionSlip.task_id
    )
    counted = _filtered(counted, filters, user, with_state=False).group_by(SupervisionSlip.state)
    per_state = {state: n for state, n in db.session.execute(counted)}
    closed = per_state.get(SlipState.CLOSED, 0)
    total = sum(per_state.values())
    return SlipList(
        page=Page(rows=rows, page=found.page, per_page=found.per_page, total=found.total),
        counts={"open": total - closed, "closed": closed, "all": total},
    )


def departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.position, Department.id)))


def tasks_to_choose(year: int | None = None) -> list[KeyTask]:
    """The tasks a supervisor may issue a slip on: the year's (every year's when None)."""
    query = select(KeyTask).order_by(KeyTask.year.desc(), KeyTask.number)
    if year is not None:
        query = query.where(KeyTask.year == year)
    return list(db.session.scalars(query))


# --- one slip ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    step: SlipStep
    by: str
    files: list[TaskFile] = field(default_factory=list)


@dataclass(frozen=True)
class SlipDetails:
    slip: SupervisionSlip
    task: KeyTask
    department: str
    owner: str
    leader: str
    issued_by: str | None  # None: raised by the status rules
    steps: list[StepView]
    overdue: bool


def slip_details(slip: SupervisionSlip, locale: str, today: date) -> SlipDetails:
    """The slip as a document with its history and evidence (four statements)."""
    task, dept, dept_en = db.session.execute(
        select(KeyTask, Department.name, Department.name_en)
        .join(Department, Department.id == KeyTask.department_id)
        .where(KeyTask.id == slip.task_id)
    ).one()
    names = dict(
        db.session.execute(
            select(User.id, User.display_name).where(
                User.id.in_(
                    {task.owner_id, task.leader_id}
                    | ({slip.issued_by_id} if slip.issued_by_id else set())
                )
            )
        ).all()
    )
    by = aliased(User)
    steps = db.session.execute(
        select(SlipStep, by.display_name)
        .outerjoin(by, by.id == SlipStep.by_id)
        .where(SlipStep.slip_id == slip.id)
        .order_by(SlipStep.id)
    ).all()
    files: dict[int, list[TaskFile]] = {}
    for item in db.session.scalars(
        select(TaskFile)
        .join(SlipStep, SlipStep.id == TaskFile.slip_step_id)
        .where(SlipStep.slip_id == slip.id)
        .order_by(TaskFile.id)
    ):
        files.setdefault(item.slip_step_id or 0, []).append(item)
    english = locale.startswith("en")
    return SlipDetails(
        slip=slip,
        task=task,
        department=dept_en if english and dept_en else dept,
        owner=names.get(task.owner_id, ""),
        leader=names.get(task.leader_id, ""),
        issued_by=names.get(slip.issued_by_id) if slip.issued_by_id else None,
        steps=[StepView(step, name or "", files.get(step.id, [])) for step, name in steps],
        overdue=is_overdue(slip, today),
    )


def file_of_slips(file_id: int) -> TaskFile | None:
    """An evidence file of a slip's answer (None for a file of an indicator report)."""
    return db.session.scalar(
        select(TaskFile).where(and_(TaskFile.id == file_id, TaskFile.slip_step_id.is_not(None)))
    )
