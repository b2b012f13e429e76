"""What the wall map's three views read: the wall (12 cards, the goal tiles and the totals), the
timeline of milestones against today (进度图) and the responsibility view (责任图); the desks
of supervisors and department members are in ``desk_queries``.

Each reads the year's tasks and their progress (``progress.load_progress``), the names of the
people and departments, and the open slips counted per task and colour in one grouped query,
so a view costs the same few statements with 2 slips or 2,000, at 1,000 applications or
100,000 (the indicator kinds read the tallies, one query per kind in use).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import case, func, select

from portal.accounts.models import Department, User
from portal.core.extensions import db
from portal.core.timeutil import utcnow
from portal.tasks.models import (
    Direction,
    GoalTile,
    KeyTask,
    Milestone,
    SlipColour,
    SlipState,
    SupervisionSlip,
    TaskStatus,
    TaskStatusMonth,
)
from portal.tasks.progress import (
    GoalProgress,
    IndicatorProgress,
    TaskProgress,
    load_goals,
    load_progress,
    reason_text,
)
from portal.tasks.status_rules import NEAR_DAYS

# The wall shows at most this many indicator gauges per card (the task's first by position).
GAUGES_PER_CARD = 3
# A year the wall may be asked for (a typed ``?year=`` outside is refused with 400).
FIRST_YEAR, LAST_YEAR = 2000, 2100
OPEN_STATES = (SlipState.ISSUED, SlipState.SIGNED, SlipState.ANSWERED, SlipState.RETURNED)
# Slips that wait for the responsible side (to sign, to answer, to answer again).
NEED_ACTION = (SlipState.ISSUED, SlipState.SIGNED, SlipState.RETURNED)
STATUS_ORDER = (TaskStatus.GREEN, TaskStatus.YELLOW, TaskStatus.RED)


# --- pieces shared by the views -----------------------------------------------------------------


@dataclass(frozen=True)
class SlipCounts:
    """A task's open slips, by colour, and how many are past their deadline."""

    blue: int = 0
    yellow: int = 0
    red: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.blue + self.yellow + self.red

    def of(self, colour: SlipColour) -> int:
        return int(getattr(self, colour.value))


@dataclass(frozen=True)
class Gauge:
    """An indicator drawn as a bar: the value's share of the bar, where the expected value
    (序时进度) and the target sit on it, all in percent of the bar's length."""

    progress: IndicatorProgress
    name: str
    fill: Decimal
    expected_at: Decimal
    target_at: Decimal
    behind: bool

    @property
    def indicator(self):
        return self.progress.indicator

    @property
    def value(self) -> Decimal | None:
        return self.progress.value

    @property
    def expected(self) -> Decimal:
        return self.progress.verdict.expected

    @property
    def percent(self) -> Decimal | None:
        return self.progress.verdict.percent


@dataclass(frozen=True)
class Card:
    progress: TaskProgress
    title: str
    leader: str
    department: str
    owner: str
    slips: SlipCounts
    gauges: list[Gauge]
    reasons: list[str]

    @property
    def task(self) -> KeyTask:
        return self.progress.task

    @property
    def status(self) -> TaskStatus:
        return self.progress.status

    @property
    def next_milestone(self) -> Milestone | None:
        return self.progress.next_milestone

    @property
    def overdue_milestones(self) -> int:
        return len(self.progress.verdict.overdue)


@dataclass(frozen=True)
class Wall:
    year: int
    today: date
    as_of: datetime
    cards: list[Card]  # after the filters
    goals: list[GoalProgress]
    totals: dict[TaskStatus, int]  # over all the year's tasks
    task_count: int
    departments: list[tuple[int, str]]

    def total(self, status: TaskStatus) -> int:
        return self.totals.get(status, 0)


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"))


def _share(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return Decimal(0)
    return _round(min(Decimal(100), max(Decimal(0), part / whole * 100)))


def gauge_of(progress: IndicatorProgress, locale: str) -> Gauge:
    """The bar of an indicator. "At least": the bar runs from 0 to the target (or the value,
    past it); "at most": to twice the target, so that a value over the target shows past the
    target's line."""
    indicator = progress.indicator
    value = progress.value if progress.value is not None else Decimal(0)
    target = indicator.target
    expected = progress.verdict.expected
    if indicator.direction is Direction.DOWN:
        scale = max(target * 2, value, Decimal(1))
    else:
        scale = max(target, value, expected, Decimal(1))
    return Gauge(
        progress=progress,
        name=indicator.display_name(locale),
        fill=_share(value, scale),
        expected_at=_share(expected, scale),
        target_at=_share(target, scale),
        behind=progress.verdict.behind,
    )


def tasks_of(year: int) -> list[KeyTask]:
    return list(
        db.session.scalars(
            select(KeyTask).where(KeyTask.year == year).order_by(KeyTask.number, KeyTask.id)
        )
    )


def _people(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(wanted)))
    return {uid: name or "" for uid, name in rows}


