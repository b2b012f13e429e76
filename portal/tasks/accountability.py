"""The year-end accountability export (考核): per lead department and per responsible person,
their key tasks with each indicator against its target (met or not), milestones done on time,
late or missed, the months spent red / yellow / green (``TaskStatusMonth``, the month's worst
status), and the supervision slips received by colour, how many were closed and how fast (the
median days from issue to close), and how many are still open and overdue.

Rows come in three levels, in order: a department's total, then each of its people's total
followed by that person's tasks. A fixed number of queries whatever the year holds: the tasks,
their owners and departments, their progress (``progress.load_progress``), their months and
their slips. Downloads go through ``reporting.formats`` (formula-safe CSV and typed XLSX).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.timeutil import bureau_today
from portal.reporting import formats
from portal.reporting.formats import COUNT, SCORE, Column
from portal.tasks.models import (
    Direction,
    KeyTask,
    SlipColour,
    SlipState,
    SupervisionSlip,
    TaskStatus,
    TaskStatusMonth,
)
from portal.tasks.progress import IndicatorProgress, load_progress
from portal.tasks.wall_pdf import Owners, locale_code, owner_names, plain_number, year_tasks

DEPARTMENT, PERSON, TASK = "department", "person", "task"
LEVEL_LABELS = {DEPARTMENT: _l("Department"), PERSON: _l("Person"), TASK: _l("Task")}


@dataclass
class Tally:
    """What one row adds up: a task's facts, or the sum over a person's or department's."""

    indicators_met: int = 0
    indicators: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    months: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in TaskStatus})
    slips: dict[str, int] = field(default_factory=lambda: {c.value: 0 for c in SlipColour})
    closed_days: list[float] = field(default_factory=list)
    open: int = 0
    open_overdue: int = 0

    def add(self, other: Tally) -> None:
        self.indicators_met += other.indicators_met
        self.indicators += other.indicators
        self.on_time += other.on_time
        self.late += other.late
        self.missed += other.missed
        for key, count in other.months.items():
            self.months[key] += count
        for key, count in other.slips.items():
            self.slips[key] += count
        self.closed_days.extend(other.closed_days)
        self.open += other.open
        self.open_overdue += other.open_overdue

    @property
    def slips_received(self) -> int:
        return sum(self.slips.values())

    @property
    def closed(self) -> int:
        return len(self.closed_days)

    @property
    def median_days(self) -> Decimal | None:
        if not self.closed_days:
            return None
        return Decimal(str(round(statistics.median(self.closed_days), 1)))


@dataclass
class Row:
    level: str
    department: str
    person: str
    task: str = ""
    indicators_text: str = ""
    number: int | None = None
    tally: Tally = field(default_factory=Tally)


def indicator_met(item: IndicatorProgress) -> bool:
    if item.value is None:
        return False
    if item.indicator.direction is Direction.DOWN:
        return item.value <= item.indicator.target
    return item.value >= item.indicator.target


def indicator_line(item: IndicatorProgress, locale: str) -> str:
    indicator = item.indicator
    mark = _("met") if indicator_met(item) else _("not met")
    return (
        f"{indicator.display_name(locale)} {plain_number(item.value)}/"
        f"{plain_number(indicator.target)}{indicator.unit} ({mark})"
    )


def _days_between(start: Any, end: Any) -> float:
    return round((end - start).total_seconds() / 86400, 1)


def accountability_rows(year: int, locale: str, today: date | None = None) -> list[Row]:
    """The year's rows: department totals, person totals and tasks, in the bureau's order."""
    today = today or bureau_today()
    as_of = min(today, date(year, 12, 31))
    tasks = year_tasks(year)
    if not tasks:
        return []
    ids = [t.id for t in tasks]
    owners = owner_names(tasks, locale)
    progress = load_progress(tasks, as_of, locale)
    months: dict[int, list[TaskStatusMonth]] = defaultdict(list)
    for month in db.session.scalars(
        select(TaskStatusMonth).where(TaskStatusMonth.task_id.in_(ids))
    ):
        months[month.task_id].append(month)
    slips: dict[int, list[SupervisionSlip]] = defaultdict(list)
    for slip in db.session.scalars(select(SupervisionSlip).where(SupervisionSlip.task_id.in_(ids))):
        slips[slip.task_id].append(slip)

    by_department: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for task in tasks:
        tally = Tally()
        items = progress[task.id].indicators
        tally.indicators = len(items)
        tally.indicators_met = sum(1 for item in items if indicator_met(item))
        for milestone in progress[task.id].milestones:
            if milestone.done_on is not None:
                if milestone.done_on <= milestone.due_on:
                    tally.on_time += 1
                else:
                    tally.late += 1
            elif milestone.due_on < as_of:
                tally.missed += 1
        for month in months[task.id]:
            tally.months[TaskStatus(month.worst_status).value] += 1
        for slip in slips[task.id]:
            tally.slips[SlipColour(slip.colour).value] += 1
            if slip.state == SlipState.CLOSED and slip.closed_at is not None:
                tally.closed_days.append(_days_between(slip.issued_at, slip.closed_at))
            else:
                tally.open += 1
                if slip.deadline < as_of:
                    tally.open_overdue += 1
        names = owners[task.id]
        by_department[names.department][names.person].append(
            Row(
                TASK,
                names.department,
                names.person,
                task.display_title(locale),
                "; ".join(indicator_line(item, locale) for item in items),
                task.number,
                tally,
            )
        )

    rows: list[Row] = []
    for department in _in_order(by_department, tasks, owners):
        people = by_department[department]
        department_row = Row(DEPARTMENT, department, "")
        rows.append(department_row)
        for person in sorted(people):
            person_row = Row(PERSON, department, person)
            rows.append(person_row)
            for task_row in people[person]:
                person_row.tally.add(task_row.tally)
                rows.append(task_row)
            department_row.tally.add(person_row.tally)
    return rows


