"""The desks of the wall map: a department member's tasks and the slips waiting for them; a
supervisor's slips to review, red tasks and overdue slips. A fixed number of statements, as the
wall's (``wall_queries``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, or_, select

from portal.accounts.models import Role, User
from portal.core.extensions import db
from portal.tasks.models import KeyTask, SlipState, SupervisionSlip, TaskStatus
from portal.tasks.wall_queries import (
    NEED_ACTION,
    OPEN_STATES,
    Card,
    all_departments,
    cards_of,
    tasks_of,
)

# The desk lists this many slips per panel, the nearest deadlines first (counts say how many).
DESK_ROWS = 20


@dataclass(frozen=True)
class SlipRow:
    slip: SupervisionSlip
    task_title: str
    task_number: int
    overdue: bool


@dataclass(frozen=True)
class Desk:
    year: int
    today: date
    role: Role
    cards: list[Card]  # the member's tasks; the supervisor's red tasks
    to_act: list[SlipRow]  # the member's slips to sign / answer / answer again
    to_review: list[SlipRow]  # the supervisor's slips answered, waiting for review
    overdue: list[SlipRow]  # the supervisor's open slips past their deadline
    to_review_count: int = 0
    overdue_count: int = 0


def _slip_rows(query, today: date, locale: str) -> list[SlipRow]:
    rows = []
    for slip, number, title, title_en in db.session.execute(query):
        shown = title_en if locale.startswith("en") and title_en else title
        rows.append(SlipRow(slip, shown, number, slip.deadline < today))
    return rows


def _slips_query(*conditions):
    return (
        select(SupervisionSlip, KeyTask.number, KeyTask.title, KeyTask.title_en)
        .join(KeyTask, KeyTask.id == SupervisionSlip.task_id)
        .where(*conditions)
        .order_by(SupervisionSlip.deadline, SupervisionSlip.id)
        .limit(DESK_ROWS)
    )


def desk_of(user: User, today: date, locale: str) -> Desk:
    """A department member's tasks (responsible person, or of their department) and the slips
    on them waiting for them; a supervisor's slips to review, red tasks and overdue slips."""
    year = today.year
    names = {d.id: d.display_name(locale) for d in all_departments()}
    if user.role is Role.SUPERVISOR:
        tasks = tasks_of(year)
        cards = [c for c in cards_of(tasks, today, locale, names) if c.status is TaskStatus.RED]
        waiting = (SupervisionSlip.state == SlipState.ANSWERED,)
        late = (
            SupervisionSlip.state.in_(OPEN_STATES),
            SupervisionSlip.deadline < today,
        )
        counts = db.session.execute(
            select(
                func.sum(case((SupervisionSlip.state == SlipState.ANSWERED, 1), else_=0)),
                func.sum(
                    case(
                        (
                            (SupervisionSlip.state != SlipState.CLOSED)
                            & (SupervisionSlip.deadline < today),
                            1,
                        ),
                        else_=0,
                    )
                ),
            ).where(SupervisionSlip.state != SlipState.CLOSED)
        ).one()
        return Desk(
            year=year,
            today=today,
            role=user.role,
            cards=cards,
            to_act=[],
            to_review=_slip_rows(_slips_query(*waiting), today, locale),
            overdue=_slip_rows(_slips_query(*late), today, locale),
            to_review_count=int(counts[0] or 0),
            overdue_count=int(counts[1] or 0),
        )
    mine = [KeyTask.owner_id == user.id]
    if user.department_id is not None:
        mine.append(KeyTask.department_id == user.department_id)
    tasks = list(
        db.session.scalars(
            select(KeyTask)
            .where(KeyTask.year == year, or_(*mine))
            .order_by(KeyTask.number, KeyTask.id)
        )
    )
    cards = cards_of(tasks, today, locale, names)
    to_act = (
        _slip_rows(
            _slips_query(
                SupervisionSlip.task_id.in_([t.id for t in tasks]),
                SupervisionSlip.state.in_(NEED_ACTION),
            ),
            today,
            locale,
        )
        if tasks
        else []
    )
    return Desk(
        year=year, today=today, role=user.role, cards=cards, to_act=to_act, to_review=[], overdue=[]
    )