def all_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.position, Department.id)))


def slip_counts(task_ids: Sequence[int], today: date) -> dict[int, SlipCounts]:
    """Open slips per task: one grouped query, whatever the number of slips."""
    if not task_ids:
        return {}
    overdue = func.sum(case((SupervisionSlip.deadline < today, 1), else_=0))
    rows = db.session.execute(
        select(SupervisionSlip.task_id, SupervisionSlip.colour, func.count(), overdue)
        .where(
            SupervisionSlip.task_id.in_(list(task_ids)),
            SupervisionSlip.state != SlipState.CLOSED,
        )
        .group_by(SupervisionSlip.task_id, SupervisionSlip.colour)
    ).all()
    tallies: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for task_id, colour, n, late in rows:
        key = colour.value if isinstance(colour, SlipColour) else str(colour)
        tallies[task_id][key] += int(n or 0)
        tallies[task_id]["overdue"] += int(late or 0)
    return {
        task_id: SlipCounts(blue=t["blue"], yellow=t["yellow"], red=t["red"], overdue=t["overdue"])
        for task_id, t in tallies.items()
    }


def cards_of(
    tasks: Sequence[KeyTask], today: date, locale: str, departments: dict[int, str]
) -> list[Card]:
    progress = load_progress(tasks, today, locale)
    names = _people([t.leader_id for t in tasks] + [t.owner_id for t in tasks])
    slips = slip_counts([t.id for t in tasks], today)
    cards = []
    for task in tasks:
        p = progress[task.id]
        cards.append(
            Card(
                progress=p,
                title=task.display_title(locale),
                leader=names.get(task.leader_id, ""),
                department=departments.get(task.department_id, ""),
                owner=names.get(task.owner_id, ""),
                slips=slips.get(task.id, SlipCounts()),
                gauges=[gauge_of(i, locale) for i in p.indicators[:GAUGES_PER_CARD]],
                reasons=[reason_text(r) for r in p.verdict.reasons],
            )
        )
    return cards


def _totals(cards: Iterable[Card]) -> dict[TaskStatus, int]:
    totals = dict.fromkeys(STATUS_ORDER, 0)
    for card in cards:
        totals[card.status] += 1
    return totals


# --- the wall ------------------------------------------------------------------------------------


def wall_of(
    year: int,
    today: date,
    locale: str,
    *,
    department_id: int | None = None,
    status: TaskStatus | None = None,
) -> Wall:
    """The year's wall: every task's card (filtered by lead department and status), the goal
    tiles and the totals of the three colours over the whole year."""
    departments = all_departments()
    names = {d.id: d.display_name(locale) for d in departments}
    cards = cards_of(tasks_of(year), today, locale, names)
    tiles = db.session.scalars(
        select(GoalTile).where(GoalTile.year == year).order_by(GoalTile.position, GoalTile.id)
    ).all()
    shown = [
        c
        for c in cards
        if (department_id is None or c.task.department_id == department_id)
        and (status is None or c.status is status)
    ]
    return Wall(
        year=year,
        today=today,
        as_of=utcnow(),
        cards=shown,
        goals=load_goals(tiles, today),
        totals=_totals(cards),
        task_count=len(cards),
        departments=[(d.id, names[d.id]) for d in departments],
    )


# --- the timeline (进度图) ------------------------------------------------------------------------


DONE, DONE_LATE, OVERDUE, DUE_SOON, UPCOMING = (
    "done",
    "done_late",
    "overdue",
    "due_soon",
    "upcoming",
)


@dataclass(frozen=True)
class Marker:
    milestone: Milestone
    title: str
    state: str  # DONE, DONE_LATE, OVERDUE, DUE_SOON, UPCOMING


@dataclass(frozen=True)
class MonthCell:
    month: int
    markers: list[Marker]
    status: TaskStatus | None  # the month's kept status (TaskStatusMonth), None if never judged
    is_current: bool


@dataclass(frozen=True)
class TimelineRow:
    card: Card
    months: list[MonthCell]
    markers: list[Marker]  # every milestone by date (the phone's list)


@dataclass(frozen=True)
class Timeline:
    year: int
    today: date
    as_of: datetime
    current_month: int | None  # the month of today, when it is in the year
    rows: list[TimelineRow]
    totals: dict[TaskStatus, int]