def _in_order(
    by_department: dict[str, Any], tasks: Sequence[KeyTask], owners: dict[int, Owners]
) -> list[str]:
    """Departments in the order of their first task on the wall."""
    seen: dict[str, None] = {}
    for task in tasks:
        seen.setdefault(owners[task.id].department, None)
    return [name for name in seen if name in by_department]


# --- the download -----------------------------------------------------------------------------

COLUMNS = (
    Column("level", _l("Level")),
    Column("department", _l("Lead department")),
    Column("person", _l("Responsible person")),
    Column("number", _l("No."), COUNT),
    Column("task", _l("Task")),
    Column("indicators", _l("Indicators against targets")),
    Column("indicators_met", _l("Indicators met"), COUNT),
    Column("indicators_total", _l("Indicators"), COUNT),
    Column("on_time", _l("Milestones on time"), COUNT),
    Column("late", _l("Milestones late"), COUNT),
    Column("missed", _l("Milestones missed"), COUNT),
    Column("months_red", _l("Months red"), COUNT),
    Column("months_yellow", _l("Months yellow"), COUNT),
    Column("months_green", _l("Months green"), COUNT),
    Column("slips_blue", _l("Blue slips received"), COUNT),
    Column("slips_yellow", _l("Yellow slips received"), COUNT),
    Column("slips_red", _l("Red slips received"), COUNT),
    Column("slips_closed", _l("Slips closed"), COUNT),
    Column("median_days", _l("Median days to close"), SCORE),
    Column("slips_open", _l("Slips still open"), COUNT),
    Column("slips_overdue", _l("Open slips overdue"), COUNT),
)


def row_values(row: Row) -> dict[str, Any]:
    tally = row.tally
    return {
        "level": str(LEVEL_LABELS[row.level]),
        "department": row.department,
        "person": row.person,
        "number": row.number,
        "task": row.task,
        "indicators": row.indicators_text,
        "indicators_met": tally.indicators_met,
        "indicators_total": tally.indicators,
        "on_time": tally.on_time,
        "late": tally.late,
        "missed": tally.missed,
        "months_red": tally.months[TaskStatus.RED.value],
        "months_yellow": tally.months[TaskStatus.YELLOW.value],
        "months_green": tally.months[TaskStatus.GREEN.value],
        "slips_blue": tally.slips[SlipColour.BLUE.value],
        "slips_yellow": tally.slips[SlipColour.YELLOW.value],
        "slips_red": tally.slips[SlipColour.RED.value],
        "slips_closed": tally.closed,
        "median_days": tally.median_days,
        "slips_open": tally.open,
        "slips_overdue": tally.open_overdue,
    }


def export_title(year: int) -> str:
    return _("Key tasks %(year)s: accountability", year=year)


def export_bytes(year: int, fmt: str, locale: str, today: date | None = None) -> bytes:
    """The export as ``fmt`` ("xlsx" or "csv") in ``locale``."""
    with force_locale(locale_code(locale)):
        rows = [row_values(row) for row in accountability_rows(year, locale_code(locale), today)]
        headers = [str(column.label) for column in COLUMNS]
        if fmt == "csv":
            return formats.csv_bytes(COLUMNS, rows, headers)
        return formats.xlsx_bytes(COLUMNS, rows, headers, title=export_title(year))


def file_name(year: int, fmt: str, today: date | None = None) -> str:
    return f"accountability-{year}-{(today or bureau_today()):%Y%m%d}.{fmt}"


def years_with_tasks() -> list[int]:
    return list(db.session.scalars(select(KeyTask.year).distinct().order_by(KeyTask.year.desc())))