def marker_state(milestone: Milestone, today: date, near_days: int) -> str:
    if milestone.done_on is not None:
        return DONE_LATE if milestone.done_on > milestone.due_on else DONE
    if milestone.due_on < today:
        return OVERDUE
    if (milestone.due_on - today).days <= near_days:
        return DUE_SOON
    return UPCOMING


def timeline_of(year: int, today: date, locale: str) -> Timeline:
    names = {d.id: d.display_name(locale) for d in all_departments()}
    tasks = tasks_of(year)
    cards = cards_of(tasks, today, locale, names)
    history: dict[tuple[int, int], TaskStatus] = {}
    if tasks:
        for task_id, month, status in db.session.execute(
            select(
                TaskStatusMonth.task_id, TaskStatusMonth.month, TaskStatusMonth.worst_status
            ).where(TaskStatusMonth.task_id.in_([t.id for t in tasks]))
        ):
            if month.year == year:
                history[(task_id, month.month)] = status
    current = today.month if today.year == year else None
    rows = []
    for card in cards:
        markers = [
            Marker(m, m.display_title(locale), marker_state(m, today, NEAR_DAYS))
            for m in card.progress.milestones
        ]
        by_month: dict[int, list[Marker]] = defaultdict(list)
        for marker in markers:
            if marker.milestone.due_on.year == year:
                by_month[marker.milestone.due_on.month].append(marker)
        rows.append(
            TimelineRow(
                card=card,
                months=[
                    MonthCell(
                        month,
                        by_month[month],
                        history.get((card.task.id, month)),
                        month == current,
                    )
                    for month in range(1, 13)
                ],
                markers=markers,
            )
        )
    return Timeline(year, today, utcnow(), current, rows, _totals(cards))


# --- the responsibility view (责任图) -------------------------------------------------------------


@dataclass(frozen=True)
class PersonLine:
    """A person's tasks (as the responsible person, or as the leader in charge)."""

    user_id: int
    name: str
    cards: list[Card]

    @property
    def open_slips(self) -> int:
        return sum(c.slips.total for c in self.cards)

    @property
    def overdue_slips(self) -> int:
        return sum(c.slips.overdue for c in self.cards)

    @property
    def overdue_milestones(self) -> int:
        return sum(c.overdue_milestones for c in self.cards)

    def count(self, status: TaskStatus) -> int:
        return sum(1 for c in self.cards if c.status is status)


@dataclass(frozen=True)
class DepartmentBlock:
    department_id: int
    name: str
    people: list[PersonLine]
    cards: list[Card] = field(default_factory=list)

    @property
    def open_slips(self) -> int:
        return sum(c.slips.total for c in self.cards)

    @property
    def overdue_slips(self) -> int:
        return sum(c.slips.overdue for c in self.cards)

    @property
    def overdue_milestones(self) -> int:
        return sum(c.overdue_milestones for c in self.cards)

    @property
    def overdue_items(self) -> int:
        return self.overdue_slips + self.overdue_milestones

    def count(self, status: TaskStatus) -> int:
        return sum(1 for c in self.cards if c.status is status)


@dataclass(frozen=True)
class Responsibility:
    year: int
    today: date
    as_of: datetime
    departments: list[DepartmentBlock]
    leaders: list[PersonLine]
    totals: dict[TaskStatus, int]


def _people_lines(cards: Iterable[Card], key: str, names: dict[int, str]) -> list[PersonLine]:
    grouped: dict[int, list[Card]] = defaultdict(list)
    for card in cards:
        grouped[getattr(card.task, key)].append(card)
    return sorted(
        (PersonLine(uid, names.get(uid, ""), group) for uid, group in grouped.items()),
        key=lambda line: (-line.overdue_slips - line.overdue_milestones, line.name, line.user_id),
    )


def responsibility_of(year: int, today: date, locale: str) -> Responsibility:
    """Per lead department (in the bureau's order), then per responsible person: their tasks,
    status, open and overdue slips and overdue milestones; then the leaders in charge."""
    departments = all_departments()
    names = {d.id: d.display_name(locale) for d in departments}
    tasks = tasks_of(year)
    cards = cards_of(tasks, today, locale, names)
    people = _people([t.leader_id for t in tasks] + [t.owner_id for t in tasks])
    blocks = []
    for department in departments:
        own = [c for c in cards if c.task.department_id == department.id]
        if own:
            blocks.append(
                DepartmentBlock(
                    department.id, names[department.id], _people_lines(own, "owner_id", people), own
                )
            )
    return Responsibility(
        year=year,
        today=today,
        as_of=utcnow(),
        departments=blocks,
        leaders=_people_lines(cards, "leader_id", people),
        totals=_totals(cards),
    )
